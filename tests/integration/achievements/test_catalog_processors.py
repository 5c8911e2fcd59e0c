"""The rest of the first set on a real PostgreSQL (seed 003's twelve tests, translated): day streaks in
the player's zone, category specialist, Flash CTF participation, room winners through corrections, the
weekly top 10 on an injected clock, profile completion, inactive rows, and what does not count."""

import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest_pipelines.achievements import rollup
from contest_pipelines.achievements.processors import (
    PROCESSORS,
    REGISTRY,
    ROLLUP_READERS,
    reconcile,
    reconcile_all,
)
from contest_pipelines.db.tables import (
    achievement_progress,
    achievement_solve_totals,
    achievements,
    calendar_feed_tokens,
    challenge_solves,
    detections,
    flash_ctf_events,
    players,
    rooms,
    settlement_ledger,
    sync_requests,
    team_members,
    teams,
)
from contest_pipelines.settlement.ledger import settle_room
from tests.factories import load, prediction_fixture, set_match_result

KOLKATA = "Asia/Kolkata"


def verified_at(db, user: str, times: list[datetime]) -> None:
    with db.begin() as conn:
        conn.execute(detections.insert(), [
            {"room_id": "room-1", "user_id": user, "problem_id": f"p{zlib.crc32(t.isoformat().encode())}",
             "cf_submission_id": zlib.crc32(f"{user}:{t.isoformat()}".encode()), "cf_timestamp": int(t.timestamp())}
            for t in times])  # fmt: skip


def ctf_at(db, times: list[datetime], category: str | None = "web", user: str = "g1", prefix: str = "cs") -> None:
    with db.begin() as conn:
        conn.execute(challenge_solves.insert(), [
            {"syned_user_id": user, "challenge_solve_id": f"{prefix}{i}", "source": "odl", "category": category,
             "solved_at": t} for i, t in enumerate(times)])  # fmt: skip


def progress(db, achievement: str) -> dict[str, sa.Row]:
    with db.connect() as conn:
        rows = conn.execute(sa.select(achievement_progress).where(achievement_progress.c.achievement_id == achievement))
        return {r.specifier: r for r in rows}


def tick(db, now: datetime | None = None, only: list[str] | None = None) -> list:
    reports = reconcile_all(db, now=now, only=only)
    for report in reports:
        assert not isinstance(report, Exception), report
    return reports


def last_run(db, user: str) -> tuple[date, date]:
    """The player's last run of days, as the solve rollup holds it (what the API's current streak is read from)."""
    with db.connect() as conn:
        row = conn.execute(sa.select(achievement_solve_totals).where(achievement_solve_totals.c.user_id == user)).one()
    return row.last_run_first, row.last_run_last


def set_zone(db, user: str, zone: str | None) -> None:
    with db.begin() as conn:
        conn.execute(players.update().where(players.c.user_id == user).values(time_zone=zone))


# --- day streaks -------------------------------------------------------------------------------------------
# One solve a day for seven UTC days: the first at 17:00 UTC (22:30 in Kolkata), the rest at 20:00 UTC
# (01:30 the next day in Kolkata), so Kolkata sees Mar 1, then Mar 3..8: a gap on Mar 2.
SEVEN_UTC_DAYS = [datetime(2026, 3, 1, 17, tzinfo=UTC)] + [datetime(2026, 3, d, 20, tzinfo=UTC) for d in range(2, 8)]


def test_streak_counts_consecutive_days_in_utc_and_completes_on_the_seventh(world):
    verified_at(world, "u2", SEVEN_UTC_DAYS)
    tick(world, only=["streak_7", "streak_30"])
    row = progress(world, "streak_7")["u2"]
    assert row.complete and row.completed_at == SEVEN_UTC_DAYS[-1] and row.amount == 50
    assert row.detail == {"longestStreak": 7, "timeZone": "UTC"}
    assert last_run(world, "u2") == (date(2026, 3, 1), date(2026, 3, 7))  # the current streak is read from it
    thirty = progress(world, "streak_30")["u2"]
    assert (thirty.current_step, thirty.complete) == (7, False)


def test_streak_days_are_the_players_own_and_a_backfilled_day_joins_two_runs(world):
    set_zone(world, "u2", KOLKATA)
    verified_at(world, "u2", SEVEN_UTC_DAYS)
    tick(world, only=["streak_7"])
    row = progress(world, "streak_7")["u2"]  # Kolkata: Mar 1, then Mar 3..8
    assert (row.current_step, row.complete) == (6, False)
    assert row.detail["longestStreak"] == 6 and last_run(world, "u2") == (date(2026, 3, 3), date(2026, 3, 8))

    verified_at(world, "u2", [datetime(2026, 3, 2, 5, tzinfo=UTC)])  # a late solve on Kolkata's Mar 2
    tick(world, only=["streak_7"])
    row = progress(world, "streak_7")["u2"]  # Mar 1..8: the 7th day is Mar 7 in Kolkata, 20:00 UTC on Mar 6
    assert row.complete and row.completed_at == datetime(2026, 3, 6, 20, tzinfo=UTC)
    assert row.detail["longestStreak"] == 8 and row.detail["timeZone"] == KOLKATA


def test_a_solve_on_a_day_already_counted_only_matters_when_it_precedes_the_completion(world):
    verified_at(world, "u2", SEVEN_UTC_DAYS)
    tick(world, only=["streak_7", "streak_30"])
    verified_at(world, "u2", [datetime(2026, 3, 4, 9, tzinfo=UTC)])  # Mar 4 had a solve: no run grows
    seven, thirty = tick(world, only=["streak_7", "streak_30"])
    assert (seven.players, thirty.players) == (1, 0)  # before streak_7's completion: looked at; streak_30 not
    assert progress(world, "streak_7")["u2"].completed_at == SEVEN_UTC_DAYS[-1]
    assert progress(world, "streak_30")["u2"].current_step == 7

    verified_at(world, "u2", [datetime(2026, 3, 7, 8, tzinfo=UTC)])  # earlier on the day it completed
    tick(world, only=["streak_7", "streak_30"])
    row = progress(world, "streak_7")["u2"]
    assert row.completed_at == datetime(2026, 3, 7, 8, tzinfo=UTC) and row.detail["longestStreak"] == 7

    verified_at(world, "u2", [datetime(2026, 3, 8, 1, tzinfo=UTC)])  # a new day: the run grows to 8
    seven, thirty = tick(world, only=["streak_7", "streak_30"])
    assert (seven.players, thirty.players) == (1, 1)
    assert progress(world, "streak_30")["u2"].current_step == 8
    assert progress(world, "streak_7")["u2"].detail["longestStreak"] == 8


def test_a_changed_time_zone_is_picked_up_without_a_new_solve(world):
    verified_at(world, "u2", SEVEN_UTC_DAYS)
    set_zone(world, "u2", KOLKATA)
    tick(world, only=["streak_7"])
    assert progress(world, "streak_7")["u2"].current_step == 6
    set_zone(world, "u2", None)
    tick(world, only=["streak_7"])
    assert progress(world, "streak_7")["u2"].complete


def test_streak_is_awarded_once_and_stays_after_the_streak_ends(world):
    later = [t + timedelta(days=20) for t in SEVEN_UTC_DAYS]
    verified_at(world, "u2", SEVEN_UTC_DAYS)
    tick(world, only=["streak_7"])
    verified_at(world, "u2", later)  # a second seven-day run: still one award, the first
    tick(world, only=["streak_7"])
    rows = progress(world, "streak_7")
    assert list(rows) == ["u2"] and rows["u2"].completed_at == SEVEN_UTC_DAYS[-1]
    assert last_run(world, "u2") == (date(2026, 3, 21), date(2026, 3, 27))


def test_an_inactive_streak_is_skipped_quietly(world):
    with world.begin() as conn:
        conn.execute(achievements.update().where(achievements.c.id == "streak_7").values(active=False))
    verified_at(world, "u2", SEVEN_UTC_DAYS)
    [report] = tick(world, only=["streak_7"])
    assert report.skipped and progress(world, "streak_7") == {}


def test_solves_of_both_kinds_make_one_streak(world):
    days = [datetime(2026, 3, d, 12, tzinfo=UTC) for d in range(1, 8)]
    verified_at(world, "u1", days[::2])  # Mar 1, 3, 5, 7 verified; Mar 2, 4, 6 on the game platform
    ctf_at(world, days[1::2])
    tick(world, only=["streak_7"])
    assert progress(world, "streak_7")["u1"].completed_at == days[-1]


# --- per-object awards ---------------------------------------------------------------------------------------
def test_category_specialist_is_one_award_per_category_at_the_tenth_solve(world):
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    ctf_at(world, [t0 + timedelta(hours=i) for i in range(12)], category="Web", prefix="w")
    ctf_at(world, [t0 + timedelta(hours=i) for i in range(9)], category="pwn", prefix="p")
    ctf_at(world, [t0 + timedelta(hours=i) for i in range(10)], category="  ", prefix="blank")  # uncategorised
    ctf_at(world, [t0 + timedelta(hours=i) for i in range(10)], category="web", user="g-unlinked", prefix="x")
    tick(world, only=["category_specialist"])
    rows = progress(world, "category_specialist")
    assert set(rows) == {"u1:web", "u1:pwn"}
    assert rows["u1:web"].complete and rows["u1:web"].completed_at == t0 + timedelta(hours=9)
    assert (rows["u1:pwn"].current_step, rows["u1:pwn"].complete) == (9, False)


def test_a_complete_category_changes_only_when_a_new_solve_precedes_its_completion(world):
    """Solves after a category's latest leave it alone (skipped unread, readers.CHANGED_CATEGORIES); a backfilled
    one before its tenth moves the completion earlier."""
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    ctf_at(world, [t0 + timedelta(hours=i) for i in range(12)], category="web", prefix="w")
    ctf_at(world, [t0 + timedelta(hours=i) for i in range(3)], category="pwn", prefix="p")
    tick(world, only=["category_specialist"])
    assert progress(world, "category_specialist")["u1:web"].completed_at == t0 + timedelta(hours=9)
    with world.begin() as conn:  # a mark any write of web's row would overwrite
        conn.execute(achievement_progress.update().where(achievement_progress.c.specifier == "u1:web")
                     .values(detail={"category": "unseen"}))  # fmt: skip
    ctf_at(world, [t0 + timedelta(days=1)], category="web", prefix="late-web")  # after every web solve
    ctf_at(world, [t0 + timedelta(days=1)], category="pwn", prefix="late-pwn")
    [report] = tick(world, only=["category_specialist"])
    rows = progress(world, "category_specialist")
    assert report.changed == 1 and rows["u1:pwn"].current_step == 4  # pwn moved on
    assert rows["u1:web"].detail == {"category": "unseen"}  # web, complete before, not rewritten
    ctf_at(world, [t0 + timedelta(hours=5, minutes=30)], category="web", prefix="back-web")  # before the 10th
    [report] = tick(world, only=["category_specialist"])
    web = progress(world, "category_specialist")["u1:web"]
    assert report.changed == 1 and web.detail == {"category": "web"}
    assert web.completed_at == t0 + timedelta(hours=8)


def test_flash_ctf_participation_is_one_award_per_event(world):
    start = datetime(2026, 3, 7, 16, tzinfo=UTC)
    with world.begin() as conn:
        conn.execute(flash_ctf_events.insert(), [
            {"syned_user_id": u, "event_id": e, "name": e, "starts_at": at, "challenges_solved": n}
            for u, e, at, n in (("g1", "e1", start, 3), ("g1", "e2", start + timedelta(days=7), 0),
                                ("g-unlinked", "e1", start, 1))
        ])  # fmt: skip
    tick(world, only=["flash_ctf_participant"])
    rows = progress(world, "flash_ctf_participant")
    assert set(rows) == {"u1:e1", "u1:e2"} and rows["u1:e1"].completed_at == start and rows["u1:e1"].amount == 20
    with world.begin() as conn:  # re-synced (an update): the same award, nothing new
        conn.execute(flash_ctf_events.update().values(challenges_solved=5, synced_at=sa.func.now()))
    assert tick(world, only=["flash_ctf_participant"])[0].changed == 0


@pytest.fixture
def league(db):
    load(db, prediction_fixture(rooms={
        "p1": {"ann": (2, 1), "bob": (1, 0), "cat": (0, 2), "dan": (2, 1)},
        "p2": {"ann": (0, 0), "bob": (1, 1), "eve": (3, 0)},
    }))  # fmt: skip
    return db


def test_room_winner_and_a_correction_that_changes_the_winner(league):
    set_match_result(league, "p1", 2, 1)
    settle_room(league, "p1")  # ann and dan guessed 2-1 (3 points); ann guessed first
    tick(league, only=["room_winner"])
    assert set(progress(league, "room_winner")) == {"ann:p1"}
    set_match_result(league, "p1", 1, 0)  # corrected: bob's 1-0 is exact now
    settle_room(league, "p1")
    tick(league, only=["room_winner"])
    rows = progress(league, "room_winner")
    assert set(rows) == {"ann:p1", "bob:p1"}  # the new winner too; the old award stays
    with league.connect() as conn:
        ledger = conn.execute(sa.select(settlement_ledger.c["version", "winners", "created_at"])
                              .order_by(settlement_ledger.c.version)).all()  # fmt: skip
    assert [(v, w) for v, w, _ in ledger] == [(1, ["ann"]), (2, ["bob"])]
    assert rows["bob:p1"].completed_at == ledger[1].created_at and rows["bob:p1"].detail["version"] == 2


def test_nobody_wins_a_room_where_nobody_scored(league):
    set_match_result(league, "p1", 0, 0)  # a draw nobody in p1 guessed: every member has 0 points
    settle_room(league, "p1")
    tick(league, only=["room_winner"])
    assert progress(league, "room_winner") == {}
    with league.connect() as conn:
        assert conn.execute(sa.select(settlement_ledger.c["status", "winners"])).all() == [("applied", None)]


# --- the weekly top 10, on an injected clock -----------------------------------------------------------------
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # ISO week 2026-W10: Monday Mar 2 to Sunday Mar 8
WEEK_ENDS = MONDAY + timedelta(days=7)


def settle_in_week(db) -> None:
    with db.begin() as conn:
        for room_id, day in (("p1", 2), ("p2", 4)):  # Wednesday and Friday of W10
            ends = MONDAY + timedelta(days=day)
            conn.execute(rooms.update().where(rooms.c.room_id == room_id)
                         .values(starts_at=ends - timedelta(hours=2), ends_at=ends))  # fmt: skip
    set_match_result(db, "p1", 2, 1)
    set_match_result(db, "p2", 1, 1)
    settle_room(db, "p1")
    settle_room(db, "p2")


def test_weekly_top10_is_not_awarded_before_the_week_ends(league):
    settle_in_week(league)
    for now in (MONDAY + timedelta(days=3), WEEK_ENDS - timedelta(seconds=1)):  # Thursday, Sunday 23:59:59
        tick(league, now=now, only=["weekly_top10"])
        assert progress(league, "weekly_top10") == {}


def test_weekly_top10_is_awarded_once_after_the_week_whatever_day_the_tick_runs(league):
    settle_in_week(league)
    tick(league, now=MONDAY + timedelta(days=5), only=["weekly_top10"])  # Saturday: nothing yet
    [report] = tick(league, now=WEEK_ENDS + timedelta(hours=3), only=["weekly_top10"])
    rows = progress(league, "weekly_top10")
    # p1 2-1: ann 3, dan 3, bob 1; p2 1-1: bob 3 (exact), ann 1 (draw) -> ann 4, bob 4, dan 3.
    assert {s: (r.detail["rank"], r.detail["points"], r.amount) for s, r in rows.items()} == {
        "ann:t1:2026-W10": (1, 4, 300), "bob:t1:2026-W10": (1, 4, 300), "dan:t1:2026-W10": (3, 3, 200),
    }  # fmt: skip
    assert all(r.completed_at == WEEK_ENDS for r in rows.values()) and len(report.completed) == 3
    for days in (1, 2, 4, 6):  # Tuesday to Sunday of the next week, and more than once a day
        for _ in range(2):
            [again] = tick(league, now=WEEK_ENDS + timedelta(days=days), only=["weekly_top10"])
            assert (again.changed, again.completed) == (0, [])
    assert progress(league, "weekly_top10") == rows


# --- profile completion --------------------------------------------------------------------------------------
def test_profile_complete_reflects_partial_progress_then_completes(world):
    tick(world, only=["profile_complete"])
    row = progress(world, "profile_complete")["u1"]  # handle and game platform: 2 of 5
    assert (row.current_step, row.complete) == (2, False)
    assert row.detail == {"codeforcesHandle": True, "gamePlatform": True, "team": False, "firstVerifiedSolve": False,
                          "calendarConnected": False}  # fmt: skip
    others = progress(world, "profile_complete")
    assert others["u2"].current_step == 1 and "u3" not in others  # u3: no handle, nothing else
    with world.begin() as conn:
        conn.execute(teams.insert().values(team_id="t1", name="T1"))
        conn.execute(team_members.insert().values(team_id="t1", user_id="u1"))
    verified_at(world, "u1", [datetime(2026, 3, 1, tzinfo=UTC)])
    tick(world, only=["profile_complete"])
    assert progress(world, "profile_complete")["u1"].current_step == 4
    with world.begin() as conn:
        conn.execute(calendar_feed_tokens.insert().values(user_id="u1", token="tok"))
        token_at = conn.execute(sa.select(calendar_feed_tokens.c.created_at)).scalar_one()
    tick(world, only=["profile_complete"])
    row = progress(world, "profile_complete")["u1"]
    assert row.complete and row.current_step == 5 and row.amount == 25 and row.completed_at == token_at


# --- what does not count ---------------------------------------------------------------------------------------
def test_solves_count_only_verified_and_linked_ones(world):
    with world.begin() as conn:  # ten sync requests still waiting are not solves
        conn.execute(sync_requests.insert(), [
            {"room_id": "room-1", "user_id": "u2", "cf_handle": "petr", "problem_id": f"{1800 + i}A"}
            for i in range(10)])  # fmt: skip
    ctf_at(world, [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=i) for i in range(10)], user="g-unlinked")
    tick(world)
    assert progress(world, "solves_10") == {} and progress(world, "first_ctf_solve") == {}
    with world.begin() as conn:  # the game platform account is linked later: its solves become the player's
        conn.execute(players.update().where(players.c.user_id == "u2").values(game_platform_id="g-unlinked"))
    tick(world)
    assert progress(world, "solves_10")["u2"].complete and progress(world, "first_ctf_solve")["u2"].complete


def test_a_rebuild_keeps_completed_awards_and_re_derives_the_rest(world):
    verified_at(world, "u2", SEVEN_UTC_DAYS)
    tick(world)
    before = {a: progress(world, a) for a in PROCESSORS}
    report = reconcile(world, PROCESSORS["streak_7"], rebuild=True)
    assert report.changed == 0  # everything was already what the sources say
    assert {a: progress(world, a) for a in PROCESSORS}.keys() == before.keys()
    assert progress(world, "streak_7")["u2"].completed_at == before["streak_7"]["u2"].completed_at


# --- invariants ------------------------------------------------------------------------------------------------
def state(db) -> dict:
    with db.connect() as conn:
        return {
            "progress": sorted(tuple(r) for r in conn.execute(sa.text(
                "SELECT achievement_id, specifier, current_step, complete, completed_at, amount, detail::text"
                " FROM achievement_progress"))),
            "completions": sorted(tuple(r) for r in conn.execute(sa.text(
                "SELECT achievement_id, specifier, completed_at, amount FROM achievement_completions"))),
            "checkpoints": sorted(tuple(r) for r in conn.execute(sa.text(
                "SELECT processor, lower_xid::text, clock_at FROM achievement_checkpoints"))),
            "rollup": sorted((rollup.CHECKPOINT, table, *r) for table in rollup.TABLES
                             for r in conn.execute(sa.text(f"SELECT md5(string_agg(t::text, ',' ORDER BY t::text))"
                                                           f" FROM {table} t"))),
        }  # fmt: skip


solve_days = st.lists(st.tuples(st.sampled_from(["u1", "u2", "ctf"]), st.integers(0, 20), st.integers(0, 23)),
                      min_size=1, max_size=25)  # fmt: skip


def add_solves(db, picks, batch: int) -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    mine = [(w, t0 + timedelta(days=d, hours=h, minutes=batch)) for w, d, h in picks]
    for user in ("u1", "u2"):
        if times := sorted({t for w, t in mine if w == user}):
            verified_at(db, user, times)
    if times := [t for w, t in mine if w == "ctf"]:
        ctf_at(db, times, category=f"c{batch % 2}", prefix=f"b{batch}-")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=solve_days, second=solve_days, zone=st.sampled_from([None, KOLKATA, "America/Los_Angeles"]))
def test_reconcile_twice_equals_once(world, first, second, zone):
    with world.begin() as conn:
        conn.execute(sa.text("TRUNCATE detections, challenge_solves, achievement_progress, achievement_completions,"
                             " achievement_checkpoints"))  # fmt: skip
    set_zone(world, "u2", zone)
    add_solves(world, first, 0)
    tick(world)
    add_solves(world, second, 1)
    tick(world)
    once = state(world)["progress"]
    assert all(r.changed == 0 and not r.completed for r in tick(world))
    assert state(world)["progress"] == once


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(solve_days, min_size=1, max_size=5), zone=st.sampled_from([None, KOLKATA]))
def test_any_interleaving_of_dated_solves_and_ticks_equals_a_rebuild_from_empty(world, batches, zone):
    """Backfilled days joining runs, a run growing past a completion, solves landing on days already counted
    (skipped by the streaks unless they precede a completion): ticked batch by batch, the streaks, the
    categories and the tiers end where a rebuild from nothing does."""
    with world.begin() as conn:
        conn.execute(sa.text("TRUNCATE detections, challenge_solves, achievement_progress, achievement_completions,"
                             " achievement_checkpoints"))  # fmt: skip
    set_zone(world, "u2", zone)
    for batch, picks in enumerate(batches):
        add_solves(world, picks, batch)
        tick(world, only=ROLLUP_READERS)
    incremental = state(world)["progress"]
    with world.begin() as conn:
        conn.execute(sa.text("TRUNCATE achievement_progress, achievement_completions"))
    reconcile_all(world, only=ROLLUP_READERS, rebuild=True)
    assert state(world)["progress"] == incremental


class Killed(Exception):
    pass


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=solve_days, kill_at=st.integers(0, 60))
def test_a_run_killed_mid_batch_leaves_nothing_half_applied(world, picks, kill_at):
    with world.begin() as conn:
        conn.execute(sa.text("TRUNCATE detections, challenge_solves, achievement_progress, achievement_completions,"
                             " achievement_checkpoints"))  # fmt: skip
    add_solves(world, picks[: len(picks) // 2], 0)
    tick(world)
    add_solves(world, picks[len(picks) // 2 :], 1)
    before = state(world)
    statements = {"n": 0}

    def die(conn, cursor, statement, parameters, context, executemany):
        statements["n"] += 1
        if statements["n"] == kill_at + 1:
            raise Killed(f"killed at statement {kill_at}")

    sa.event.listen(world, "before_cursor_execute", die)
    try:
        reports = reconcile_all(world)
    finally:
        sa.event.remove(world, "before_cursor_execute", die)
    failed = [(p.achievement_id, r) for p, r in zip(REGISTRY, reports, strict=True) if isinstance(r, Exception)]
    assert all("killed at statement" in str(exc) for _, exc in failed)
    if len({id(exc) for _, exc in failed}) == 1 and len(failed) > 1:  # the rollup died: its readers with it
        assert [name for name, _ in failed] == ROLLUP_READERS
        failed.append((rollup.CHECKPOINT, failed[0][1]))
    else:
        assert len(failed) <= 1
    after = state(world)
    for name, _ in failed:  # what died wrote nothing and its checkpoint did not move
        for part in ("progress", "completions", "checkpoints", "rollup"):
            assert [r for r in after[part] if r[0] == name] == [r for r in before[part] if r[0] == name]
    tick(world)  # the next tick finishes the work: the same state as if nothing had died
    healed = state(world)
    with world.begin() as conn:
        conn.execute(sa.text("TRUNCATE achievement_progress, achievement_completions, achievement_checkpoints"))
    tick(world)
    assert state(world)["progress"] == healed["progress"]
