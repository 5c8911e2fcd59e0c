"""`roster_change_sensor`: pushes local team and membership changes to the game platform within a minute."""

import dagster as dg

from contest_pipelines.assets.game_platform import NOT_CONFIGURED
from contest_pipelines.game_roster import pending_roster_changes
from contest_pipelines.jobs.game_platform_ops import roster_sync_job
from contest_pipelines.resources import GamePlatformResource, PostgresResource


@dg.sensor(
    job=roster_sync_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches roster_sync_job when teams or memberships changed locally since the last reconciliation.",
)
def roster_change_sensor(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, game_platform: GamePlatformResource
) -> dg.SensorResult | dg.SkipReason:
    if not game_platform.configured:
        return dg.SkipReason(NOT_CONFIGURED)
    with postgres.engine().connect() as conn:
        changes = pending_roster_changes(conn)
    if not changes:
        return dg.SkipReason("rosters are in sync with the game platform")
    # One run at a time is enough: the key changes each tick, and a reconciliation covers every change.
    if context.instance.get_runs_count(
        dg.RunsFilter(
            job_name="roster_sync_job",
            statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
        )
    ):
        return dg.SkipReason(f"{changes} roster changes wait for the reconciliation already running")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"roster:{context.cursor or 0}:{changes}")],
        cursor=str(int(context.cursor or 0) + 1),
    )
