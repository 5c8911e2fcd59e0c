"""`roster_change_sensor`: pushes local team and membership changes to the game platform within a minute."""

import dagster as dg

from contest_pipelines.game_platform.roster import pending_roster_changes
from contest_pipelines.jobs.roster_sync_job import roster_sync_job
from contest_pipelines.resources import GamePlatformResource, PostgresResource

IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


@dg.sensor(
    job=roster_sync_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches roster_sync_job when teams or memberships changed locally since the last reconciliation.",
)
def roster_change_sensor(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, game_platform: GamePlatformResource
) -> dg.SensorResult | dg.SkipReason:
    if skip := game_platform.unconfigured():
        return skip
    with postgres.engine().connect() as conn:
        changes = pending_roster_changes(conn)
    if not changes:
        return dg.SkipReason("rosters are in sync with the game platform")
    # One run at a time is enough: a reconciliation covers every change.
    if context.instance.get_runs_count(dg.RunsFilter(job_name=roster_sync_job.name, statuses=IN_FLIGHT)):
        return dg.SkipReason(f"{changes} roster changes wait for the reconciliation already running")
    # The cursor counts the reconciliations this sensor has launched, so each gets a fresh run key.
    launched = int(context.cursor or 0)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"roster:{launched}:{changes}")], cursor=str(launched + 1)
    )
