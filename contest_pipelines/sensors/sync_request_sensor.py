"""`sync_request_sensor`: batches every due sync request of a tick into one `cf_sync_job` run."""

import hashlib
import json
import time

import dagster as dg

from contest_pipelines.jobs.cf_sync_job import cf_sync_job
from contest_pipelines.player_sync import queue
from contest_pipelines.player_sync.push import batch_run_config
from contest_pipelines.resources import CodeforcesResource, SyncQueueResource

# A dispatched request that is still queued this long after its run was requested is offered again
# (its run may have failed to start); a second run is harmless because claims are conditional.
REDISPATCH_SECONDS = 120


def _load_cursor(raw: str | None) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(raw or "{}").items()}
    except (ValueError, AttributeError):
        return {}


@dg.sensor(
    job=cf_sync_job,
    # Below the daemon's 5 s loop on purpose: at 5 the daemon skips ticks that come a hair early,
    # which made the sensor run every 5 or 10 s (measured mean 8.3 s).
    minimum_interval_seconds=2,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches cf_sync_job for due sync requests; pauses while the Codeforces circuit is open.",
)
def sync_request_sensor(
    context: dg.SensorEvaluationContext, sync_queue: SyncQueueResource, codeforces: CodeforcesResource
) -> dg.SensorResult | dg.SkipReason:
    until, call_limit = codeforces.circuit_state()
    if call_limit:
        # A rate limit: waiting costs the requests nothing, and a run now could not call anyway.
        return dg.SkipReason(
            f"Codeforces circuit open until {until:%Y-%m-%d %H:%M:%S} UTC (call limit); queued requests wait"
        )
    # An outage (503) still dispatches: each due retry uses an attempt, so players hear cf_unavailable in time.

    now = time.time()
    dispatched = {k: t for k, t in _load_cursor(context.cursor).items() if now - t < REDISPATCH_SECONDS}
    with sync_queue.engine().connect() as conn:
        due = queue.due_requests(
            conn, limit=sync_queue.batch_size + len(dispatched), push_grace_seconds=sync_queue.push_grace_seconds
        )
        next_due = None if due else queue.next_due_at(conn)
    fresh = [(rid, gen) for rid, gen in due if f"{rid}:{gen}" not in dispatched][: sync_queue.batch_size]
    if not fresh:
        if due:
            return dg.SensorResult(
                skip_reason=dg.SkipReason(f"{len(due)} due requests already dispatched to runs"),
                cursor=json.dumps(dispatched),
            )
        hint = f"; next retry due at {next_due:%H:%M:%S} UTC" if next_due else ""
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"no sync request is due{hint}"), cursor=json.dumps(dispatched)
        )

    keys = sorted(f"{rid}:{gen}" for rid, gen in fresh)
    run_key = "cf-sync-" + hashlib.sha256("\n".join(keys).encode()).hexdigest()[:20]
    dispatched.update({key: now for key in keys})
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                run_config=batch_run_config([rid for rid, _ in fresh]),
                tags={"sync/requests": str(len(fresh))},
            )
        ],
        cursor=json.dumps(dispatched),
    )
