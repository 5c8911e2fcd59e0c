"""`upcoming_contests_schedule`: every judge hourly; every 10 minutes the judges with a contest within the hour."""

from datetime import UTC

import dagster as dg

from contest_pipelines.calendar.extraction import judges_due
from contest_pipelines.configs import CODEFORCES_TAG
from contest_pipelines.jobs.upcoming_contests_job import upcoming_contests_job
from contest_pipelines.resources import PostgresResource


@dg.schedule(
    job=upcoming_contests_job,
    cron_schedule="*/10 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly refresh of every judge's contests; every 10 minutes for judges with a contest starting "
    "within the hour.",
)
def upcoming_contests_schedule(
    context: dg.ScheduleEvaluationContext, postgres: PostgresResource
) -> list[dg.RunRequest] | dg.SkipReason:
    at = context.scheduled_execution_time.astimezone(UTC)
    due = judges_due(postgres.engine(), at)
    if not due:
        return dg.SkipReason("no judge has a contest starting within the hour; all refresh at the top of the hour")
    return [
        dg.RunRequest(
            run_key=f"{judge}:{at.isoformat()}",
            partition_key=judge,
            tags={CODEFORCES_TAG: "true"} if judge == "codeforces" else {},
        )
        for judge in due
    ]
