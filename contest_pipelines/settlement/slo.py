"""The settlement SLO: a room that ended is settled within 5 minutes."""

import sqlalchemy as sa

from contest_pipelines.domain.slo import SloResult

# Rooms whose latest transition is `ended` longer ago than the limit with no applied settlement since.
UNSETTLED_SQL = """
    SELECT t.room_id, t.at FROM (
        SELECT DISTINCT ON (room_id) room_id, current, at FROM room_transitions ORDER BY room_id, id DESC) t
    WHERE t.current = 'ended' AND t.at < now() - make_interval(secs => :limit)
      AND NOT EXISTS (SELECT 1 FROM settlement_ledger l WHERE l.room_id = t.room_id
                      AND l.status IN ('applied', 'skipped') AND l.created_at >= t.at)
    ORDER BY t.at LIMIT 50
"""


def unsettled_rooms(engine: sa.Engine, limit_seconds: float = 300) -> SloResult:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(UNSETTLED_SQL), {"limit": limit_seconds}).all()
    if not rows:
        return SloResult(True, "every ended room settled within 5 minutes", {"unsettled": 0})
    names = ", ".join(r.room_id for r in rows[:10])
    return SloResult(
        False,
        f"{len(rows)} rooms ended more than {limit_seconds / 60:.0f} min ago and are not settled: {names}",
        {"unsettled": len(rows), "oldest_ended_at": rows[0].at.isoformat()},
    )
