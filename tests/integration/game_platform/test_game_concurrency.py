"""Concurrent game-platform calls (issue 12): they overlap, they stay within the rate limit, and a pass
counts, writes and fails exactly as a serial one does."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest_pipelines.clients.game_platform import GamePlatformClient
from contest_pipelines.db.tables import (
    challenge_solves,
    coaches,
    flash_ctf_events,
    player_totals,
    players,
    sync_state,
)
from contest_pipelines.game_platform.solves_sync import backfill_day, incremental_sync
from contest_pipelines.game_platform.totals_sweep import totals_sweep
from contest_pipelines.resources import GamePlatformResource
from contest_pipelines.settings import get_settings
from tests.integration.game_platform.test_game_sync import competitors, state

NOW = datetime.now(UTC).replace(microsecond=0)
ODL = "/scores/get_odl_scores"
VOLATILE = {"ingested_at", "synced_at", "refreshed_at", "write_xid"}  # stamped by the database clock


def client_for(platform, concurrency: int, per_second: float = 1000.0) -> GamePlatformClient:
    return GamePlatformClient(
        platform.base_url,
        platform.token,
        backoff_seconds=0,
        timeout_seconds=0.5,
        max_concurrency=concurrency,
        max_calls_per_second=per_second,
    )


@pytest.mark.parametrize("sweep", ["incremental", "flash fan-out", "totals", "backfill"])
def test_calls_overlap_up_to_the_concurrency_bound(db, platform, sweep):
    ids = competitors(db, 20, platform)
    day = (NOW - timedelta(days=2)).replace(hour=0, minute=0, second=0)
    for uid in ids:
        platform.add_solve(uid, timestamp_unix=int((day + timedelta(hours=3)).timestamp()))
    with client_for(platform, 4) as client:
        if sweep in ("flash fan-out", "totals"):
            incremental_sync(db, client)  # everyone synced (and flagged for totals), nobody due
        if sweep == "flash fan-out":  # a new event, one competitor due: the overlap is the fan-out's
            for uid in ids:
                platform.add_flash_ctf_event(uid, "flash-1")
            with db.begin() as conn:
                conn.execute(sync_state.update().where(sync_state.c.syned_user_id == ids[0]).values(next_due_at=NOW))
        platform.latency_seconds, platform.max_in_flight = 0.1, 0  # measure this pass only
        report = {
            "incremental": lambda: incremental_sync(db, client),
            "flash fan-out": lambda: incremental_sync(db, client),
            "totals": lambda: totals_sweep(db, client),
            "backfill": lambda: backfill_day(db, client, day),
        }[sweep]()
    assert report.errors == 0
    if sweep == "flash fan-out":
        assert (report.processed, report.flash_events_synced, report.api_calls) == (1, 20, 21)
    else:
        assert report.processed == 20
    assert 1 < platform.max_in_flight <= 4


def test_no_second_carries_more_calls_than_the_rate_limit(db, platform):
    ids = competitors(db, 30, platform)
    platform.inject("http500", times=2, path=ODL, syned_user_id=ids[7])  # its retries count too
    with client_for(platform, 8, per_second=10) as client:
        report = incremental_sync(db, client)
    assert (report.processed, report.errors, report.api_calls) == (30, 0, 33)  # sentinel + 30 + 2 retries
    starts = sorted(call.at for call in platform.calls)
    assert len(starts) == 33
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest <= 10


def test_one_competitors_500_or_timeout_fails_only_that_competitor(db, platform):
    ids = competitors(db, 6, platform)
    for uid in ids:
        platform.add_solve(uid, timestamp_unix=int(time.time()) - 120)
    platform.inject("http500", times=3, path=ODL, syned_user_id=ids[1])
    platform.inject("timeout", times=3, path=ODL, syned_user_id=ids[4])
    with client_for(platform, 8) as client:
        report = incremental_sync(db, client)
        assert (report.processed, report.synced, report.skipped, report.errors) == (6, 4, 0, 2)
        assert sorted(report.error_samples) == [f"{ids[1]}: server_error", f"{ids[4]}: timeout"]
        for uid in ids:
            row = state(db, uid)
            failed = uid in (ids[1], ids[4])
            assert row.last_result == ("error" if failed else "synced")
            assert (row.last_odl_synced_at is None) == failed  # a failed call leaves the cursor alone
            assert row.needs_totals_refresh == (not failed)
        with db.connect() as conn:
            stored = set(conn.execute(sa.select(challenge_solves.c.syned_user_id)).scalars())
        assert stored == set(ids) - {ids[1], ids[4]}

        with db.begin() as conn:
            conn.execute(sync_state.update().values(next_due_at=sa.func.now() - sa.text("interval '1 second'")))
        again = incremental_sync(db, client)
    assert (again.synced, again.skipped, again.errors) == (2, 4, 0)


# ---------------------------------------------------------------------------------------------- serial == concurrent

FAULTS = [None, None, None, "http404", "http500x3", "http500x1"]
competitor = st.fixed_dictionaries(
    {
        "history": st.lists(st.integers(60, 40 * 86_400), max_size=4),  # seconds before NOW
        "later": st.lists(st.integers(1, 9 * 3600), max_size=2),  # solved after NOW, before the second pass
        "flash": st.booleans(),
        "fault": st.sampled_from(FAULTS),
    }
)


def _reset(db, platform) -> None:
    # DELETE, not TRUNCATE: a handful of rows, and a truncation costs a file per table.
    with db.begin() as conn:
        for table in (sync_state, challenge_solves, flash_ctf_events, player_totals, players, coaches):
            conn.execute(table.delete())
    platform.reset()


def _fault(platform, uid: str, fault: str | None) -> None:
    if fault == "http404":
        platform.inject("http404", path=ODL, syned_user_id=uid)
    elif fault is not None:
        platform.inject("http500", times=int(fault[-1]), path=ODL, syned_user_id=uid)


def _rows(db, table) -> list[dict]:
    with db.connect() as conn:
        rows = conn.execute(sa.select(table)).mappings().all()
    return sorted(({k: v for k, v in r.items() if k not in VOLATILE} for r in rows), key=repr)


def _counts(report) -> dict:
    return {k: v for k, v in report.as_dict().items() if k != "duration_ms"}


def _two_passes(db, platform, population: list[dict], concurrency: int) -> list:
    """A first pass (everyone new), a totals sweep, new solves, then a second pass 9 hours on."""
    _reset(db, platform)
    ids = competitors(db, len(population), platform)
    for uid, c in zip(ids, population):
        for ago in c["history"]:
            platform.add_solve(uid, timestamp_unix=int(NOW.timestamp()) - ago)
        if c["flash"]:
            platform.add_flash_ctf_event(uid, "flash-1", points_earned=10, start_unix=int(NOW.timestamp()) - 7200)
        _fault(platform, uid, c["fault"])
    seen = []
    with client_for(platform, concurrency) as client:
        seen.append(_counts(incremental_sync(db, client, now=NOW)))
        seen.append(_counts(totals_sweep(db, client)))
        seen += [_rows(db, t) for t in (sync_state, challenge_solves, flash_ctf_events, player_totals)]
        for uid, c in zip(ids, population):
            for after in c["later"]:
                platform.add_solve(uid, timestamp_unix=int(NOW.timestamp()) + after)
            _fault(platform, uid, c["fault"])
        seen.append(_counts(incremental_sync(db, client, now=NOW + timedelta(hours=9))))
    seen += [_rows(db, t) for t in (sync_state, challenge_solves, flash_ctf_events)]
    return seen


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(population=st.lists(competitor, min_size=1, max_size=10))
def test_a_concurrent_pass_counts_and_moves_cursors_exactly_as_a_serial_one(db, platform, population):
    serial = _two_passes(db, platform, population, concurrency=1)
    concurrent = _two_passes(db, platform, population, concurrency=8)
    assert concurrent == serial
    assert serial[0]["processed"] == len(population)


def test_the_resource_reads_both_limits_from_the_settings_unless_given(monkeypatch, platform):
    monkeypatch.setenv("GAME_PLATFORM_MAX_CONCURRENCY", "3")
    monkeypatch.setenv("GAME_PLATFORM_MAX_CALLS_PER_SECOND", "12.5")
    get_settings.cache_clear()
    try:
        with GamePlatformResource(base_url=platform.base_url, token=platform.token).client() as client:
            assert (client.max_concurrency, client.pacer.calls_per_second) == (3, 12.5)
        given_limits = GamePlatformResource(
            base_url=platform.base_url, token=platform.token, max_concurrency=2, max_calls_per_second=5
        )
        with given_limits.client() as client:
            assert (client.max_concurrency, client.pacer.calls_per_second) == (2, 5)
    finally:
        get_settings.cache_clear()
