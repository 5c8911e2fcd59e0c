"""Room status transitions: contest rooms end at their end time, prediction rooms when the match
provider says so. Settlement is requested only on a real `previous != ended -> ended` transition, or
when an ended match's score is corrected; each request is a `room_transitions` row the sensor reads."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.clients.match_provider import ENDED, MatchReport
from contest_pipelines.db.tables import match_results, room_transitions, rooms

CORRECTION_WINDOW = timedelta(hours=48)


def end_due_contest_rooms(conn: sa.Connection) -> int:
    """Contest rooms past their end time become `ended`, once; returns how many did."""
    result = conn.execute(
        sa.text("""
        WITH due AS (
            SELECT room_id, status FROM rooms
            WHERE kind = 'contest' AND ends_at <= now() AND status <> 'ended'
            FOR UPDATE SKIP LOCKED),
        ended AS (
            UPDATE rooms r SET status = 'ended' FROM due WHERE r.room_id = due.room_id
            RETURNING r.room_id, due.status AS previous)
        INSERT INTO room_transitions (room_id, previous, current, settlement_requested)
        SELECT room_id, previous, 'ended', true FROM ended""")
    )
    return result.rowcount


def prediction_rooms_to_poll(conn: sa.Connection) -> list[str]:
    """Started prediction rooms not yet ended, and ended ones still inside the correction window."""
    recent = sa.select(room_transitions.c.room_id).where(
        room_transitions.c.current == ENDED, room_transitions.c.at > sa.func.now() - CORRECTION_WINDOW
    )
    return list(
        conn.execute(
            sa.select(rooms.c.room_id)
            .where(rooms.c.kind == "prediction", rooms.c.starts_at <= sa.func.now())
            .where(sa.or_(rooms.c.status != ENDED, rooms.c.room_id.in_(recent)))
            .order_by(rooms.c.room_id)
        ).scalars()
    )


def record_report(conn: sa.Connection, room_id: str, report: MatchReport) -> bool:
    """Store what the provider said; True when it requests a settlement."""
    previous = conn.execute(
        sa.select(match_results).where(match_results.c.room_id == room_id).with_for_update()
    ).one_or_none()
    before = (previous.status, previous.home_score, previous.away_score) if previous else None
    now = (report.status, report.home, report.away)
    if before == now:
        return False
    values = {"status": report.status, "home_score": report.home, "away_score": report.away}
    conn.execute(
        insert(match_results)
        .values(room_id=room_id, **values)
        .on_conflict_do_update(index_elements=["room_id"], set_={**values, "observed_at": sa.func.now()})
    )
    conn.execute(
        rooms.update().where(rooms.c.room_id == room_id).values(status=ENDED if report.final else report.status)
    )
    # A first end, or an ended match whose score was corrected.
    requested = report.final and (before is None or before[0] != ENDED or before[1:] != now[1:])
    conn.execute(
        room_transitions.insert().values(
            room_id=room_id,
            previous=before[0] if before else None,
            current=report.status,
            result_hash=f"{report.home}:{report.away}" if report.final else None,
            settlement_requested=requested,
        )
    )
    return requested


def requested_settlements(conn: sa.Connection, after_id: int) -> list[tuple[int, str]]:
    """(transition id, room id) of settlement requests after the sensor's cursor, oldest first."""
    return [
        (row.id, row.room_id)
        for row in conn.execute(
            sa.select(room_transitions.c.id, room_transitions.c.room_id)
            .where(room_transitions.c.settlement_requested, room_transitions.c.id > after_id)
            .order_by(room_transitions.c.id)
        )
    ]
