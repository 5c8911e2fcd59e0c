"""`slo_checks_schedule`: the SLO checks every 5 minutes."""

import dagster as dg

from contest_pipelines.jobs.slo_checks_job import slo_checks_job

slo_checks_schedule = dg.ScheduleDefinition(
    name="slo_checks_schedule",
    job=slo_checks_job,
    cron_schedule="*/5 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 5 minutes: the SLO checks; a breach fails its check in the UI and alerts once.",
)
