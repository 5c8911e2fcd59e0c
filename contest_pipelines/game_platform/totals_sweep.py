"""The totals sweep (seed 001, section 19): fresh platform totals for competitors flagged by new solves."""

import time
from datetime import UTC, datetime

import sqlalchemy as sa

from contest_pipelines.clients.game_platform import GamePlatformClient, GamePlatformError
from contest_pipelines.game_platform import queries
from contest_pipelines.game_platform.fan_out import calls_in_flight
from contest_pipelines.game_platform.telemetry import Telemetry, record_run


def totals_sweep(
    engine: sa.Engine, client: GamePlatformClient, *, batch_size: int = 100, dry_run: bool = False
) -> Telemetry:
    """Fresh totals for flagged competitors, fetched concurrently; each flag clears only with its totals,
    in one transaction."""
    started, telemetry = time.perf_counter(), Telemetry(flash_sentinel="not run (sweep)")
    calls_before = client.api_calls
    with engine.connect() as conn:
        flagged = queries.flagged_for_totals(conn, batch_size)
    with calls_in_flight(client, flagged, client.get_odl_scores) as answers:
        for uid, scores in answers:
            telemetry.processed += 1
            if isinstance(scores, GamePlatformError):
                telemetry.error(f"{uid}: {scores.code}")
                continue
            if not dry_run:
                with engine.begin() as conn:
                    queries.store_totals(
                        conn, uid, scores.total_challenges_solved, scores.total_points, scores.monthly_ctf_challenges
                    )
            telemetry.synced += 1
    telemetry.api_calls = client.api_calls - calls_before
    telemetry.duration_ms = (time.perf_counter() - started) * 1000
    return telemetry


def sweep_totals(
    engine: sa.Engine,
    client: GamePlatformClient,
    *,
    run_id: str | None = None,
    batch_size: int = 100,
    dry_run: bool = False,
) -> Telemetry:
    """`totals_sweep`, recorded in `sync_runs` (what the `player_totals` asset runs)."""
    started = datetime.now(UTC)
    telemetry = totals_sweep(engine, client, batch_size=batch_size, dry_run=dry_run)
    record_run(engine, "totals_sweep", run_id, started, telemetry, dry_run)
    return telemetry
