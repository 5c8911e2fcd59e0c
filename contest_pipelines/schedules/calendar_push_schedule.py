"""`calendar_push_schedule`: every connected player's calendar, daily (the safety net of the sensor)."""

import dagster as dg

from contest_pipelines.jobs.calendar_push_job import calendar_push_job
from contest_pipelines.resources import GoogleCalendarResource


@dg.schedule(
    job=calendar_push_job,
    cron_schedule="15 4 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily push of every connected player's Google calendar.",
)
def calendar_push_schedule(
    context: dg.ScheduleEvaluationContext, google_calendar: GoogleCalendarResource
) -> dg.RunRequest | dg.SkipReason:
    if skip := google_calendar.unconfigured():
        return skip
    return dg.RunRequest(run_key=context.scheduled_execution_time.isoformat())
