"""The solve-count processors on a real PostgreSQL: completion at the Nth solve's time, sticky awards,
gated tiers, inactive rows, idempotence, late commits, and rebuild == incremental."""

import zlib
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest_pipelines.achievements import checkpoint
from contest_pipelines.achievements.processors import PROCESSORS, reconcile, reconcile_all
from contest_pipelines.db.tables import achievement_progress, achievements, challenge_solves, detections, players
from tests.factories import load, room_fixture

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(db):
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr", "u3": "benq"}))
    with db.begin() as conn:
        conn.execute(players.update().where(players.c.user_id == "u1").values(game_platform_id="g1"))
    return db


def verified(db, user: str, n: int, start: int = 0, at: datetime = T0, conn=None) -> None:
    rows = [
        {"room_id": "room-1", "user_id": user, "problem_id": f"{1800 + i}A",
         "cf_submission_id": zlib.crc32(f"{user}:{i}".encode()),
         "cf_timestamp": int((at + timedelta(minutes=i)).timestamp())}
        for i in range(start, start + n)
    ]  # fmt: skip
    if conn is not None:
        conn.execute(detections.insert(), rows)
        return
    with db.begin() as c:
        c.execute(detections.insert(), rows)


def ctf(db, n: int, at: datetime = T0, start: int = 0) -> None:
    with db.begin() as conn:
        conn.execute(challenge_solves.insert(), [
            {"syned_user_id": "g1", "challenge_solve_id": f"cs{i}", "source": "odl", "category": "web",
             "solved_at": at + timedelta(hours=i)} for i in range(start, start + n)])  # fmt: skip


def progress(db) -> dict[tuple[str, str], sa.Row]:
    with db.connect() as conn:
        return {(r.achievement_id, r.specifier): r for r in conn.execute(sa.select(achievement_progress))}


def tick(db) -> None:
    for report in reconcile_all(db):
        assert not isinstance(report, Exception), report


def test_first_verified_solve_completes_at_the_solve_not_at_the_tick(world):
    verified(world, "u2", 1, at=T0)
    report = reconcile(world, PROCESSORS["first_verified_solve"])
    assert report.completed == ["u2"] and report.players == 1
    row = progress(world)[("first_verified_solve", "u2")]
    assert row.complete and row.completed_at == T0 and row.amount == 10 and row.user_id == "u2"


def test_ten_solves_of_both_kinds_complete_at_the_tenth_and_a_problem_counts_once(world):
    verified(world, "u1", 6, at=T0)
    with world.begin() as conn:  # problem 1800A verified again in a second room: still one solve
        conn.execute(sa.text("INSERT INTO rooms (room_id, name, starts_at, ends_at) SELECT 'room-2', 'R2', starts_at, "
                             "ends_at FROM rooms WHERE room_id = 'room-1'"))  # fmt: skip
        conn.execute(detections.insert().values(room_id="room-2", user_id="u1", problem_id="1800A",
                                                cf_submission_id=999, cf_timestamp=int(T0.timestamp())))  # fmt: skip
    ctf(world, 5, at=T0 + timedelta(days=1))
    tick(world)
    rows = progress(world)
    tenth = T0 + timedelta(days=1, hours=3)  # 6 verified on day 0, then CTF solves hourly: the 4th is the 10th solve
    assert rows[("solves_10", "u1")].complete and rows[("solves_10", "u1")].completed_at == tenth
    assert rows[("first_ctf_solve", "u1")].completed_at == T0 + timedelta(days=1)
    assert (rows[("solves_100", "u1")].current_step, rows[("solves_100", "u1")].complete) == (11, False)  # gate open
    assert ("solves_100", "u2") not in rows
    assert rows[("solves_10", "u1")].current_step == 10


def test_completion_is_sticky_and_a_second_tick_changes_nothing(world):
    verified(world, "u2", 10)
    tick(world)
    first = progress(world)
    with world.begin() as conn:  # the source shrinks (a detection deleted) and is touched again
        conn.execute(detections.delete().where(detections.c.problem_id == "1800A"))
    verified(world, "u2", 1, start=50, at=T0 + timedelta(days=30))
    tick(world)
    after = progress(world)
    assert after[("solves_10", "u2")].completed_at == first[("solves_10", "u2")].completed_at
    assert after[("solves_10", "u2")].complete and after[("solves_10", "u2")].amount == 25
    assert [r for r in reconcile_all(world) if r.changed] == []


def test_a_complete_tier_is_looked_at_only_when_a_new_solve_precedes_what_it_had_counted(world):
    verified(world, "u2", 12)  # 1800A..1811A, a minute apart from T0: complete at the tenth
    tick(world)
    assert progress(world)[("solves_10", "u2")].completed_at == T0 + timedelta(minutes=9)
    only = ["solves_10", "solves_100"]
    verified(world, "u2", 1, start=20, at=T0 + timedelta(days=1))  # after everything counted
    ten, hundred = reconcile_all(world, only=only)
    assert (ten.players, hundred.players) == (0, 1)  # complete before: skipped unseen; 13 of 100 moves on
    verified(world, "u2", 1, start=30, at=T0 - timedelta(days=1))  # a backfill before the tenth
    ten, _ = reconcile_all(world, only=only)
    assert ten.players == 1 and ten.changed == 1
    assert progress(world)[("solves_10", "u2")].completed_at == T0 + timedelta(minutes=8)


def test_the_first_ctf_solve_moves_earlier_with_a_backfilled_one_and_ignores_verified_ones(world):
    ctf(world, 2, at=T0 + timedelta(days=1))
    tick(world)
    assert progress(world)[("first_ctf_solve", "u1")].completed_at == T0 + timedelta(days=1)
    verified(world, "u1", 1, at=T0)  # earlier, but not a CTF solve
    ctf(world, 1, at=T0 + timedelta(hours=5), start=10)  # backfilled before the first: T0 + 15 h (hour 10 of T0 + 5 h)
    tick(world)
    row = progress(world)[("first_ctf_solve", "u1")]
    assert row.complete and row.completed_at == T0 + timedelta(hours=15)


def test_a_starting_point_counts_only_later_solves_from_the_sources(world):
    """The rollup counts all history: a tier with a starting point derives from the sources instead, and its
    dirty set is every change."""
    with world.begin() as conn:
        conn.execute(achievements.update().where(achievements.c.id.in_(["solves_10", "streak_7"]))
                     .values(starts_at=T0 + timedelta(minutes=5)))  # fmt: skip
    verified(world, "u2", 12)  # T0 .. T0 + 11 min: 7 of them from the starting point on
    tick(world)
    row = progress(world)[("solves_10", "u2")]
    assert (row.current_step, row.complete) == (7, False)
    verified(world, "u2", 3, start=40, at=T0 + timedelta(days=1))  # after every solve counted before
    tick(world)
    row = progress(world)[("solves_10", "u2")]
    assert row.complete and row.completed_at == T0 + timedelta(days=1, minutes=42)
    streak = progress(world)[("streak_7", "u2")]
    assert streak.detail == {"longestStreak": 2, "timeZone": "UTC"} and not streak.complete


def test_a_gated_tier_waits_for_its_gate_even_when_the_gate_completes_later(world):
    verified(world, "u3", 100)
    with world.begin() as conn:
        conn.execute(achievements.update().where(achievements.c.id == "solves_10").values(active=False))
    tick(world)
    assert ("solves_100", "u3") not in progress(world)
    assert reconcile(world, PROCESSORS["solves_10"]).skipped  # inactive: skipped quietly
    with world.begin() as conn:
        conn.execute(achievements.update().where(achievements.c.id == "solves_10").values(active=True))
    tick(world)  # solves_100's checkpoint is past u3's solves: the gate brings u3 back
    row = progress(world)[("solves_100", "u3")]
    assert row.complete and row.completed_at == T0 + timedelta(minutes=99)


def test_a_solve_that_commits_late_is_not_lost(world, engine):
    late = engine.connect()
    late_tx = late.begin()
    verified(world, "u2", 1, conn=late)  # written first, committed last
    verified(world, "u3", 1, start=10)
    reconcile(world, PROCESSORS["first_verified_solve"])
    late_tx.commit()
    late.close()
    reconcile(world, PROCESSORS["first_verified_solve"])
    rows = progress(world)
    assert rows[("first_verified_solve", "u2")].complete and rows[("first_verified_solve", "u3")].complete


def test_an_open_transaction_elsewhere_does_not_delay_awards(world, engine):
    holder = engine.connect()  # an xid held open anywhere in the cluster keeps the snapshot's xmin down
    holder.execute(sa.text("SELECT pg_current_xact_id()"))
    try:
        verified(world, "u2", 1)
        assert reconcile(world, PROCESSORS["first_verified_solve"]).completed == ["u2"]
        again = reconcile(world, PROCESSORS["first_verified_solve"])  # re-read above the horizon: no change
        assert again.changed == 0 and again.completed == []
    finally:
        holder.rollback()
        holder.close()


def rebuild(db) -> None:
    with db.begin() as conn:
        conn.execute(achievement_progress.delete())
        for processor in PROCESSORS:
            checkpoint.lower_bound(conn, processor)
            checkpoint.reset(conn, processor)
    tick(db)


def snapshot(db) -> dict:
    return {k: (r.current_step, r.complete, r.completed_at, r.amount, r.detail) for k, r in progress(db).items()}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3", "ctf", "tick"]), st.integers(1, 12)),
                      min_size=1, max_size=8))  # fmt: skip
def test_any_interleaving_of_new_solves_and_ticks_equals_one_rebuild(world, steps):
    with world.begin() as conn:
        conn.execute(sa.text("TRUNCATE detections, challenge_solves, achievement_progress, achievement_checkpoints"))
    made: dict[str, int] = {}
    for who, n in steps:
        if who == "tick":
            tick(world)
        elif who == "ctf":
            ctf(world, n, start=made.get("ctf", 0), at=T0 + timedelta(days=2))
            made["ctf"] = made.get("ctf", 0) + n
        else:
            verified(world, who, n, start=made.get(who, 0))
            made[who] = made.get(who, 0) + n
    tick(world)
    incremental = snapshot(world)
    rebuild(world)
    assert snapshot(world) == incremental


def test_each_processor_is_an_asset_whose_check_catches_a_changed_award(world, env, redis_client, monkeypatch):
    from contest_pipelines import events
    from contest_pipelines.achievements import rollup
    from contest_pipelines.assets.achievements import achievement_assets
    from contest_pipelines.resources import PostgresResource, RedisResource

    verified(world, "u2", 10)
    resources = {
        "postgres": PostgresResource(database_url=env["DATABASE_URL"]),
        "redis": RedisResource(redis_url=env["REDIS_URL"]),
    }
    refreshes = []
    real_refresh = rollup.refresh
    monkeypatch.setattr(rollup, "refresh", lambda *a, **k: refreshes.append(1) or real_refresh(*a, **k))
    result = dg.materialize(achievement_assets, resources=resources)
    assert result.success
    assert len(refreshes) == 1  # by the rollup's asset; its readers in the same run do not refresh it again
    reader = {a.key: a for a in achievement_assets}[dg.AssetKey("achievement_streak_7")]
    assert dg.materialize([reader], resources=resources).success and len(refreshes) == 2  # alone, it does
    dg.materialize(achievement_assets, resources=resources)  # a second tick announces nothing again
    announced = [e for e in events.read_since(redis_client, "u2") if e.type == events.ACHIEVEMENT_COMPLETED]
    assert sorted(e.data["achievementId"] for e in announced) == ["first_verified_solve", "solves_10"]
    assert {e.data["completedAt"] for e in announced} == {T0.isoformat(), (T0 + timedelta(minutes=9)).isoformat()}
    metadata = result.asset_materializations_for_node("achievement_solves_10")[0].metadata
    assert metadata["newly_completed"].value == 1 and metadata["players_touched"].value == 1
    rollup = result.asset_materializations_for_node("achievement_solve_rollup")[0].metadata
    assert rollup["players_changed"].value >= 1  # the solve tiers, streaks and categories read it, downstream
    upstream = {a.key: a for a in achievement_assets}[dg.AssetKey("achievement_streak_7")].dependency_keys
    assert upstream == {dg.AssetKey("achievement_solve_rollup")}
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(PROCESSORS) and all(c.passed for c in checks)
    with world.begin() as conn:  # something outside the processors changes a completed award's amount
        conn.execute(achievement_progress.update().where(achievement_progress.c.achievement_id == "solves_10")
                     .values(amount=999))  # fmt: skip
    solves_10 = next(a for a in achievement_assets if a.key.path[-1] == "achievement_solves_10")
    [check] = dg.materialize([solves_10], resources=resources).get_asset_check_evaluations()
    assert not check.passed and "solves_10" in check.description
