"""Game-platform assets: `challenge_solves` (by day) and `player_totals`."""

from datetime import UTC, datetime

import dagster as dg

from contest_pipelines.db import game_platform as gp
from contest_pipelines.game_sync import Telemetry, backfill_day, incremental_sync, totals_sweep
from contest_pipelines.resources import GamePlatformResource, PostgresResource

GAME_GROUP = "game_platform"
NOT_CONFIGURED = "GAME_PLATFORM_API_URL / GAME_PLATFORM_API_TOKEN are not set: the game platform is not synced"
days = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="UTC", end_offset=1)


class GameSyncConfig(dg.Config):
    """Launchpad knobs: look without writing, one coach's competitors, batch size."""

    dry_run: bool = False
    coach_id: str | None = None
    batch_size: int = 100


def _metadata(telemetry: Telemetry) -> dict:
    t = telemetry.as_dict()
    return {
        "dagster/row_count": t["new_solves"],
        "processed": t["processed"],
        "synced": t["synced"],
        "skipped": t["skipped"],
        "new_solves": t["new_solves"],
        "api_calls": t["api_calls"],
        "errors": t["errors"],
        "flash_sentinel": t["flash_sentinel"],
        "flash_events_synced": t["flash_events_synced"],
        "duration_ms": round(t["duration_ms"], 1),
        "error_samples": "; ".join(t["error_samples"]) or "none",
    }


@dg.asset(partitions_def=days, group_name=GAME_GROUP, kinds={"postgres"})
def challenge_solves(
    context: dg.AssetExecutionContext,
    config: GameSyncConfig,
    postgres: PostgresResource,
    game_platform: GamePlatformResource,
) -> dg.MaterializeResult:
    """Competitors' challenge solves on the CTF game platform, one row per solve, by day solved."""
    engine, started = postgres.engine(), datetime.now(UTC)
    day = datetime.strptime(context.partition_key, "%Y-%m-%d").replace(tzinfo=UTC)
    with game_platform.client() as client:
        if day.date() >= started.date():
            telemetry = incremental_sync(
                engine, client, batch_size=config.batch_size, coach_id=config.coach_id, dry_run=config.dry_run
            )
            job = "game_platform_sync"
        else:  # an earlier day: a backfill, which never moves the incremental cursors
            telemetry = backfill_day(engine, client, day, coach_id=config.coach_id, dry_run=config.dry_run)
            job = "game_platform_backfill"
    with engine.begin() as conn:
        gp.record_run(conn, job, context.run_id, started, telemetry.as_dict(), config.dry_run)
    context.log.info(f"{job} {context.partition_key}: {telemetry.as_dict()}")
    return dg.MaterializeResult(metadata=_metadata(telemetry))


@dg.asset(group_name=GAME_GROUP, kinds={"postgres"})
def player_totals(
    context: dg.AssetExecutionContext,
    config: GameSyncConfig,
    postgres: PostgresResource,
    game_platform: GamePlatformResource,
) -> dg.MaterializeResult:
    """Each competitor's platform totals (challenges completed, total score, monthly CTF challenges)."""
    engine, started = postgres.engine(), datetime.now(UTC)
    with game_platform.client() as client:
        telemetry = totals_sweep(engine, client, batch_size=config.batch_size, dry_run=config.dry_run)
    with engine.begin() as conn:
        gp.record_run(conn, "totals_sweep", context.run_id, started, telemetry.as_dict(), config.dry_run)
    return dg.MaterializeResult(metadata=_metadata(telemetry))


game_platform_sync_job = dg.define_asset_job(
    "game_platform_sync_job",
    selection=[challenge_solves],
    description="Incremental solves (today's partition) or a day's backfill.",
)
totals_sweep_job = dg.define_asset_job(
    "totals_sweep_job", selection=[player_totals], description="Refresh totals of flagged competitors."
)
