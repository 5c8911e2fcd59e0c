"""Challenge-solve sync passes: incremental solves by activity tier (with the Flash CTF sentinel)
and a day's backfill. Each returns truthful telemetry (seed 001, sections 19-22).

The calls of a pass are concurrent (`fan_out.calls_in_flight`: the client bounds them and paces them);
the decisions and writes stay in the caller's thread, one transaction per competitor as the answers
come back in order, so counts, cursors and failures are those of a serial pass."""

import logging
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from contest_pipelines.clients.game_platform import FlashCtfProgress, GamePlatformClient, GamePlatformError, OdlScores
from contest_pipelines.domain.tiers import SYNC_INTERVAL, next_due, tier_for
from contest_pipelines.game_platform import queries
from contest_pipelines.game_platform.fan_out import calls_in_flight
from contest_pipelines.game_platform.telemetry import Telemetry, record_run

log = logging.getLogger(__name__)
RETRY_AFTER_ERROR = timedelta(minutes=5)


def _solve_rows(syned_user_id: str, scores: OdlScores, after: int | None, until: int | None = None) -> list[dict]:
    # Section 21: filter by the cursor here too, so a server that ignores it cannot fake new activity.
    return [
        {
            "syned_user_id": syned_user_id,
            "challenge_solve_id": str(s.challenge_solve_id),
            "source": "odl",
            "challenge_id": str(s.challenge_id),
            "title": s.challenge_title,
            "category": s.challenge_category,
            "points": s.challenge_points,
            "solved_at": datetime.fromtimestamp(s.timestamp_unix, UTC),
            "raw": s.model_dump(),
        }
        for s in scores.challenge_solves
        if (after is None or s.timestamp_unix > after) and (until is None or s.timestamp_unix < until)
    ]


def incremental_sync(
    engine: sa.Engine,
    client: GamePlatformClient,
    *,
    now: datetime | None = None,
    batch_size: int = 100,
    coach_id: str | None = None,
    dry_run: bool = False,
) -> Telemetry:
    """Sync the competitors that are due, by tier, in one bounded batch."""
    started, now = time.perf_counter(), now or datetime.now(UTC)
    telemetry = Telemetry()
    with engine.begin() as conn:
        queries.ensure_sync_state(conn)
        due = queries.due_competitors(conn, now, batch_size, coach_id)
    calls_before = client.api_calls
    if due:
        _flash_sentinel(engine, client, telemetry, coach_id, dry_run, now)
    with calls_in_flight(
        client, due, lambda state: client.get_odl_scores(state.syned_user_id, after_time_unix=_cursor(state))
    ) as answers:
        for state, answer in answers:
            telemetry.processed += 1
            _store_one(engine, state, answer, now, telemetry, dry_run)
    telemetry.api_calls = client.api_calls - calls_before
    telemetry.duration_ms = (time.perf_counter() - started) * 1000
    return telemetry


def _cursor(state: sa.Row) -> int | None:
    # One second of overlap: a solve stamped in the cursor's own second but published late is still
    # seen; the unique key drops what was already stored, and `synced` counts only real inserts.
    return int(state.last_odl_synced_at.timestamp()) - 1 if state.last_odl_synced_at else None


def _store_one(
    engine: sa.Engine,
    state: sa.Row,
    scores: OdlScores | GamePlatformError,
    now: datetime,
    telemetry: Telemetry,
    dry_run: bool,
) -> None:
    """One competitor's answer (or failed call), written in its own transaction."""
    uid, after = state.syned_user_id, _cursor(state)
    if isinstance(scores, GamePlatformError):
        telemetry.error(f"{uid}: {scores.code}")
        if not dry_run:
            with engine.begin() as conn:  # the cursor stays where it was: the next run retries from it
                queries.record_sync(
                    conn,
                    uid,
                    {
                        "last_attempt_at": now,
                        "last_result": "error",
                        "error": str(scores)[:500],
                        "next_due_at": now + min(RETRY_AFTER_ERROR, SYNC_INTERVAL[state.activity_tier]),
                    },
                )
        return
    rows = _solve_rows(uid, scores, after)
    if dry_run:
        telemetry.synced += bool(rows)
        telemetry.skipped += not rows
        telemetry.new_solves += len(rows)
        return
    with engine.begin() as conn:
        inserted = queries.insert_solves(conn, rows)
        latest = max((r["solved_at"] for r in rows), default=None)
        last_activity = max((t for t in (state.last_activity_at, latest) if t is not None), default=None)
        tier = tier_for(last_activity, now)
        values = {
            "last_attempt_at": now,
            "error": None,
            "activity_tier": tier,
            "last_activity_at": last_activity,
            "next_due_at": next_due(tier, now),
            "last_result": "synced" if inserted else "skipped",
        }
        if latest is not None:
            # The cursor moves only with the write it describes, in the same transaction.
            values["last_odl_synced_at"] = max(latest, state.last_odl_synced_at or latest)
        if inserted:
            values["needs_totals_refresh"] = True
        queries.record_sync(conn, uid, values)
    telemetry.new_solves += inserted
    if inserted:
        telemetry.synced += 1
    else:
        telemetry.skipped += 1


def _flash_sentinel(
    engine: sa.Engine,
    client: GamePlatformClient,
    telemetry: Telemetry,
    coach_id: str | None,
    dry_run: bool,
    now: datetime,
) -> None:
    """Flash CTF events are global: one competitor's events tell whether a new event exists; only then
    is every competitor's Flash CTF progress fetched (section 22)."""
    with engine.connect() as conn:
        everyone = queries.all_competitor_ids(conn, coach_id)
    if not everyone:
        return
    try:
        sentinel = client.get_flash_ctf_progress(everyone[0])
    except GamePlatformError as exc:
        telemetry.flash_sentinel = f"error: {exc.code}"
        telemetry.error(f"flash sentinel {everyone[0]}: {exc.code}")
        return
    seen = [e.event_id for e in sentinel.flash_ctfs]
    with engine.connect() as conn:
        new = sorted(set(seen) - queries.known_flash_events(conn, seen))
    if not new:
        telemetry.flash_sentinel = "no new event"
        return
    telemetry.flash_sentinel = f"new event(s): {', '.join(new)}"
    log.info("new Flash CTF event(s) %s: syncing Flash CTF progress of %d competitors", new, len(everyone))
    with calls_in_flight(
        client, everyone, lambda uid: sentinel if uid == everyone[0] else client.get_flash_ctf_progress(uid)
    ) as answers:
        for uid, progress in answers:
            _store_flash(engine, uid, progress, now, telemetry, dry_run)


def _store_flash(
    engine: sa.Engine,
    uid: str,
    progress: FlashCtfProgress | GamePlatformError,
    now: datetime,
    telemetry: Telemetry,
    dry_run: bool,
) -> None:
    if isinstance(progress, GamePlatformError):
        telemetry.error(f"{uid} flash: {progress.code}")
        return
    rows = [
        {
            "syned_user_id": uid,
            "event_id": e.event_id,
            "name": e.flash_ctf_name,
            "challenges_solved": e.challenges_solved,
            "points_earned": e.points_earned,
            "rank": e.rank,
            "starts_at": datetime.fromtimestamp(e.flash_ctf_time_start_unix, UTC),
            "ends_at": datetime.fromtimestamp(e.flash_ctf_time_end_unix, UTC),
            "raw": e.model_dump(),
        }
        for e in progress.flash_ctfs
    ]
    if not dry_run:
        with engine.begin() as conn:
            queries.upsert_flash_events(conn, rows)
            queries.record_sync(conn, uid, {"last_flash_synced_at": now})
    telemetry.flash_events_synced += len(rows)


def backfill_day(
    engine: sa.Engine, client: GamePlatformClient, day: datetime, *, coach_id: str | None = None, dry_run: bool = False
) -> Telemetry:
    """Historical solves of one UTC day for every competitor. Idempotent (unique keys), and it never
    moves a cursor: the incremental sync keeps its own place."""
    started, telemetry = time.perf_counter(), Telemetry(flash_sentinel="not run (backfill)")
    start = int(day.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC).timestamp())
    calls_before = client.api_calls
    with engine.connect() as conn:
        everyone = queries.all_competitor_ids(conn, coach_id)
    with calls_in_flight(
        client, everyone, lambda uid: client.get_odl_scores(uid, after_time_unix=start - 1)
    ) as answers:
        for uid, scores in answers:
            telemetry.processed += 1
            if isinstance(scores, GamePlatformError):
                telemetry.error(f"{uid}: {scores.code}")
                continue
            rows = _solve_rows(uid, scores, start - 1, start + 86_400)
            inserted = 0
            if rows and not dry_run:
                with engine.begin() as conn:
                    inserted = queries.insert_solves(conn, rows)
            telemetry.new_solves += inserted
            telemetry.synced += bool(inserted)
            telemetry.skipped += not inserted
    telemetry.api_calls = client.api_calls - calls_before
    telemetry.duration_ms = (time.perf_counter() - started) * 1000
    return telemetry


def sync_day(
    engine: sa.Engine,
    client: GamePlatformClient,
    day: datetime,
    *,
    run_id: str | None = None,
    coach_id: str | None = None,
    batch_size: int = 100,
    dry_run: bool = False,
) -> tuple[str, Telemetry]:
    """One `challenge_solves` partition: today (or later) syncs incrementally, an earlier day is a
    backfill, which never moves the incremental cursors. The pass is recorded in `sync_runs`."""
    started = datetime.now(UTC)
    if day.date() >= started.date():
        job = "game_platform_sync"
        telemetry = incremental_sync(engine, client, batch_size=batch_size, coach_id=coach_id, dry_run=dry_run)
    else:
        job = "game_platform_backfill"
        telemetry = backfill_day(engine, client, day, coach_id=coach_id, dry_run=dry_run)
    record_run(engine, job, run_id, started, telemetry, dry_run)
    return job, telemetry
