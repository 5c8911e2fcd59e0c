"""Taking a sync request in: who the player is in the room (handle and team come from the database,
never from the request body), and the queued row the worker will pick up."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from contest_pipelines.db.tables import players, room_members, room_problems
from contest_pipelines.db.tables import sync_requests as r


class RejectReason(StrEnum):
    """Why a sync request cannot be queued; the API maps each to its HTTP answer."""

    NOT_A_MEMBER = "not_a_member"  # the room does not exist, or the caller is not in it
    UNKNOWN_PROBLEM = "unknown_problem"
    NO_HANDLE = "no_handle"


class SyncRequestRejected(Exception):
    """The request cannot be queued: a `reason` the caller can act on, and a sentence for the player."""

    def __init__(self, reason: RejectReason, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SyncContext:
    room_id: str
    user_id: str
    team_id: str | None
    cf_handle: str
    problem_id: str


def resolve_context(conn: sa.Connection, user_id: str, room_id: str, problem_id: str) -> SyncContext:
    """Handle and team come from the database, never from the request body."""
    row = conn.execute(
        sa.select(room_members.c.team_id, players.c.cf_handle, room_problems.c.problem_id)
        .select_from(room_members.join(players, players.c.user_id == room_members.c.user_id))
        .outerjoin(
            room_problems,
            sa.and_(room_problems.c.room_id == room_members.c.room_id, room_problems.c.problem_id == problem_id),
        )
        .where(room_members.c.room_id == room_id, room_members.c.user_id == user_id)
    ).one_or_none()
    if row is None:
        raise SyncRequestRejected(
            RejectReason.NOT_A_MEMBER, f"room {room_id!r} does not exist or you are not a member of it"
        )
    if row.problem_id is None:
        raise SyncRequestRejected(
            RejectReason.UNKNOWN_PROBLEM, f"problem {problem_id!r} is not part of room {room_id!r}"
        )
    if not row.cf_handle:
        raise SyncRequestRejected(
            RejectReason.NO_HANDLE, "your profile has no Codeforces handle; link one before syncing"
        )
    return SyncContext(room_id, user_id, row.team_id, row.cf_handle, problem_id)


def enqueue(conn: sa.Connection, ctx: SyncContext) -> tuple[str, datetime, int]:
    """Insert a queued request in one statement; returns (id, created_at, position: 1 + requests waiting)."""
    waiting = sa.select(sa.func.count() + 1).where(r.c.status.in_(("queued", "running"))).scalar_subquery()
    row = conn.execute(
        r.insert()
        .values(
            room_id=ctx.room_id,
            user_id=ctx.user_id,
            team_id=ctx.team_id,
            cf_handle=ctx.cf_handle,
            problem_id=ctx.problem_id,
            position=waiting,
        )
        .returning(r.c.id, r.c.created_at, r.c.position)
    ).one()
    return row.id, row.created_at, row.position
