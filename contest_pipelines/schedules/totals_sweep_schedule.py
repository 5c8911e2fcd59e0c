"""`totals_sweep_schedule`: refreshes flagged competitors' totals every hour."""

import dagster as dg

from contest_pipelines.jobs.totals_sweep_job import totals_sweep_job
from contest_pipelines.resources import GamePlatformResource


@dg.schedule(
    job=totals_sweep_job,
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly player_totals for competitors with new activity.",
)
def totals_sweep_schedule(
    context: dg.ScheduleEvaluationContext, game_platform: GamePlatformResource
) -> dg.RunRequest | dg.SkipReason:
    if skip := game_platform.unconfigured():
        return skip
    return dg.RunRequest(run_key=context.scheduled_execution_time.isoformat())
