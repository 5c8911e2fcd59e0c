"""`cleanup_job`: daily retention of finished requests, run telemetry and event streams."""

import dagster as dg

from contest_pipelines.housekeeping.retention import RETENTION_DAYS, delete_expired
from contest_pipelines.resources import PostgresResource, RedisResource


@dg.op
def delete_expired_records(
    context: dg.OpExecutionContext, postgres: PostgresResource, redis: RedisResource
) -> dg.Output[dict]:
    """Drops finished sync requests, run telemetry and events older than the retention window."""
    retained = delete_expired(postgres.engine(), redis.client())
    if retained.streams_error:
        context.log.warning(f"event streams not trimmed: {retained.streams_error}")
    metadata = {
        "sync_requests_deleted": retained.sync_requests_deleted,
        "sync_runs_deleted": retained.sync_runs_deleted,
        "events_trimmed": retained.events_trimmed,
    }
    return dg.Output(metadata, metadata=metadata)


@dg.job(
    executor_def=dg.in_process_executor,
    description=f"Delete finished requests, telemetry and events older than {RETENTION_DAYS} days.",
)
def cleanup_job():
    delete_expired_records()
