"""A player's Google connection: the single-use consent state, the sealed refresh token, the status
they see, and their requests for a push."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.calendar.token_box import TokenBox
from contest_pipelines.db.tables import calendar_preferences, google_accounts, google_oauth_states, judge_contests

STATE_TTL = timedelta(minutes=10)


def start_consent(conn: sa.Connection, user_id: str, now: datetime) -> str:
    state = secrets.token_urlsafe(32)
    conn.execute(google_oauth_states.insert().values(state=state, user_id=user_id, created_at=now,
                                                      expires_at=now + STATE_TTL))  # fmt: skip
    return state


def take_state(conn: sa.Connection, state: str, now: datetime) -> str | None:
    """The player a consent state belongs to, once: the row is gone after this (single use)."""
    return conn.execute(
        google_oauth_states.delete()
        .where(google_oauth_states.c.state == state, google_oauth_states.c.expires_at > now)
        .returning(google_oauth_states.c.user_id)
    ).scalar_one_or_none()


def purge_states(conn: sa.Connection, now: datetime) -> int:
    return conn.execute(google_oauth_states.delete().where(google_oauth_states.c.expires_at <= now)).rowcount


def store_grant(conn: sa.Connection, box: TokenBox, user_id: str, refresh_token: str, now: datetime) -> None:
    """Connected: the refresh token sealed, and a first push requested."""
    sealed = box.seal(user_id, refresh_token)
    values = {
        "key_id": sealed.key_id,
        "sealed_token": sealed.blob,
        "connected": True,
        "status": "pending",
        "last_error": None,
        "push_requested_at": now,
        "connected_at": now,
        "updated_at": now,
    }
    stmt = insert(google_accounts).values(user_id=user_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[google_accounts.c.user_id], set_=values))


def disconnect(conn: sa.Connection, user_id: str) -> bool:
    """Forget the token (the calendar stays in the player's Google account, theirs to delete)."""
    return conn.execute(google_accounts.delete().where(google_accounts.c.user_id == user_id)).rowcount > 0


def status(conn: sa.Connection, user_id: str) -> sa.Row | None:
    return conn.execute(
        sa.select(
            google_accounts.c.connected,
            google_accounts.c.status,
            google_accounts.c.last_synced_at,
            google_accounts.c.last_error,
            google_accounts.c.calendar_id,
        ).where(google_accounts.c.user_id == user_id)
    ).one_or_none()


def request_push(conn: sa.Connection, user_id: str, now: datetime) -> bool:
    """False when the player has no live Google connection."""
    return (
        conn.execute(
            google_accounts.update()
            .where(google_accounts.c.user_id == user_id, google_accounts.c.connected)
            .values(push_requested_at=now)
        ).rowcount
        > 0
    )


def changes_since(conn: sa.Connection, cursor: dict[str, str | None]) -> tuple[list[str], dict[str, str | None]]:
    """For the push sensor: the connected players whose calendar may have to change (a contest of a judge
    they follow changed, their preferences changed, or they asked for a push) since the cursor, and the
    new cursor (ISO instants of the newest change handled)."""

    def since(key: str) -> datetime | None:
        value = cursor.get(key)
        return datetime.fromisoformat(value) if value else None

    def newest(column, key: str) -> str | None:
        value = conn.execute(sa.select(sa.func.max(column))).scalar_one()
        return value.isoformat() if value else cursor.get(key)

    accounts, prefs, contests = google_accounts.c, calendar_preferences.c, judge_contests.c
    changed_judges = sa.select(contests.judge).distinct()
    if since("contests"):
        changed_judges = changed_judges.where(contests.changed_at > since("contests"))
    follows_changed = sa.or_(
        prefs.user_id.is_(None),  # no preferences: every judge
        prefs.judges.overlap(sa.func.array(changed_judges.scalar_subquery())),
    )
    asked = accounts.push_requested_at > since("asked") if since("asked") else accounts.push_requested_at.is_not(None)
    prefs_changed = prefs.updated_at > since("prefs") if since("prefs") else prefs.updated_at.is_not(None)
    any_contest_changed = sa.exists(changed_judges)
    users = conn.execute(
        sa.select(accounts.user_id)
        .outerjoin(calendar_preferences, prefs.user_id == accounts.user_id)
        .where(accounts.connected, sa.or_(asked, prefs_changed, sa.and_(any_contest_changed, follows_changed)))
        .order_by(accounts.user_id)
    ).scalars()
    new_cursor = {
        "contests": newest(contests.changed_at, "contests"),
        "prefs": newest(prefs.updated_at, "prefs"),
        "asked": newest(accounts.push_requested_at, "asked"),
    }
    return list(users), new_cursor
