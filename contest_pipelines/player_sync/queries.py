"""What the API reads of the sync queue: a player's own request, the queue by status, dead letters."""

from datetime import datetime

import sqlalchemy as sa

from contest_pipelines.db.tables import SYNC_STATUSES
from contest_pipelines.db.tables import sync_requests as r

WAITING = ("queued", "running")


def request_of(conn: sa.Connection, request_id: str, user_id: str) -> sa.Row | None:
    """The caller's own request (another player's id reads as absent)."""
    return conn.execute(sa.select(r).where(r.c.id == request_id, r.c.user_id == user_id)).one_or_none()


def queue_overview(conn: sa.Connection) -> tuple[dict[str, int], datetime | None]:
    """Requests by status (every status present, 0 when none) and when the oldest waiting one was queued."""
    counts = dict(conn.execute(sa.select(r.c.status, sa.func.count()).group_by(r.c.status)).all())
    oldest = conn.execute(sa.select(sa.func.min(r.c.created_at)).where(r.c.status.in_(WAITING))).scalar_one()
    return {status: counts.get(status, 0) for status in SYNC_STATUSES}, oldest


def dead_letters(conn: sa.Connection, *, limit: int, offset: int) -> list[sa.Row]:
    """Requests that died (`cf_unavailable` after their attempts), most recent first."""
    return conn.execute(
        sa.select(
            r.c.id,
            r.c.room_id,
            r.c.user_id,
            r.c.problem_id,
            r.c.attempts,
            r.c.reason,
            r.c.detail,
            r.c.created_at,
            r.c.finished_at,
        )
        .where(r.c.status == "dead")
        .order_by(r.c.finished_at.desc())
        .limit(limit)
        .offset(offset)
    ).all()
