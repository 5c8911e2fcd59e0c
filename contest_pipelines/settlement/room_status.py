"""Room status transitions: contest rooms end at their end time, prediction rooms when the match
provider says so (the rule is `domain.room_status.transition`). Each settlement request is a
`room_transitions` row that `match_ended_sensor` turns into a run of the `settlement_ledger` asset."""

import functools
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.clients.match_provider import MatchProviderClient, MatchProviderError
from contest_pipelines.db.tables import match_results, room_transitions, rooms
from contest_pipelines.domain.room_status import ENDED, MatchReport, transition

CORRECTION_WINDOW = timedelta(hours=48)
# What runs and ticks say about the match provider when MATCH_PROVIDER_URL is unset: a setting, not a fault.
CONFIGURED, NOT_CONFIGURED = "configured", "not configured"

log = logging.getLogger(__name__)


@functools.cache
def note_provider_not_configured() -> None:
    """Says once per process (not on every 30 s tick) that prediction rooms are not watched."""
    log.info(
        "match_provider: %s (MATCH_PROVIDER_URL is unset): prediction rooms are not polled and do not settle; "
        "contest rooms still end at their end time",
        NOT_CONFIGURED,
    )


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


def _to_poll() -> list[sa.ColumnElement[bool]]:
    """Started prediction rooms not yet ended, and ended ones still inside the correction window."""
    recent = sa.select(room_transitions.c.room_id).where(
        room_transitions.c.current == ENDED, room_transitions.c.at > sa.func.now() - CORRECTION_WINDOW
    )
    return [
        rooms.c.kind == "prediction",
        rooms.c.starts_at <= sa.func.now(),
        sa.or_(rooms.c.status != ENDED, rooms.c.room_id.in_(recent)),
    ]


def prediction_rooms_to_poll(conn: sa.Connection) -> list[str]:
    """The prediction rooms to ask the match provider about, by id."""
    return list(conn.execute(sa.select(rooms.c.room_id).where(*_to_poll()).order_by(rooms.c.room_id)).scalars())


def record_report(conn: sa.Connection, room_id: str, report: MatchReport) -> bool:
    """Store what the provider said and the transition it makes; True when it requests a settlement."""
    previous = conn.execute(
        sa.select(match_results).where(match_results.c.room_id == room_id).with_for_update()
    ).one_or_none()
    before = MatchReport(previous.status, previous.home_score, previous.away_score) if previous else None
    change = transition(before, report)
    if change is None:
        return False
    values = {"status": report.status, "home_score": report.home, "away_score": report.away}
    conn.execute(
        insert(match_results)
        .values(room_id=room_id, **values)
        .on_conflict_do_update(index_elements=["room_id"], set_={**values, "observed_at": sa.func.now()})
    )
    conn.execute(rooms.update().where(rooms.c.room_id == room_id).values(status=change.room_status))
    conn.execute(
        room_transitions.insert().values(
            room_id=room_id,
            previous=change.previous,
            current=change.current,
            result_hash=change.result_hash,
            settlement_requested=change.settlement_requested,
        )
    )
    return change.settlement_requested


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


def pending_work(conn: sa.Connection) -> tuple[int, int]:
    """(contest rooms due to end, prediction rooms to ask the provider about): two cheap counts a
    sensor tick can afford, so it launches a run only when there is something to do."""
    due = conn.execute(
        sa.select(sa.func.count()).where(
            rooms.c.kind == "contest", rooms.c.ends_at <= sa.func.now(), rooms.c.status != ENDED
        )
    ).scalar_one()
    return due, conn.execute(sa.select(sa.func.count()).where(*_to_poll())).scalar_one()


@dataclass
class StatusReport:
    contests_ended: int = 0
    matches_polled: int = 0
    settlements_requested: int = 0
    # Only answers the provider could not give: an unconfigured provider is no fault of its.
    faults: list[str] = field(default_factory=list)
    provider: str = CONFIGURED
    matches_unwatched: int = 0


def refresh_room_status(engine: sa.Engine, provider: MatchProviderClient | None) -> StatusReport:
    """End the contest rooms past their end time, and record what the provider says about every
    prediction room still to watch (none without a provider: they are counted as unwatched). A provider
    fault skips that room: it is asked again on the next run, and never settled on partial data."""
    report = StatusReport()
    with engine.begin() as conn:
        report.contests_ended = end_due_contest_rooms(conn)
        to_poll = prediction_rooms_to_poll(conn)
    if provider is None:
        note_provider_not_configured()
        report.provider, report.matches_unwatched, to_poll = NOT_CONFIGURED, len(to_poll), []
    for room_id in to_poll:
        report.matches_polled += 1
        try:
            match = provider.match(room_id)
        except MatchProviderError as exc:
            report.faults.append(str(exc))
            continue
        with engine.begin() as conn:
            report.settlements_requested += record_report(conn, room_id, match)
    report.settlements_requested += report.contests_ended
    return report
