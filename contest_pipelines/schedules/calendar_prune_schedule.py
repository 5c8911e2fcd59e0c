"""`calendar_prune_schedule`: the daily prune of old contests at 03:45 UTC."""

import dagster as dg

from contest_pipelines.jobs.calendar_prune_job import calendar_prune_job

calendar_prune_schedule = dg.ScheduleDefinition(
    name="calendar_prune_schedule",
    job=calendar_prune_job,
    cron_schedule="45 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily: forget contests that ended or were removed more than 30 days ago.",
)
