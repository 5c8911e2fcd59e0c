"""`player_totals`: each competitor's totals on the CTF game platform."""

import dagster as dg

from contest_pipelines.configs import GameSyncConfig
from contest_pipelines.game_platform.constants import GAME_GROUP
from contest_pipelines.game_platform.totals_sweep import sweep_totals
from contest_pipelines.resources import GamePlatformResource, PostgresResource


@dg.asset(group_name=GAME_GROUP, owners=["team:game-platform"], kinds={"postgres"}, deps=["challenge_solves"])
def player_totals(
    context: dg.AssetExecutionContext,
    config: GameSyncConfig,
    postgres: PostgresResource,
    game_platform: GamePlatformResource,
) -> dg.MaterializeResult:
    """Each competitor's platform totals (challenges completed, total score, monthly CTF challenges)."""
    with game_platform.client() as client:
        telemetry = sweep_totals(
            postgres.engine(), client, run_id=context.run_id, batch_size=config.batch_size, dry_run=config.dry_run
        )
    return dg.MaterializeResult(metadata=telemetry.as_metadata())
