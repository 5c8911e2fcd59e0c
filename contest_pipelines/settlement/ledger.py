"""Settles a room exactly once: the ledger row and every member's standings delta in one transaction.

The room row is locked (`FOR UPDATE`) so settlements of one room run one after another; the
unique (room, version) constraint would refuse a second apply of the same version even without it.

Everything is set-based and stays in PostgreSQL: the room's result is computed by SQL generated from
the pure scoring rules (`room_result_sql`; `room_result` is the pure-Python reference the tests hold
it to), hashed there, diffed against the last applied result into a temporary stage, and applied
with one statement per table. Python handles only the rows that changed, on their way to Redis.
"""

import time
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

from contest_pipelines.db.boards import bump_versions
from contest_pipelines.db.engine import hash_joins
from contest_pipelines.db.sql import seconds
from contest_pipelines.db.tables import (
    rooms,
    settlement_ledger,
)
from contest_pipelines.domain.ranking import encode_seconds
from contest_pipelines.settlement.result import (
    RESULT_SUMMARY_SQL,
    SCOPE_ROOMS,
    RoomNotSettleable,
    room_result_sql,
    room_scopes,
)

ledger = settlement_ledger


@dataclass
class SettlementOutcome:
    room_id: str
    status: str
    version: int | None
    result_hash: str
    members: int
    # user_id -> points added to (or taken from) their standings, for every member whose result changed
    deltas: dict[str, int] = field(default_factory=dict)
    scopes: list[tuple[str, str]] = field(default_factory=list)
    # What to project after commit: (scope, scope_id) -> {user_id: board score}, the changed members only
    projection: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    db_ms: float = 0.0

    @property
    def points_delta(self) -> int:
        return sum(self.deltas.values())


# First place of the result being applied, as the room board ranks it (points, then the earlier last
# scoring); members tied on both share it; nobody wins a room where nobody scored.
WINNERS_SQL = """
    SELECT array_agg(user_id ORDER BY user_id) FROM (
        SELECT user_id, points, rank() OVER (ORDER BY points DESC, last_scored_at ASC NULLS LAST) AS r
        FROM settle_current) ranked
    WHERE r = 1 AND points > 0
"""


def settle_room(engine: sa.Engine, room_id: str, *, run_id: str | None = None) -> SettlementOutcome:
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            outcome = _settle(conn, room_id, run_id, started)
    except RoomNotSettleable:
        raise
    except Exception as exc:
        with engine.begin() as conn:  # the failed attempt is on record even though its transaction rolled back
            conn.execute(
                ledger.insert().values(
                    room_id=room_id,
                    idempotency_key=f"{room_id}:failed:{uuid.uuid4()}",
                    result_hash="",
                    status="failed",
                    error=f"{type(exc).__name__}: {exc}"[:1000],
                    dagster_run_id=run_id,
                    db_ms=(time.perf_counter() - started) * 1000,
                )
            )
        raise
    return outcome


def _settle(conn: sa.Connection, room_id: str, run_id: str | None, started: float) -> SettlementOutcome:
    room = conn.execute(sa.select(rooms).where(rooms.c.room_id == room_id).with_for_update()).one_or_none()
    if room is None:
        raise RoomNotSettleable(f"room {room_id} does not exist")
    sql, params = room_result_sql(conn, room)
    with hash_joins(conn):
        conn.execute(sa.text(f"CREATE TEMP TABLE settle_current ON COMMIT DROP AS {sql}"), params)
    summary = conn.execute(sa.text(RESULT_SUMMARY_SQL)).one()
    digest = summary.result_hash
    last = conn.execute(
        sa.select(ledger.c.version, ledger.c.result_hash)
        .where(ledger.c.room_id == room_id, ledger.c.status == "applied")
        .order_by(ledger.c.version.desc())
        .limit(1)
    ).one_or_none()
    base = last.version if last else 0
    scopes = room_scopes(conn, room)
    outcome = SettlementOutcome(room_id, "skipped", None, digest, summary.members, scopes=scopes)
    if last is not None and last.result_hash == digest:
        outcome.db_ms = (time.perf_counter() - started) * 1000
        conn.execute(
            ledger.insert().values(
                room_id=room_id,
                idempotency_key=f"{room_id}:v{base}:{digest[:16]}:skip:{uuid.uuid4()}",
                result_hash=digest,
                status="skipped",
                members=summary.members,
                points_total=summary.points_total,
                db_ms=outcome.db_ms,
                dagster_run_id=run_id,
            )
        )
        return outcome

    outcome.deltas, outcome.projection[("room", room_id)] = _stage(conn, room_id)
    outcome.status, outcome.version = "applied", base + 1
    _apply_room_results(conn, room_id, outcome.version)
    for scope, scope_id in scopes:
        outcome.projection[(scope, scope_id)] = _apply_standings(conn, scope, scope_id)
    outcome.versions = bump_versions(conn, [("room", room_id), *scopes])
    winners = conn.execute(sa.text(WINNERS_SQL)).scalar_one()
    outcome.db_ms = (time.perf_counter() - started) * 1000
    conn.execute(
        ledger.insert().values(
            room_id=room_id,
            version=outcome.version,
            idempotency_key=f"{room_id}:v{outcome.version}",
            result_hash=digest,
            status="applied",
            members=summary.members,
            changed_members=len(outcome.deltas),
            points_total=summary.points_total,
            points_delta=outcome.points_delta,
            winners=winners,
            db_ms=outcome.db_ms,
            dagster_run_id=run_id,
        )
    )
    return outcome


def _stage(conn: sa.Connection, room_id: str) -> tuple[dict[str, int], dict[str, float]]:
    """Diff the result now (`settle_current`) against the last applied one (`room_results`) into a
    temporary table that lives until the transaction ends. Returns each changed member's points
    delta, and the new room board scores of those still in the room.

    A member absent from either side counts as 0 points, never scored, so an unchanged 0 is not a
    change. `recompute` marks members whose last scoring time in this room moved earlier or went
    away: only for them must the scope's last scoring time be recomputed over all its rooms; for
    everyone else GREATEST(standing, new) is exact."""
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE settle_stage ON COMMIT DROP AS"
            " SELECT user_id, COALESCE(c.points, 0) - COALESCE(p.points, 0) AS delta, COALESCE(c.points, 0) AS points,"
            "  c.last_scored_at, c.user_id IS NULL AS removed,"
            "  (c.user_id IS NULL OR (p.last_scored_at IS NOT NULL"
            "   AND (c.last_scored_at IS NULL OR c.last_scored_at < p.last_scored_at))) AS recompute"
            " FROM settle_current c FULL JOIN"
            "  (SELECT user_id, points, last_scored_at FROM room_results WHERE room_id = :room_id) p USING (user_id)"
            " WHERE c.user_id IS NULL"
            "  OR (COALESCE(c.points, 0), c.last_scored_at) IS DISTINCT FROM (COALESCE(p.points, 0), p.last_scored_at)"
            " ORDER BY user_id"  # index-ordered writes below: room_results and standings are keyed by user
        ),
        {"room_id": room_id},
    )
    conn.execute(sa.text("ANALYZE settle_stage"))
    rows = conn.execute(
        sa.text(f"SELECT user_id, delta, removed, points, {seconds('last_scored_at')} FROM settle_stage")
    ).all()
    return {user: delta for user, delta, *_ in rows}, {
        user: encode_seconds(points, at) for user, _, removed, points, at in rows if not removed
    }


def _apply_room_results(conn: sa.Connection, room_id: str, version: int) -> None:
    params = {"room_id": room_id, "version": version}
    conn.execute(
        sa.text(
            "DELETE FROM room_results"
            " WHERE room_id = :room_id AND user_id IN (SELECT user_id FROM settle_stage WHERE removed)"
        ),
        params,
    )
    conn.execute(
        sa.text(
            "INSERT INTO room_results (room_id, user_id, points, last_scored_at, version)"
            " SELECT :room_id, user_id, points, last_scored_at, :version FROM settle_stage WHERE NOT removed"
            " ON CONFLICT (room_id, user_id) DO UPDATE"
            " SET points = excluded.points, last_scored_at = excluded.last_scored_at, version = excluded.version"
        ),
        params,
    )


def _apply_standings(conn: sa.Connection, scope: str, scope_id: str) -> dict[str, float]:
    """Add the deltas and move the last scoring time forward in one pass; recompute it over the
    scope's rooms only for the few members whose time in this room moved back. Returns the changed
    members' new board scores, for the Redis projection."""
    params = {"scope": scope, "scope_id": scope_id}
    upserted = conn.execute(
        sa.text(
            "INSERT INTO standings (scope, scope_id, user_id, points, last_scored_at)"
            " SELECT :scope, :scope_id, user_id, delta, CASE WHEN points > 0 THEN last_scored_at END FROM settle_stage"
            " ON CONFLICT (scope, scope_id, user_id) DO UPDATE SET points = standings.points + excluded.points,"
            "  last_scored_at = GREATEST(standings.last_scored_at, excluded.last_scored_at)"
            f" RETURNING user_id, points, {seconds('standings.last_scored_at')}"
        ),
        params,
    ).all()
    recomputed = conn.execute(
        sa.text(
            "UPDATE standings s SET last_scored_at = agg.latest FROM ("
            "  SELECT st.user_id, max(rr.last_scored_at) FILTER (WHERE rr.points > 0) AS latest"
            "  FROM settle_stage st LEFT JOIN room_results rr"
            f"   ON rr.user_id = st.user_id AND rr.room_id IN ({SCOPE_ROOMS[scope]})"
            "  WHERE st.recompute GROUP BY st.user_id) agg"
            " WHERE s.scope = :scope AND s.scope_id = :scope_id AND s.user_id = agg.user_id"
            "   AND s.last_scored_at IS DISTINCT FROM agg.latest"
            f" RETURNING s.user_id, s.points, {seconds('s.last_scored_at')}"
        ),
        params,
    ).all()
    return {user: encode_seconds(points, at) for user, points, at in (*upserted, *recomputed)}


def ledger_mismatches(conn: sa.Connection, room_id: str) -> list[str]:
    """Where the ledger and the standings disagree for a room's scopes (empty when they agree)."""
    problems = []
    applied_total = conn.execute(
        sa.text(
            "SELECT points_total FROM settlement_ledger WHERE room_id = :r AND status = 'applied'"
            " ORDER BY version DESC LIMIT 1"
        ),
        {"r": room_id},
    ).scalar_one_or_none()
    room_total = conn.execute(
        sa.text("SELECT COALESCE(sum(points), 0) FROM room_results WHERE room_id = :r"), {"r": room_id}
    ).scalar_one()
    if applied_total is not None and applied_total != room_total:
        problems.append(f"room {room_id}: ledger says {applied_total} points, room results hold {room_total}")
    room = conn.execute(sa.select(rooms).where(rooms.c.room_id == room_id)).one_or_none()
    for scope, scope_id in room_scopes(conn, room) if room is not None else []:
        expected, actual = conn.execute(
            sa.text(
                f"SELECT (SELECT COALESCE(sum(points), 0) FROM room_results WHERE room_id IN ({SCOPE_ROOMS[scope]})),"
                " (SELECT COALESCE(sum(points), 0) FROM standings WHERE scope = :scope AND scope_id = :scope_id)"
            ),
            {"scope": scope, "scope_id": scope_id},
        ).one()
        if expected != actual:
            problems.append(f"{scope} {scope_id}: settled rooms sum to {expected} points, standings hold {actual}")
    return problems


def check_ledger(engine: sa.Engine, room_id: str) -> list[str]:
    """`ledger_mismatches` in a connection of its own (the asset check's entry point)."""
    with engine.connect() as conn:
        return ledger_mismatches(conn, room_id)
