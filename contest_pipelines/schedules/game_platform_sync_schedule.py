"""`game_platform_sync_schedule`: the incremental solves sync of today's partition, every 30 minutes."""

import dagster as dg

from contest_pipelines.jobs.game_platform_sync_job import game_platform_sync_job
from contest_pipelines.resources import GamePlatformResource


@dg.schedule(
    job=game_platform_sync_job,
    cron_schedule="*/30 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Syncs the competitors that are due (by activity tier) into today's challenge_solves partition.",
)
def game_platform_sync_schedule(
    context: dg.ScheduleEvaluationContext, game_platform: GamePlatformResource
) -> dg.RunRequest | dg.SkipReason:
    if skip := game_platform.unconfigured():
        return skip
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=context.scheduled_execution_time.isoformat(), partition_key=day)
