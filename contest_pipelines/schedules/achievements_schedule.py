"""`achievements_schedule`: every achievement processor, every minute."""

import dagster as dg

from contest_pipelines.jobs.achievements_job import achievements_job

achievements_schedule = dg.ScheduleDefinition(
    name="achievements_schedule",
    job=achievements_job,
    cron_schedule="* * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every minute: each processor re-derives progress for the players whose solves changed.",
)
