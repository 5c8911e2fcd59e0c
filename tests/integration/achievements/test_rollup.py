"""The solve rollup (achievements/rollup.py): kept from new rows only, it always equals one rebuild from
the sources, whatever the order of new solves, re-verifications, zone changes, links and refreshes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest_pipelines.achievements import rollup
from contest_pipelines.achievements.processors import ROLLUP_READERS, refresh_rollup
from contest_pipelines.db.tables import challenge_solves, detections, players

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ZONES = [None, "Asia/Kolkata", "America/Los_Angeles", "Pacific/Kiritimati"]


def rollup_state(db) -> dict[str, list[tuple]]:
    """Every rollup table, without the stamps (a rebuild writes them with its own transaction id)."""
    with db.connect() as conn:
        return {
            "totals": conn.execute(sa.text("SELECT user_id, verified, ctf, zone, game_platform_id, longest_run,"
                                           " last_run_first, last_run_last FROM achievement_solve_totals"
                                           " ORDER BY 1")).all(),
            "categories": conn.execute(sa.text("SELECT user_id, category, solves FROM achievement_solve_categories"
                                               " ORDER BY 1, 2")).all(),
            "runs": conn.execute(sa.text("SELECT * FROM achievement_solve_runs ORDER BY 1, 2")).all(),
        }  # fmt: skip


# One step: (kind, user, day, hour, problem or category). Problems repeat on purpose: a problem verified
# again in another room at another time may move its first verification to another day.
step = st.one_of(
    st.tuples(st.just("verified"), st.sampled_from(["u1", "u2"]), st.integers(0, 12), st.integers(0, 23),
              st.integers(0, 5)),
    st.tuples(st.just("ctf"), st.sampled_from(["g1", "g3"]), st.integers(0, 12), st.integers(0, 23),
              st.sampled_from(["web", " Web ", "pwn", "", None])),
    st.tuples(st.just("zone"), st.sampled_from(["u1", "u2"]), st.sampled_from(ZONES)),
    st.tuples(st.just("link"), st.sampled_from(["u2", "u3"]), st.sampled_from([None, "g3"])),
    st.tuples(st.just("refresh")),
)  # fmt: skip


def apply(db, s: tuple, n: int) -> None:
    with db.begin() as conn:
        if s[0] == "verified":
            _, user, day, hour, problem = s
            room = f"rollup-room-{n}"
            conn.execute(
                sa.text(
                    "INSERT INTO rooms (room_id, name, status, starts_at, ends_at) SELECT :r, name,"
                    " status, starts_at, ends_at FROM rooms WHERE room_id = 'room-1'"
                ),
                {"r": room},
            )
            conn.execute(
                detections.insert().values(
                    room_id=room,
                    user_id=user,
                    problem_id=f"p{problem}",
                    cf_submission_id=n,
                    cf_timestamp=int((T0 + timedelta(days=day, hours=hour, minutes=n % 60)).timestamp()),
                )
            )
        elif s[0] == "ctf":
            _, who, day, hour, category = s
            conn.execute(
                challenge_solves.insert().values(
                    syned_user_id=who,
                    challenge_solve_id=f"s{n}",
                    source="odl",
                    category=category,
                    solved_at=T0 + timedelta(days=day, hours=hour, minutes=n % 60),
                )
            )
        elif s[0] == "zone":
            conn.execute(players.update().where(players.c.user_id == s[1]).values(time_zone=s[2]))
        elif s[0] == "link":  # g3 moves to the player named (unlinked from whoever had it)
            conn.execute(players.update().where(players.c.game_platform_id == "g3").values(game_platform_id=None))
            conn.execute(players.update().where(players.c.user_id == s[1]).values(game_platform_id=s[2]))
    # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=30))
def test_the_rollup_kept_from_new_rows_equals_a_rebuild(world, steps):
    with world.begin() as conn:
        conn.execute(sa.text("TRUNCATE detections, challenge_solves, achievement_checkpoints"))
        conn.execute(sa.text("DELETE FROM rooms WHERE room_id LIKE 'rollup-room-%'"))
        conn.execute(players.update().values(time_zone=None, game_platform_id=None))
        conn.execute(players.update().where(players.c.user_id == "u1").values(game_platform_id="g1"))
    refresh_rollup(world)
    for n, s in enumerate(steps):
        if s[0] == "refresh":
            refresh_rollup(world)
        else:
            apply(world, s, n)
    refresh_rollup(world)
    kept = rollup_state(world)
    refresh_rollup(world, rebuild=True)
    assert rollup_state(world) == kept


def test_a_refresh_with_nothing_new_changes_nothing_and_readers_bound_the_change_log(world):
    apply(world, ("ctf", "g1", 0, 10, "web"), 1)
    first = refresh_rollup(world)
    assert first.players == 3 and first.reset == 3  # the first refresh derives everyone from the sources
    apply(world, ("ctf", "g1", 1, 10, "web"), 2)
    assert (refresh_rollup(world).players, refresh_rollup(world).players) == (1, 0)
    with world.connect() as conn:
        logged = conn.execute(sa.text("SELECT count(*) FROM achievement_solve_changes")).scalar_one()
    assert logged == 4  # kept: no reader has a checkpoint yet (the first refresh logs all three, with no time)
    with world.begin() as conn:  # every reader has consumed up to now
        for reader in ROLLUP_READERS:
            conn.execute(sa.text("INSERT INTO achievement_checkpoints (processor, lower_xid)"
                                 " VALUES (:p, pg_current_xact_id())"), {"p": reader})  # fmt: skip
    apply(world, ("ctf", "g1", 2, 10, "pwn"), 3)
    refresh_rollup(world)
    with world.connect() as conn:
        left = conn.execute(sa.text("SELECT user_id, at FROM achievement_solve_changes")).all()
        categories = conn.execute(sa.text("SELECT user_id, category, solves FROM achievement_solve_categories"
                                          " ORDER BY 1, 2")).all()  # fmt: skip
        finished = conn.execute(sa.text("SELECT count(*) FROM achievement_solve_runs")).scalar_one()
        last = conn.execute(sa.text("SELECT last_run_first, last_run_last, longest_run FROM achievement_solve_totals"
                                    " WHERE user_id = 'u1'")).one()  # fmt: skip
    # The earlier rows are pruned; the last refresh's is kept, at its earliest event (earlier, when a
    # transaction elsewhere held the horizon down and the day-1 solve was read again: never later).
    [(user, at)] = left
    assert user == "u1" and T0 + timedelta(days=1) <= at <= T0 + timedelta(days=2, hours=10, minutes=3)
    assert categories == [("u1", "pwn", 1), ("u1", "web", 2)]
    assert finished == 0 and (last[0].isoformat(), last[1].isoformat(), last[2]) == ("2026-03-01", "2026-03-03", 3)
    assert rollup.CHECKPOINT not in ROLLUP_READERS
