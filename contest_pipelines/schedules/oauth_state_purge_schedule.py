"""`oauth_state_purge_schedule`: forgets expired Google consent states every 15 minutes."""

import dagster as dg

from contest_pipelines.jobs.oauth_state_purge_job import oauth_state_purge_job

oauth_state_purge_schedule = dg.ScheduleDefinition(
    name="oauth_state_purge_schedule",
    job=oauth_state_purge_job,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 15 minutes: forget Google consent states that expired unused.",
)
