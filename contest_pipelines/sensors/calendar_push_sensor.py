"""`calendar_push_sensor`: pushes the calendars a change touched: a contest of a followed judge changed,
preferences changed, or the player pressed Sync."""

import json

import dagster as dg

from contest_pipelines.calendar.push import pending_pushes
from contest_pipelines.jobs.calendar_push_job import calendar_push_job
from contest_pipelines.resources import GoogleCalendarResource, PostgresResource


@dg.sensor(
    job=calendar_push_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches calendar_push_job for the players whose Google calendar a change touched.",
)
def calendar_push_sensor(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, google_calendar: GoogleCalendarResource
) -> dg.RunRequest | dg.SkipReason:
    if skip := google_calendar.unconfigured():
        return skip
    users, cursor = pending_pushes(postgres.engine(), json.loads(context.cursor or "{}"))
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    if not users:
        return dg.SkipReason("no contest, preference or Sync request touched a connected player's calendar")
    return dg.RunRequest(
        run_key=f"push:{json.dumps(cursor, sort_keys=True)}",
        run_config={"ops": {"push_calendars": {"config": {"user_ids": users}}}},
        tags={"calendar/players": str(len(users))},
    )
