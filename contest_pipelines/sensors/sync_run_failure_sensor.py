"""`sync_run_failure_sensor`: returns the requests of a failed `cf_sync_job` run to the queue."""

import dagster as dg

from contest_pipelines.jobs.cf_sync_job import cf_sync_job
from contest_pipelines.player_sync import queue
from contest_pipelines.resources import SyncQueueResource


@dg.run_failure_sensor(
    monitored_jobs=[cf_sync_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests left running by a failed or crashed cf_sync_job run go back to the queue.",
)
def sync_run_failure_sensor(context: dg.RunFailureSensorContext, sync_queue: SyncQueueResource) -> None:
    # Only rows still `running` under this run move: a run that failed because Codeforces was unreachable
    # has already re-queued its requests with their backoff, and those are left exactly as they are.
    run_id = context.dagster_run.run_id
    with sync_queue.engine().begin() as conn:
        released = queue.release_run(conn, run_id)
    if released:
        context.log.info(f"released {released} requests that failed run {run_id} left running")
    else:
        context.log.info(f"failed run {run_id} left no request running: it settled or re-queued each itself")
