"""Game-platform sync passes against the fake platform and real PostgreSQL."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from contest_pipelines.clients.game_platform import GamePlatformClient
from contest_pipelines.db.tables import challenge_solves, flash_ctf_events, player_totals, sync_state
from contest_pipelines.game_platform.solves_sync import backfill_day, incremental_sync
from contest_pipelines.game_platform.totals_sweep import totals_sweep
from tests.factories import load

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def client(platform):
    with GamePlatformClient(platform.base_url, platform.token, backoff_seconds=0, timeout_seconds=0.5) as c:
        yield c


def competitors(db, n: int, platform, coach: str = "coach-1") -> list[str]:
    ids = [f"syned-{i:03d}" for i in range(n)]
    load(
        db,
        {
            "coaches": [{"coachId": coach, "name": "Coach"}],
            "players": [
                {"userId": f"u{i:03d}", "coachId": coach, "status": "complete", "gamePlatformId": uid}
                for i, uid in enumerate(ids)
            ],
        },
    )
    for uid in ids:
        platform.add_user(uid)
    return ids


def state(db, uid):
    with db.connect() as conn:
        return conn.execute(sa.select(sync_state).where(sync_state.c.syned_user_id == uid)).one()


def make_all_due(db):
    with db.begin() as conn:
        conn.execute(sync_state.update().values(next_due_at=sa.func.now() - sa.text("interval '1 second'")))


def count(db, table):
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_section_21_one_new_solve_among_22_competitors(db, platform, client):
    ids = competitors(db, 22, platform)
    for uid in ids:
        platform.add_solve(uid, timestamp_unix=int(time.time()) - 3600)
    first = incremental_sync(db, client)
    assert (first.processed, first.synced, first.skipped) == (22, 22, 0)

    make_all_due(db)
    quiet = incremental_sync(db, client)
    assert (quiet.synced, quiet.skipped) == (0, 22)

    platform.add_solve(ids[5], timestamp_unix=int(time.time()) - 10)
    make_all_due(db)
    one = incremental_sync(db, client)
    assert (one.processed, one.synced, one.skipped) == (22, 1, 21)
    assert one.new_solves == 1 and count(db, challenge_solves) == 23
    assert [state(db, uid).needs_totals_refresh for uid in (ids[5], ids[6])] == [True, True]  # set by first sync too


def test_cursor_advances_only_with_a_committed_write_and_never_on_failure(db, platform, client):
    [uid] = competitors(db, 1, platform)
    solve = platform.add_solve(uid, timestamp_unix=int(time.time()) - 100)
    incremental_sync(db, client)
    cursor = state(db, uid).last_odl_synced_at
    assert int(cursor.timestamp()) == solve["timestamp_unix"]
    assert platform.calls_for("/scores/get_odl_scores")[-1].params.get("after_time_unix") is None

    platform.add_solve(uid, timestamp_unix=int(time.time()) - 50)
    platform.inject("http500", times=3, path="/scores/get_odl_scores")
    make_all_due(db)
    failed = incremental_sync(db, client)
    assert failed.errors == 1 and state(db, uid).last_odl_synced_at == cursor
    assert state(db, uid).last_result == "error"

    make_all_due(db)
    recovered = incremental_sync(db, client)
    assert recovered.synced == 1 and state(db, uid).last_odl_synced_at > cursor
    assert platform.calls_for("/scores/get_odl_scores")[-1].params["after_time_unix"] == str(
        int(cursor.timestamp()) - 1
    )


def test_competitors_are_synced_by_tier_in_bounded_batches(db, platform, client):
    ids = competitors(db, 5, platform)
    platform.add_solve(ids[0], timestamp_unix=int(time.time()) - 60)  # active
    platform.add_solve(ids[1], timestamp_unix=int(time.time()) - 20 * 86_400)  # moderate
    batch = incremental_sync(db, client, batch_size=3)
    assert batch.processed == 3
    rest = incremental_sync(db, client, batch_size=3)
    assert rest.processed == 2
    assert incremental_sync(db, client).processed == 0  # nobody is due again yet
    tiers = {uid: state(db, uid).activity_tier for uid in ids}
    assert tiers == {ids[0]: "active", ids[1]: "moderate", ids[2]: "inactive", ids[3]: "inactive", ids[4]: "inactive"}
    due_in = {uid: state(db, uid).next_due_at - state(db, uid).last_attempt_at for uid in ids[:3]}
    assert due_in == {ids[0]: timedelta(minutes=30), ids[1]: timedelta(hours=2), ids[2]: timedelta(hours=8)}


def test_flash_sentinel_makes_one_call_without_a_new_event(db, platform, client):
    ids = competitors(db, 6, platform)
    for uid in ids:
        platform.add_flash_ctf_event(uid, "flash-2026-10", points_earned=50)
    first = incremental_sync(db, client)
    assert first.flash_sentinel.startswith("new event") and first.flash_events_synced == 6
    assert len(platform.calls_for("/scores/get_flash_ctf_progress")) == 6

    make_all_due(db)
    quiet = incremental_sync(db, client)
    assert quiet.flash_sentinel == "no new event"
    assert len(platform.calls_for("/scores/get_flash_ctf_progress")) == 7  # just the sentinel

    for uid in ids:
        platform.add_flash_ctf_event(uid, "flash-2026-11", points_earned=80)
    make_all_due(db)
    assert incremental_sync(db, client).flash_events_synced == 12
    assert count(db, flash_ctf_events) == 12


def test_totals_sweep_clears_flags_only_on_success_and_resumes_after_a_crash(db, platform, client):
    ids = competitors(db, 3, platform)
    for uid in ids:
        platform.add_solve(uid, points=100, timestamp_unix=int(time.time()) - 60)
    incremental_sync(db, client)
    # The first competitor's refresh fails (pinned to it: the calls of a sweep are in flight together).
    platform.inject("http500", times=3, path="/scores/get_odl_scores", syned_user_id=ids[0])

    swept = totals_sweep(db, client, batch_size=100)
    assert (swept.processed, swept.synced, swept.errors) == (3, 2, 1)
    assert [state(db, uid).needs_totals_refresh for uid in ids] == [True, False, False]

    resumed = totals_sweep(db, client)
    assert (resumed.processed, resumed.synced) == (1, 1)
    with db.connect() as conn:
        totals = dict(conn.execute(sa.select(player_totals.c.syned_user_id, player_totals.c.total_score)).all())
    assert totals == {uid: 100 for uid in ids}


def test_a_day_backfill_is_idempotent_and_leaves_cursors_alone(db, platform, client):
    [uid] = competitors(db, 1, platform)
    day = (NOW - timedelta(days=3)).replace(hour=0, minute=0, second=0)
    inside = [platform.add_solve(uid, timestamp_unix=int((day + timedelta(hours=h)).timestamp())) for h in (1, 23)]
    platform.add_solve(uid, timestamp_unix=int((day - timedelta(minutes=1)).timestamp()))  # the day before
    platform.add_solve(uid, timestamp_unix=int((day + timedelta(days=1)).timestamp()))  # the day after

    first = backfill_day(db, client, day)
    second = backfill_day(db, client, day)
    assert (first.new_solves, second.new_solves) == (2, 0)
    with db.connect() as conn:
        stored = set(conn.execute(sa.select(challenge_solves.c.challenge_solve_id)).scalars())
        cursor = conn.execute(sa.select(sync_state.c.last_odl_synced_at)).scalar_one_or_none()
    assert stored == {str(s["challenge_solve_id"]) for s in inside}
    assert cursor is None


def test_dry_run_writes_nothing(db, platform, client):
    [uid] = competitors(db, 1, platform)
    platform.add_solve(uid, timestamp_unix=int(time.time()) - 60)
    report = incremental_sync(db, client, dry_run=True)
    assert report.synced == 1 and count(db, challenge_solves) == 0
    assert state(db, uid).last_odl_synced_at is None


def test_a_solve_published_late_in_the_cursors_own_second_is_not_lost(db, platform, client):
    [uid] = competitors(db, 1, platform)
    stamp = int(time.time()) - 100
    platform.add_solve(uid, timestamp_unix=stamp)
    incremental_sync(db, client)
    platform.add_solve(uid, timestamp_unix=stamp)  # same second, visible only now
    make_all_due(db)
    late = incremental_sync(db, client)
    assert (late.synced, late.new_solves) == (1, 1) and count(db, challenge_solves) == 2
    make_all_due(db)
    assert incremental_sync(db, client).synced == 0  # the overlap second never counts twice
