"""`cf_sync_job`: verifies a batch of queued sync requests against Codeforces.

A run reports the judge's health, not only its own (docs/operations.md, "When something is wrong"): a
run in which no lookup got an answer from Codeforces ends Failed and says why; one in which some did
succeeds with the failures in its metadata and a warning in its log. Either way the worker has already
settled or re-queued every request, so the failure changes nothing in the queue.
"""

import time

import dagster as dg

from contest_pipelines.configs import CODEFORCES_TAG
from contest_pipelines.player_sync.worker import SyncWorker
from contest_pipelines.resources import CodeforcesResource, RedisResource, SyncQueueResource


class SyncBatchConfig(dg.Config):
    request_ids: list[str]


@dg.op(
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
    tags={"kind": "codeforces"},
)
def process_sync_requests(
    context: dg.OpExecutionContext,
    config: SyncBatchConfig,
    sync_queue: SyncQueueResource,
    redis: RedisResource,
    codeforces: CodeforcesResource,
) -> dg.Output[dict]:
    """Claims the batch, calls user.status once per distinct handle, and settles every request."""
    started = time.monotonic()
    cf = codeforces.client()
    try:
        worker = SyncWorker(sync_queue.engine(), redis.client(), cf, sync_queue.policy(), context.log)
        report = worker.process(config.request_ids, context.run_id)
    finally:
        cf.close()
    metadata = {**report.as_metadata(), "duration_seconds": round(time.monotonic() - started, 3)}
    context.log.info(f"sync batch: {metadata}")
    if report.outcomes["detected"]:  # the data map: verified_solves changed (an external asset this job writes)
        context.log_event(
            dg.AssetMaterialization("verified_solves", metadata={"detected": report.outcomes["detected"]})
        )
    if report.judge_unreachable:
        # No retry of the op: the requests are back in the queue with their backoff, which a retry would jump.
        raise dg.Failure(
            description=f"Codeforces unreachable: {report.last_error}; {report.retry_summary()}",
            metadata=metadata,
            allow_retries=False,
        )
    if report.failed_calls or report.rate_limited_calls:
        context.log.warning(
            f"{report.failed_calls + report.rate_limited_calls} of {report.handles} Codeforces lookups failed "
            f"(last error: {report.last_error}); {report.retry_summary()}"
        )
    return dg.Output(metadata, metadata=metadata)


@dg.job(
    executor_def=dg.in_process_executor,
    description="Verify queued player sync requests against Codeforces (launched by sync_request_sensor).",
    # The production instance (deploy/dagster.yaml) runs one Codeforces-calling run at a time by this tag.
    tags={"pipeline": "player_sync", CODEFORCES_TAG: "true"},
)
def cf_sync_job():
    process_sync_requests()
