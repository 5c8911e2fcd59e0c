"""Players' calendar settings: the judges they follow, a duration limit, reminders, and the feed token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert

from contest_pipelines.db.tables import calendar_feed_tokens, calendar_preferences, judge_contests, players
from contest_pipelines.domain.contests import JUDGES

# Removed contests stay in feeds as STATUS:CANCELLED this long, so subscribed apps cancel them; then
# they are dropped (cancelled events piling up is a known complaint).
CANCELLED_FOR = timedelta(days=7)
TOKEN_BYTES = 32  # 256 bits, URL-safe: 43 characters


class UnknownPlayer(Exception):
    pass


@dataclass(frozen=True)
class Preferences:
    judges: list[str] = field(default_factory=lambda: list(JUDGES))  # a new player follows every judge
    max_duration_hours: int | None = None
    reminder_minutes: int | None = None


def get_preferences(conn: sa.Connection, user_id: str) -> Preferences:
    row = conn.execute(sa.select(calendar_preferences).where(calendar_preferences.c.user_id == user_id)).one_or_none()
    if row is None:
        return Preferences()
    return Preferences(list(row.judges), row.max_duration_hours, row.reminder_minutes)


def put_preferences(conn: sa.Connection, user_id: str, prefs: Preferences, now: datetime) -> Preferences:
    require_player(conn, user_id)
    values = {
        "judges": [j for j in JUDGES if j in set(prefs.judges)],  # canonical order, no duplicates
        "max_duration_hours": prefs.max_duration_hours,
        "reminder_minutes": prefs.reminder_minutes,
        "updated_at": now,
    }
    stmt = insert(calendar_preferences).values(user_id=user_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[calendar_preferences.c.user_id], set_=values))
    return get_preferences(conn, user_id)


def require_player(conn: sa.Connection, user_id: str) -> None:
    if conn.execute(sa.select(players.c.user_id).where(players.c.user_id == user_id)).first() is None:
        raise UnknownPlayer(f"no player {user_id!r}")


def feed_token(conn: sa.Connection, user_id: str) -> str:
    """The player's current feed token, made on first use."""
    require_player(conn, user_id)
    stmt = insert(calendar_feed_tokens).values(user_id=user_id, token=secrets.token_urlsafe(TOKEN_BYTES))
    conn.execute(stmt.on_conflict_do_nothing(index_elements=[calendar_feed_tokens.c.user_id]))
    return conn.execute(
        sa.select(calendar_feed_tokens.c.token).where(calendar_feed_tokens.c.user_id == user_id)
    ).scalar_one()


def rotate_feed_token(conn: sa.Connection, user_id: str, now: datetime) -> str:
    """A new token; the old URL answers 404 from now on."""
    require_player(conn, user_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    values = {"token": token, "created_at": now}
    stmt = insert(calendar_feed_tokens).values(user_id=user_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[calendar_feed_tokens.c.user_id], set_=values))
    return token


def owner_of(conn: sa.Connection, token: str) -> str | None:
    return conn.execute(
        sa.select(calendar_feed_tokens.c.user_id).where(calendar_feed_tokens.c.token == token)
    ).scalar_one_or_none()


# What a calendar entry is made of (never the raw payload, which can be large).
FEED_COLUMNS = ("judge", "key", "title", "url", "start_at", "end_at", "kind", "sequence", "changed_at", "removed_at")


def _held(prefs: Preferences, now: datetime) -> sa.ColumnElement[bool]:
    """Live contests of followed judges not yet ended and within the duration limit, and those removed
    within CANCELLED_FOR (to be shown cancelled)."""
    c = judge_contests.c
    held = sa.and_(
        c.judge.in_(prefs.judges),
        c.end_at > now,
        sa.or_(c.removed_at.is_(None), c.removed_at > now - CANCELLED_FOR),
    )
    if prefs.max_duration_hours is not None:
        held = sa.and_(held, c.end_at - c.start_at <= timedelta(hours=prefs.max_duration_hours))
    return held


def calendar_contests(conn: sa.Connection, prefs: Preferences, now: datetime) -> list[sa.Row]:
    """What the player's calendar holds, in start order."""
    c = judge_contests.c
    query = sa.select(*(c[name] for name in FEED_COLUMNS)).where(_held(prefs, now))
    return list(conn.execute(query.order_by(c.start_at, c.judge, c.key)))


def calendar_version(conn: sa.Connection, prefs: Preferences, now: datetime) -> str:
    """A digest of everything the rendered calendar depends on, computed in PostgreSQL without fetching
    or rendering a row: the feed's ETag, so a poller's If-None-Match costs one aggregate query."""
    c = judge_contests.c
    entry = sa.func.concat_ws(":", c.judge, c.key, c.sequence, c.kind, c.removed_at, c.changed_at)
    entries = sa.func.string_agg(entry, aggregate_order_by(sa.literal_column("','"), c.judge, c.key))
    digest = conn.execute(sa.select(sa.func.md5(sa.func.coalesce(entries, ""))).where(_held(prefs, now))).scalar_one()
    return f"{digest}:{prefs.judges}:{prefs.max_duration_hours}:{prefs.reminder_minutes}"
