"""Queries of the game-platform integration: due competitors, solves, cursors, Flash CTF events, totals."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.db.tables import (
    challenge_solves,
    flash_ctf_events,
    player_totals,
    players,
    sync_state,
)


def ensure_sync_state(conn: sa.Connection) -> int:
    """Every competitor known to the platform has a sync state (new ones are due at once)."""
    result = conn.execute(
        insert(sync_state)
        .from_select(
            ["syned_user_id", "next_due_at"],
            sa.select(players.c.game_platform_id, sa.func.to_timestamp(0)).where(
                players.c.game_platform_id.is_not(None)
            ),
        )
        .on_conflict_do_nothing()
    )
    return result.rowcount


def due_competitors(conn: sa.Connection, now: datetime, limit: int, coach_id: str | None = None) -> list[sa.Row]:
    """Competitors whose next sync time has come, most overdue first, in a bounded batch."""
    query = (
        sa.select(sync_state)
        .join(players, players.c.game_platform_id == sync_state.c.syned_user_id)
        .where(sync_state.c.next_due_at <= now)
        .order_by(sync_state.c.next_due_at, sync_state.c.syned_user_id)
        .limit(limit)
    )
    if coach_id is not None:
        query = query.where(players.c.coach_id == coach_id)
    return conn.execute(query).all()


def all_competitor_ids(conn: sa.Connection, coach_id: str | None = None) -> list[str]:
    query = (
        sa.select(players.c.game_platform_id)
        .where(players.c.game_platform_id.is_not(None))
        .order_by(players.c.game_platform_id)
    )
    if coach_id is not None:
        query = query.where(players.c.coach_id == coach_id)
    return list(conn.execute(query).scalars())


def insert_solves(conn: sa.Connection, rows: list[dict]) -> int:
    """New solves only: a solve already stored is ignored by its unique key. Returns how many were new."""
    if not rows:
        return 0
    return len(
        conn.execute(insert(challenge_solves).values(rows).on_conflict_do_nothing().returning(sa.literal(1))).all()
    )


def record_sync(conn: sa.Connection, syned_user_id: str, values: dict) -> None:
    conn.execute(sync_state.update().where(sync_state.c.syned_user_id == syned_user_id).values(**values))


def known_flash_events(conn: sa.Connection, event_ids: list[str]) -> set[str]:
    if not event_ids:
        return set()
    return set(
        conn.execute(
            sa.select(flash_ctf_events.c.event_id).where(flash_ctf_events.c.event_id.in_(event_ids)).distinct()
        ).scalars()
    )


def upsert_flash_events(conn: sa.Connection, rows: list[dict]) -> int:
    if not rows:
        return 0
    stmt = insert(flash_ctf_events).values(rows)
    columns = [c for c in rows[0] if c not in ("syned_user_id", "event_id")]
    return conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["syned_user_id", "event_id"],
            set_={**{c: stmt.excluded[c] for c in columns}, "synced_at": sa.func.now()},
        )
    ).rowcount


def flagged_for_totals(conn: sa.Connection, limit: int) -> list[str]:
    return list(
        conn.execute(
            sa.select(sync_state.c.syned_user_id)
            .where(sync_state.c.needs_totals_refresh)
            .order_by(sync_state.c.syned_user_id)
            .limit(limit)
        ).scalars()
    )


def store_totals(conn: sa.Connection, syned_user_id: str, completed: int, score: int, monthly: int) -> None:
    """Totals and the cleared flag commit together: a crash before this leaves the flag set."""
    values = {"challenges_completed": completed, "total_score": score, "monthly_ctf_challenges": monthly}
    conn.execute(
        insert(player_totals)
        .values(syned_user_id=syned_user_id, **values)
        .on_conflict_do_update(index_elements=["syned_user_id"], set_={**values, "refreshed_at": sa.func.now()})
    )
    conn.execute(
        sync_state.update().where(sync_state.c.syned_user_id == syned_user_id).values(needs_totals_refresh=False)
    )
