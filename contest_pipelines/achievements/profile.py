"""The player's own settings that achievements read: their time zone (their "day" for streaks)."""

from __future__ import annotations

import sqlalchemy as sa

from contest_pipelines.db.tables import players


def time_zone(conn: sa.Connection, user_id: str) -> tuple[bool, str | None]:
    """(whether the player exists, their IANA zone or None for UTC)."""
    row = conn.execute(sa.select(players.c.time_zone).where(players.c.user_id == user_id)).one_or_none()
    return (row is not None, row.time_zone if row else None)


def set_time_zone(conn: sa.Connection, user_id: str, zone: str | None) -> bool:
    """False when there is no such player. The zone is validated by the caller (an IANA name)."""
    updated = conn.execute(
        players.update().where(players.c.user_id == user_id).values(time_zone=zone, updated_at=sa.func.now())
    )
    return updated.rowcount > 0
