"""`challenge_solves`: competitors' CTF challenge solves, partitioned by the UTC day they were solved."""

from datetime import UTC, datetime

import dagster as dg

from contest_pipelines.configs import GameSyncConfig
from contest_pipelines.game_platform.constants import GAME_GROUP
from contest_pipelines.game_platform.solves_sync import sync_day
from contest_pipelines.partitions import SOLVE_DAY_HINT, partition_key_or_fail, solve_days
from contest_pipelines.resources import GamePlatformResource, PostgresResource


@dg.asset(partitions_def=solve_days, group_name=GAME_GROUP, owners=["team:game-platform"], kinds={"postgres"})
def challenge_solves(
    context: dg.AssetExecutionContext,
    config: GameSyncConfig,
    postgres: PostgresResource,
    game_platform: GamePlatformResource,
) -> dg.MaterializeResult:
    """Competitors' challenge solves on the CTF game platform, one row per solve, by day solved."""
    partition = partition_key_or_fail(context, SOLVE_DAY_HINT)
    day = datetime.strptime(partition, "%Y-%m-%d").replace(tzinfo=UTC)
    with game_platform.client() as client:
        job, telemetry = sync_day(
            postgres.engine(),
            client,
            day,
            run_id=context.run_id,
            coach_id=config.coach_id,
            batch_size=config.batch_size,
            dry_run=config.dry_run,
        )
    context.log.info(f"{job} {partition}: {telemetry.as_dict()}")
    return dg.MaterializeResult(metadata=telemetry.as_metadata())
