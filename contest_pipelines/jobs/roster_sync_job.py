"""`roster_sync_job`: reconciles teams and memberships with the game platform."""

import dagster as dg

from contest_pipelines.game_platform.roster import sync_roster
from contest_pipelines.resources import GamePlatformResource, PostgresResource


class RosterConfig(dg.Config):
    dry_run: bool = False


@dg.op
def reconcile_rosters(
    context: dg.OpExecutionContext,
    config: RosterConfig,
    postgres: PostgresResource,
    game_platform: GamePlatformResource,
) -> dg.Output[dict]:
    """Diffs the platform's team assignments against the database and applies the difference."""
    with game_platform.client() as client:
        report = sync_roster(postgres.engine(), client, dry_run=config.dry_run)
        metadata = {**report.as_dict(), "api_calls": client.api_calls}
    for error in report.errors:
        context.log.warning(error)
    return dg.Output(metadata, metadata={k: str(v) if isinstance(v, list) else v for k, v in metadata.items()})


@dg.job(executor_def=dg.in_process_executor, description="Reconcile teams and memberships with the game platform.")
def roster_sync_job():
    reconcile_rosters()
