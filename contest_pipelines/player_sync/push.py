"""The push path: start a `cf_sync_job` run for a request the moment it is accepted.

`sync_request_sensor` stays the safety net: a pushed request is left to its run for
`push_grace_seconds`; if the launch failed, or the run never claimed it, the sensor dispatches it
after that (claims are exactly-once, so a second run would change nothing anyway).
"""

import logging

import sqlalchemy as sa

from contest_pipelines.clients.dagster_webserver import DagsterWebserverClient, LaunchFailed
from contest_pipelines.player_sync import queue

log = logging.getLogger(__name__)

SYNC_JOB = "cf_sync_job"
SYNC_OP = "process_sync_requests"


def batch_run_config(request_ids: list[str]) -> dict:
    """The run config of a `cf_sync_job` run for these requests (the sensor's and the push path's)."""
    return {"ops": {SYNC_OP: {"config": {"request_ids": request_ids}}}}


def push(engine: sa.Engine, client: DagsterWebserverClient, request_id: str) -> str | None:
    """Launch a run for one request now and mark the request as pushed; None (logged) if the launch failed."""
    try:
        run_id = client.launch_run(
            SYNC_JOB, batch_run_config([request_id]), {"sync/requests": "1", "sync/path": "push"}
        )
    except LaunchFailed as exc:
        log.warning("sync request %s not pushed (the sensor will dispatch it): %s", request_id, exc)
        return None
    with engine.begin() as conn:
        queue.mark_pushed(conn, request_id, run_id)
    return run_id
