"""Retention: what is older than the window goes, from PostgreSQL (finished sync requests, sync-run
telemetry) and from the players' Redis event streams."""

import logging
import time
from dataclasses import dataclass

import redis
import sqlalchemy as sa

from contest_pipelines import events
from contest_pipelines.db.tables import sync_requests, sync_runs

log = logging.getLogger(__name__)

RETENTION_DAYS = 14
FINISHED = ("detected", "failed", "dead")


@dataclass(frozen=True)
class Retained:
    sync_requests_deleted: int
    sync_runs_deleted: int
    events_trimmed: int
    streams_error: str | None = None  # the streams were not trimmed (Redis failed); PostgreSQL was


def delete_expired(engine: sa.Engine, client: redis.Redis, *, days: int = RETENTION_DAYS) -> Retained:
    cutoff = sa.func.now() - sa.func.make_interval(0, 0, 0, days)
    with engine.begin() as conn:
        requests = conn.execute(
            sync_requests.delete().where(sync_requests.c.status.in_(FINISHED), sync_requests.c.finished_at < cutoff)
        ).rowcount
        runs = conn.execute(sync_runs.delete().where(sync_runs.c.started_at < cutoff)).rowcount
    trimmed, error = 0, None
    min_id = f"{int((time.time() - days * 86_400) * 1000)}-0"  # stream ids start with their time in ms
    try:
        for key in client.scan_iter(match=events.stream_key("*"), count=1000):
            trimmed += client.xtrim(key, minid=min_id, approximate=False)
    except redis.RedisError as exc:
        log.warning("event streams not trimmed: %s", exc)
        error = str(exc)
    return Retained(requests, runs, trimmed, error)
