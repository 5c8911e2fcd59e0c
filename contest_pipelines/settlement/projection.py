"""Settle a room and project the committed result onto its Redis boards (the asset and the CLI call this)."""

import logging
import time
from dataclasses import dataclass

import redis
import sqlalchemy as sa

from contest_pipelines import scoreboards
from contest_pipelines.settlement.ledger import SettlementOutcome, settle_room

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settled:
    outcome: SettlementOutcome
    redis_ms: float
    projected: int  # boards updated incrementally; the others are left to heal on their next read


def settle_and_project(engine: sa.Engine, client: redis.Redis, room_id: str, *, run_id: str | None = None) -> Settled:
    outcome = settle_room(engine, room_id, run_id=run_id)
    started, projected = time.perf_counter(), 0
    for board, scores in outcome.projection.items():
        try:
            projected += scoreboards.project(client, *board, outcome.versions[board], scores)
        except redis.RedisError as exc:
            # Committed in PostgreSQL; the board's version check sends its next read to a rebuild.
            log.warning("board %s:%s not projected (Redis: %s); it heals on its next read", *board, exc)
    return Settled(outcome, (time.perf_counter() - started) * 1000, projected)
