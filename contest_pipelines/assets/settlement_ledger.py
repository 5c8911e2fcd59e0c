"""`settlement_ledger`: each room's results settled exactly once into tournament and league standings."""

import dagster as dg

from contest_pipelines.partitions import ROOM_PARTITION_HINT, partition_key_or_fail, rooms_partitions
from contest_pipelines.resources import PostgresResource, RedisResource
from contest_pipelines.settlement.constants import LEDGER_CHECK, SCORING_GROUP
from contest_pipelines.settlement.ledger import check_ledger
from contest_pipelines.settlement.projection import settle_and_project
from contest_pipelines.settlement.result import RoomNotSettleable


@dg.asset(
    partitions_def=rooms_partitions,
    group_name=SCORING_GROUP,
    owners=["team:scoring"],
    kinds={"postgres", "redis"},
    check_specs=[
        dg.AssetCheckSpec(
            LEDGER_CHECK,
            asset="settlement_ledger",
            description="Ledger totals equal the standings of the room's scopes.",
        )
    ],
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
)
def settlement_ledger(context: dg.AssetExecutionContext, postgres: PostgresResource, redis: RedisResource):
    """The settlement ledger of a room: one applied version per change of its result, and the standings
    deltas it applied."""
    room_id = partition_key_or_fail(context, ROOM_PARTITION_HINT)
    engine = postgres.engine()
    try:
        settled = settle_and_project(engine, redis.client(), room_id, run_id=context.run_id)
    except RoomNotSettleable as exc:
        raise dg.Failure(description=str(exc)) from exc
    outcome = settled.outcome
    context.log.info(
        f"room {room_id}: {outcome.status} (version {outcome.version}, {len(outcome.deltas)} members changed)"
    )
    yield dg.MaterializeResult(
        metadata={
            "status": outcome.status,
            "version": outcome.version or 0,
            "result_hash": outcome.result_hash,
            "dagster/row_count": outcome.members,
            "changed_members": len(outcome.deltas),
            "points_delta": outcome.points_delta,
            "db_ms": round(outcome.db_ms, 2),
            "redis_ms": round(settled.redis_ms, 2),
            "boards_projected": settled.projected,
        }
    )
    problems = check_ledger(engine, room_id)
    yield dg.AssetCheckResult(
        check_name=LEDGER_CHECK,
        passed=not problems,
        metadata={"mismatches": "; ".join(problems) or "none"},
        description="; ".join(problems) or "ledger totals equal the standings",
    )
