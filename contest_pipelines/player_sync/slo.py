"""The sync queue's SLOs: no request waits longer than the sync deadline, and no request is dead."""

import sqlalchemy as sa

from contest_pipelines.db.tables import sync_requests as r
from contest_pipelines.domain.slo import SloResult, age_text
from contest_pipelines.player_sync.queries import WAITING


def oldest_waiting(engine: sa.Engine, limit_seconds: float) -> SloResult:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sa.func.count(), sa.func.extract("epoch", sa.func.now() - sa.func.min(r.c.created_at)))
            .where(r.c.status.in_(WAITING))
        ).one()  # fmt: skip
    waiting, age = row[0], (float(row[1]) if row[1] is not None else None)
    passed = age is None or age <= limit_seconds
    return SloResult(
        passed,
        f"oldest waiting sync request: {age_text(age)} (limit {age_text(limit_seconds)}), {waiting} waiting",
        {"oldest_waiting_seconds": round(age or 0.0, 1), "waiting": waiting, "limit_seconds": limit_seconds},
    )


def dead_letters(engine: sa.Engine) -> SloResult:
    with engine.connect() as conn:
        dead, newest = conn.execute(
            sa.select(sa.func.count(), sa.func.max(r.c.finished_at)).where(r.c.status == "dead")
        ).one()
    return SloResult(
        dead == 0,
        f"{dead} dead sync requests (latest {newest:%Y-%m-%d %H:%M} UTC): GET /api/admin/dead-letters, then replay"
        if dead
        else "no dead sync requests",
        {"dead": dead},
    )
