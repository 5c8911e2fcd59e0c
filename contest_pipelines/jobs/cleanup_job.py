"""`cleanup_job`: daily retention of finished requests, run telemetry and event streams."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from contest_pipelines.housekeeping.retention import RETENTION_DAYS, delete_expired
from contest_pipelines.resources import PostgresResource, RedisResource
from contest_pipelines.settings import Settings

RUN_BATCH = 100


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


@dg.op
def delete_old_dagster_runs(context: dg.OpExecutionContext) -> dg.Output[int]:
    """Dagster keeps every run forever: finished runs older than DAGSTER_RUN_RETENTION_DAYS go (0: keep all)."""
    days = Settings().dagster_run_retention_days
    if days == 0:
        return dg.Output(0, metadata={"dagster_runs_deleted": 0, "retention": "off"})
    cutoff = datetime.now(UTC) - timedelta(days=days)
    finished = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
    deleted = 0
    while records := context.instance.get_run_records(
        dg.RunsFilter(statuses=finished, created_before=cutoff), limit=RUN_BATCH
    ):
        for record in records:
            context.instance.delete_run(record.dagster_run.run_id)
            deleted += 1
    return dg.Output(deleted, metadata={"dagster_runs_deleted": deleted, "retention_days": days})


@dg.job(
    executor_def=dg.in_process_executor,
    description=f"Delete finished requests, telemetry and events older than {RETENTION_DAYS} days, and Dagster "
    "runs older than DAGSTER_RUN_RETENTION_DAYS.",
)
def cleanup_job():
    delete_expired_records()
    delete_old_dagster_runs()
