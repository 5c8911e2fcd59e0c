"""`cleanup_schedule`: deletes expired sync requests, telemetry and events at 03:15 UTC."""

import dagster as dg

from contest_pipelines.jobs.cleanup_job import cleanup_job

cleanup_schedule = dg.ScheduleDefinition(
    name="cleanup_schedule",
    job=cleanup_job,
    cron_schedule="15 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily retention (14 days) cleanup.",
)
