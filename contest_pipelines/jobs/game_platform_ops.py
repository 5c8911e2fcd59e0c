"""Op jobs of the game-platform integration: onboarding, roster reconciliation, daily cleanup."""

import time

import dagster as dg
import redis as redis_lib
import sqlalchemy as sa

from contest_pipelines.game_roster import onboard, pending_onboarding, sync_roster
from contest_pipelines.resources import GamePlatformResource, PostgresResource, RedisResource

RETENTION_DAYS = 14


class RosterConfig(dg.Config):
    dry_run: bool = False


@dg.op
def onboard_pending_competitors(
    context: dg.OpExecutionContext, postgres: PostgresResource, game_platform: GamePlatformResource
) -> dg.Output[dict]:
    """Processes every pending onboarding request (guarded, idempotent)."""
    engine = postgres.engine()
    with engine.connect() as conn:
        pending = pending_onboarding(conn)
    outcomes: dict[str, int] = {}
    with game_platform.client() as client:
        for request_id in pending:
            result = onboard(engine, client, request_id)
            outcomes[result.status] = outcomes.get(result.status, 0) + 1
            if result.status != "done":
                context.log.warning(
                    f"onboarding request {request_id} ({result.user_id}) {result.status}: {result.reason}"
                )
        metadata = {"requests": len(pending), **outcomes, "api_calls": client.api_calls}
    return dg.Output(metadata, metadata=metadata)


@dg.op
def reconcile_rosters(
    context: dg.OpExecutionContext,
    config: RosterConfig,
    postgres: PostgresResource,
    game_platform: GamePlatformResource,
) -> dg.Output[dict]:
    """Diffs the platform's team assignments against the database and applies the difference."""
    with game_platform.client() as client:
        report = sync_roster(postgres.engine(), client, dry_run=config.dry_run)
        metadata = {**report.as_dict(), "api_calls": client.api_calls}
    for error in report.errors:
        context.log.warning(error)
    return dg.Output(metadata, metadata={k: str(v) if isinstance(v, list) else v for k, v in metadata.items()})


@dg.op
def delete_expired_records(
    context: dg.OpExecutionContext, postgres: PostgresResource, redis: RedisResource
) -> dg.Output[dict]:
    """Drops finished sync requests, run telemetry and events older than the retention window."""
    with postgres.engine().begin() as conn:
        requests = conn.execute(
            sa.text(
                "DELETE FROM sync_requests WHERE status IN ('detected', 'failed', 'dead') AND finished_at < now() - make_interval(days => :d)"
            ),
            {"d": RETENTION_DAYS},
        ).rowcount
        runs = conn.execute(
            sa.text("DELETE FROM sync_runs WHERE started_at < now() - make_interval(days => :d)"), {"d": RETENTION_DAYS}
        ).rowcount
    client, trimmed = redis.client(), 0
    min_id = f"{int((time.time() - RETENTION_DAYS * 86_400) * 1000)}-0"
    try:
        for key in client.scan_iter(match="events:user:*", count=1000):
            trimmed += client.xtrim(key, minid=min_id, approximate=False)
    except redis_lib.RedisError as exc:
        context.log.warning(f"event streams not trimmed: {exc}")
    metadata = {"sync_requests_deleted": requests, "sync_runs_deleted": runs, "events_trimmed": trimmed}
    return dg.Output(metadata, metadata=metadata)


@dg.job(executor_def=dg.in_process_executor, description="Create pending competitors on the game platform.")
def onboarding_job():
    onboard_pending_competitors()


@dg.job(executor_def=dg.in_process_executor, description="Reconcile teams and memberships with the game platform.")
def roster_sync_job():
    reconcile_rosters()


@dg.job(
    executor_def=dg.in_process_executor,
    description="Delete finished requests, telemetry and events older than 14 days.",
)
def cleanup_job():
    delete_expired_records()
