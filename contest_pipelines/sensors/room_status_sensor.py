"""`room_status_sensor`: launches room_status_job when a contest room is due to end or a match is to be watched."""

import dagster as dg

from contest_pipelines.jobs.room_status_job import room_status_job
from contest_pipelines.resources import MatchProviderResource, PostgresResource
from contest_pipelines.settlement.room_status import NOT_CONFIGURED, note_provider_not_configured, pending_work

IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


@dg.sensor(
    job=room_status_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches room_status_job while contest rooms are past their end time or prediction rooms' "
    "matches are live (or ended within the correction window). The tick itself only counts; the run writes.",
)
def room_status_sensor(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, match_provider: MatchProviderResource
) -> dg.SensorResult | dg.SkipReason:
    with postgres.engine().connect() as conn:
        contests, matches = pending_work(conn)
    tags, note = {"rooms/contests": str(contests)}, ""
    if not match_provider.configured:
        # A setting, not a fault: said once per process, and on every tick only in the tick's own message.
        note_provider_not_configured()
        tags["match_provider"] = NOT_CONFIGURED
        note = f"; match_provider: {NOT_CONFIGURED} (prediction rooms not watched: {matches})"
        matches = 0
    if not contests and not matches:
        return dg.SkipReason(f"no contest room is due to end and no match is to be watched{note}")
    if context.instance.get_runs_count(dg.RunsFilter(job_name=room_status_job.name, statuses=IN_FLIGHT)):
        return dg.SkipReason(f"{contests} contest rooms and {matches} matches wait for the run in flight{note}")
    # The cursor counts the runs this sensor launched: each gets a fresh key, and one run covers every room due.
    tick = int(context.cursor or 0) + 1
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"room-status:{tick}", tags=tags)], cursor=str(tick))
