"""The durable sync queue in PostgreSQL: find due work, claim it, and settle each request.

Every state change is a conditional UPDATE on the request's current status, so a request claimed by
one run cannot be settled by another, and a repeated settlement is a no-op (rowcount 0).
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.db.boards import bump_versions
from contest_pipelines.db.tables import detections, room_problems, rooms, sync_requests

r = sync_requests


class StaleClaim(Exception):
    """The request is no longer running under this run (released or settled elsewhere)."""


@dataclass(frozen=True)
class ClaimedRequest:
    id: str
    room_id: str
    user_id: str
    team_id: str | None
    cf_handle: str
    problem_id: str
    attempts: int
    rechecks: int
    created_at: datetime
    revealed_at: datetime
    ends_at: datetime


def due_requests(conn: sa.Connection, limit: int, push_grace_seconds: float = 0) -> list[tuple[str, int]]:
    """(id, generation) of queued requests whose next attempt time has come, oldest first.

    A request whose handle a run is about to call for is left to that run (it takes it with
    `claim_handle` just before its call), so two runs do not call Codeforces for one handle. A request
    pushed to a run of its own (`mark_pushed`) is left to that run for `push_grace_seconds`."""
    running = sa.alias(r, "running")
    handle_in_flight = (
        sa.select(running.c.id)
        .where(running.c.status == "running", sa.func.lower(running.c.cf_handle) == sa.func.lower(r.c.cf_handle))
        .exists()
    )
    rows = conn.execute(
        sa.select(r.c.id, r.c.generation)
        .where(r.c.status == "queued", r.c.next_attempt_at <= sa.func.now(), ~handle_in_flight)
        .where(
            sa.or_(
                r.c.dagster_run_id.is_(None),
                r.c.updated_at <= sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, push_grace_seconds),
            )
        )
        .order_by(r.c.next_attempt_at, r.c.created_at)
        .limit(limit)
    )
    return [(row.id, row.generation) for row in rows]


def mark_pushed(conn: sa.Connection, request_id: str, run_id: str) -> bool:
    """The request has a run of its own on the way: the sensor leaves it alone for a while. False when
    the run (or another) already took it."""
    result = conn.execute(
        r.update()
        .where(r.c.id == request_id, r.c.status == "queued", r.c.dagster_run_id.is_(None))
        .values(dagster_run_id=run_id, updated_at=sa.func.now())
    )
    return result.rowcount == 1


def next_due_at(conn: sa.Connection) -> datetime | None:
    return conn.execute(sa.select(sa.func.min(r.c.next_attempt_at)).where(r.c.status == "queued")).scalar_one()


def claim(conn: sa.Connection, ids: list[str], run_id: str) -> list[ClaimedRequest]:
    """Move due queued requests to running for this run; rows another run holds are skipped."""
    if not ids:
        return []
    return _claim(conn, r.c.id.in_(ids), run_id)


def claim_handle(conn: sa.Connection, handle: str, run_id: str) -> list[ClaimedRequest]:
    """Also take every other due request of a handle this run is about to call Codeforces for:
    one `user.status` answers them all, so they need not wait for a run and a call of their own."""
    return _claim(conn, sa.func.lower(r.c.cf_handle) == handle.lower(), run_id, own_running=False)


def _claim(
    conn: sa.Connection, which: sa.ColumnElement[bool], run_id: str, own_running: bool = True
) -> list[ClaimedRequest]:
    due = sa.and_(r.c.status == "queued", r.c.next_attempt_at <= sa.func.now())
    # A retried op of the same run picks up what it had claimed before it failed.
    mine = sa.and_(r.c.status == "running", r.c.dagster_run_id == run_id)
    lockable = (
        sa.select(r.c.id)
        .where(which, sa.or_(due, mine) if own_running else due)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = (
        r.update()
        .where(r.c.id.in_(lockable))
        .values(status="running", dagster_run_id=run_id, updated_at=sa.func.now())
        .returning(r.c.id)
        .cte("claimed")
    )
    rows = conn.execute(
        sa.select(
            r.c.id,
            r.c.room_id,
            r.c.user_id,
            r.c.team_id,
            r.c.cf_handle,
            r.c.problem_id,
            r.c.attempts,
            r.c.rechecks,
            r.c.created_at,
            room_problems.c.revealed_at,
            rooms.c.ends_at,
        )
        .select_from(
            claimed.join(r, r.c.id == claimed.c.id)
            .join(rooms, rooms.c.room_id == r.c.room_id)
            .join(
                room_problems,
                sa.and_(room_problems.c.room_id == r.c.room_id, room_problems.c.problem_id == r.c.problem_id),
            )
        )
        .order_by(r.c.created_at)
    )
    return [ClaimedRequest(**row._mapping) for row in rows]


def _settle(conn: sa.Connection, request_id: str, run_id: str, **values) -> bool:
    result = conn.execute(
        r.update()
        .where(r.c.id == request_id, r.c.status == "running", r.c.dagster_run_id == run_id)
        .values(updated_at=sa.func.now(), **values)
    )
    return result.rowcount == 1


def record_detection(
    conn: sa.Connection, req: ClaimedRequest, run_id: str, submission_id: int, created: int, raw: dict
) -> dict | None:
    """Credit the solve and close the request; the caller holds the transaction around both.

    Returns the detection row credited to this player for this problem (new, or the one an earlier
    request already wrote), or None when the submission is already credited to someone else in the room.
    """
    inserted = conn.execute(
        insert(detections)
        .values(
            room_id=req.room_id,
            user_id=req.user_id,
            team_id=req.team_id,
            problem_id=req.problem_id,
            cf_submission_id=submission_id,
            cf_timestamp=created,
            request_id=req.id,
            raw=raw,
            # Scored as soon as it is credited: the problem's points in this room.
            points_awarded=sa.select(room_problems.c.points)
            .where(room_problems.c.room_id == req.room_id, room_problems.c.problem_id == req.problem_id)
            .scalar_subquery(),
        )
        .on_conflict_do_nothing()
        .returning(*detections.c)
    ).one_or_none()
    existing = (
        inserted
        or conn.execute(
            sa.select(*detections.c).where(
                detections.c.room_id == req.room_id,
                detections.c.user_id == req.user_id,
                detections.c.problem_id == req.problem_id,
            )
        ).one_or_none()
    )
    if existing is None:
        return None
    if not _settle(conn, req.id, run_id, status="detected", reason=None, detail=None, finished_at=sa.func.now()):
        raise StaleClaim(req.id)
    row = dict(existing._mapping)
    if inserted is not None:
        row["board_version"] = bump_versions(conn, [("room", req.room_id)])[("room", req.room_id)]
        row["room_points"], row["room_last_scored_at"] = conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(detections.c.points_awarded), 0),
                sa.func.to_timestamp(sa.func.max(detections.c.cf_timestamp).filter(detections.c.points_awarded > 0)),
            ).where(detections.c.room_id == req.room_id, detections.c.user_id == req.user_id)
        ).one()
    return row


def mark_failed(
    conn: sa.Connection,
    req: ClaimedRequest,
    run_id: str,
    *,
    status: str,
    reason: str,
    detail: str,
    attempts: int | None = None,
) -> bool:
    values = {"status": status, "reason": reason, "detail": detail, "finished_at": sa.func.now()}
    if attempts is not None:
        values["attempts"] = attempts
    return _settle(conn, req.id, run_id, **values)


def requeue(
    conn: sa.Connection,
    req: ClaimedRequest,
    run_id: str,
    *,
    delay_seconds: float,
    attempts: int,
    rechecks: int,
    detail: str,
    reason: str,
) -> datetime | None:
    """Back to the queue for a later attempt; a new generation gives the sensor a fresh run key.
    `reason` says why it waits (the status route shows it). Returns the next attempt's time, or None
    when the request was no longer this run's."""
    row = conn.execute(
        r.update()
        .where(r.c.id == req.id, r.c.status == "running", r.c.dagster_run_id == run_id)
        .values(
            updated_at=sa.func.now(),
            status="queued",
            attempts=attempts,
            rechecks=rechecks,
            detail=detail,
            reason=reason,
            generation=r.c.generation + 1,
            dagster_run_id=None,
            next_attempt_at=sa.func.now() + sa.func.make_interval(0, 0, 0, 0, 0, 0, delay_seconds),
        )
        .returning(r.c.next_attempt_at)
    ).one_or_none()
    return None if row is None else row.next_attempt_at


def release_run(conn: sa.Connection, run_id: str) -> int:
    """Requests a dead run left `running` go back to the queue without using an attempt."""
    result = conn.execute(
        r.update()
        .where(r.c.status == "running", r.c.dagster_run_id == run_id)
        .values(
            status="queued",
            dagster_run_id=None,
            generation=r.c.generation + 1,
            next_attempt_at=sa.func.now(),
            updated_at=sa.func.now(),
        )
    )
    return result.rowcount


def replay_dead(conn: sa.Connection, request_ids: list[str] | None = None) -> int:
    """Operator action: dead requests go back to the queue with their attempts reset."""
    where = [r.c.status == "dead"]
    if request_ids:
        where.append(r.c.id.in_(request_ids))
    result = conn.execute(
        r.update()
        .where(*where)
        .values(
            status="queued",
            attempts=0,
            generation=r.c.generation + 1,
            dagster_run_id=None,
            reason=None,
            finished_at=None,
            next_attempt_at=sa.func.now(),
            updated_at=sa.func.now(),
        )
    )
    return result.rowcount
