"""Pushing a player's contests into their Google calendar (seed 002), exactly once per change.

One push per player at a time: a session advisory lock in PostgreSQL, tried, never waited for. Event
ids are deterministic (`clients.google_calendar.event_id`), so an insert retried after a lost answer
meets Google's 409 and becomes a compare-and-update instead of a duplicate; every confirmed write is
recorded in `calendar_pushes` in its own small transaction, so a push killed half-way leaves a record
that matches Google up to the last confirmed call, and the next push finishes the job.

Rate limits (403 `usageLimits`, 429) and outages back off and retry (tenacity); an expired access
token is refreshed once; `invalid_grant` marks the player disconnected and stops trying; any other
refusal ends that player's push with the reason in `google_accounts.last_error`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from contest_pipelines.calendar.google import changes_since, purge_states
from contest_pipelines.calendar.players import calendar_contests, get_preferences
from contest_pipelines.calendar.token_box import Sealed, TokenBox, TokenBoxError
from contest_pipelines.clients.google_calendar import (
    GoogleAccessExpired,
    GoogleAuthRevoked,
    GoogleCalendar,
    GoogleDuplicate,
    GoogleError,
    GoogleOAuth,
    GoogleRateLimited,
    GoogleUnavailable,
    event_body,
    event_id,
)
from contest_pipelines.db.tables import calendar_pushes, google_accounts
from contest_pipelines.domain.calendar_push import ContestKey, Plan, Pushed, plan

log = logging.getLogger(__name__)
CALENDAR_NAME = "Contests"
# Google's quotas (reference §9): 600 requests a minute per user, 10,000 per project.
PER_USER_PER_MINUTE = 600
PER_PROJECT_PER_MINUTE = 10_000
T = TypeVar("T")


class SlidingWindow:
    """At most `limit` calls in any `window` seconds, shared by the threads of one process."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._calls and self._calls[0] <= now - self.window:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    self._calls.append(now)
                    return
                wait = self._calls[0] + self.window - now
            time.sleep(wait)


@dataclass
class GoogleApp:
    """Everything a push needs that is the same for every player."""

    oauth: GoogleOAuth
    api_url: str
    box: TokenBox
    project_quota: SlidingWindow
    retry_seconds: float = 2.0  # first backoff; doubles, 4 attempts
    transport: object | None = None


@dataclass
class PushOutcome:
    user_id: str
    status: str  # ok | error | disconnected | skipped
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    calls: int = 0
    error: str | None = None


def fingerprint(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]


def _lock_key(user_id: str) -> sa.TextClause:
    return sa.text("hashtextextended('calendar_push:' || :u, 0)").bindparams(u=user_id)


def push_player(engine: sa.Engine, app: GoogleApp, user_id: str, now: datetime | None = None) -> PushOutcome:
    """One player's push; skipped when another push of this player holds the lock."""
    with engine.connect() as lock_conn:
        if not lock_conn.execute(sa.select(sa.func.pg_try_advisory_lock(_lock_key(user_id)))).scalar_one():
            return PushOutcome(user_id, "skipped", error="another push of this player is running")
        try:
            return _Push(engine, app, user_id, now or datetime.now(UTC)).run()
        finally:
            lock_conn.execute(sa.select(sa.func.pg_advisory_unlock(_lock_key(user_id))))
            lock_conn.commit()


class _Push:
    def __init__(self, engine: sa.Engine, app: GoogleApp, user_id: str, now: datetime):
        self.engine, self.app, self.user_id, self.now = engine, app, user_id, now
        self.user_quota = SlidingWindow(PER_USER_PER_MINUTE)
        self.outcome = PushOutcome(user_id, "ok")
        self.api: GoogleCalendar | None = None
        self._refresh_token = ""
        self.reminder: int | None = None

    def run(self) -> PushOutcome:
        account = self._account()
        if account is None or not account.connected:
            return PushOutcome(self.user_id, "skipped", error="not connected to Google")
        self._set_status("syncing")
        try:
            token = self._refresh(account)
            with GoogleCalendar(self.app.api_url, token, transport=self.app.transport) as self.api:
                calendar_id = self._calendar(account.calendar_id)
                desired = self._desired()
                todo = plan({k: f for k, (f, _) in desired.items()}, self._pushed())
                self._apply(calendar_id, todo, desired)
                self.outcome.unchanged = todo.unchanged
                self.outcome.calls = sum(self.api.calls.values())
        except GoogleAuthRevoked:
            self.outcome = PushOutcome(self.user_id, "disconnected", error=_REVOKED)
            self._set_status("disconnected", error=_REVOKED, connected=False)
            return self.outcome
        except (GoogleError, TokenBoxError) as exc:
            self.outcome.status, self.outcome.error = "error", str(exc)
            self.outcome.calls = sum(self.api.calls.values()) if self.api else 0
            self._set_status("error", error=str(exc))
            return self.outcome
        self._set_status("ok", synced=True)
        return self.outcome

    # -- the player's rows

    def _account(self) -> sa.Row | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(google_accounts).where(google_accounts.c.user_id == self.user_id)
            ).one_or_none()

    def _set_status(self, status: str, error: str | None = None, synced: bool = False, **values) -> None:
        values |= {"status": status, "last_error": error, "updated_at": self.now}
        if synced:
            values["last_synced_at"] = self.now
        with self.engine.begin() as conn:
            conn.execute(google_accounts.update().where(google_accounts.c.user_id == self.user_id).values(**values))

    def _refresh(self, account: sa.Row) -> str:
        sealed = Sealed(account.key_id, bytes(account.sealed_token))
        refresh_token = self.app.box.open(self.user_id, sealed)
        if not self.app.box.is_current(sealed):  # a rotated key: reseal with the newest
            resealed = self.app.box.seal(self.user_id, refresh_token)
            with self.engine.begin() as conn:
                conn.execute(
                    google_accounts.update()
                    .where(google_accounts.c.user_id == self.user_id)
                    .values(key_id=resealed.key_id, sealed_token=resealed.blob)
                )
        self._refresh_token = refresh_token
        return self._with_backoff(lambda: self.app.oauth.refresh(refresh_token)).token

    def _calendar(self, calendar_id: str | None) -> str:
        """The player's own calendar, created on the first push (or again if they deleted it)."""
        if calendar_id and self._call(lambda: self.api.get_calendar(calendar_id)) is not None:
            return calendar_id
        created = self._call(lambda: self.api.create_calendar(CALENDAR_NAME))
        with self.engine.begin() as conn:
            conn.execute(
                google_accounts.update().where(google_accounts.c.user_id == self.user_id).values(calendar_id=created)
            )
            conn.execute(calendar_pushes.delete().where(calendar_pushes.c.user_id == self.user_id))
        return created

    def _desired(self) -> dict[ContestKey, tuple[str, sa.Row]]:
        with self.engine.connect() as conn:
            prefs = get_preferences(conn, self.user_id)
            rows = calendar_contests(conn, prefs, self.now)
        self.reminder = prefs.reminder_minutes
        return {(r.judge, r.key): (fingerprint(self._body("", r)), r) for r in rows if r.removed_at is None}

    def _body(self, eid: str, row: sa.Row) -> dict:
        body = event_body(eid, row.title, row.url, row.start_at, row.end_at, row.judge, row.key, row.sequence,
                          self.reminder)  # fmt: skip
        return body if eid else {k: v for k, v in body.items() if k != "id"}

    def _pushed(self) -> dict[ContestKey, Pushed]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(calendar_pushes).where(calendar_pushes.c.user_id == self.user_id))
            return {(r.judge, r.key): Pushed(r.event_id, r.fingerprint, r.deleted) for r in rows}

    def _record(self, key: ContestKey, eid: str, fp: str, deleted: bool = False) -> None:
        values = {"event_id": eid, "fingerprint": fp, "deleted": deleted, "pushed_at": self.now}
        stmt = insert(calendar_pushes).values(user_id=self.user_id, judge=key[0], key=key[1], **values)
        with self.engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["user_id", "judge", "key"], set_=values))

    # -- Google

    def _apply(self, calendar_id: str, todo: Plan, desired: dict[ContestKey, tuple[str, sa.Row]]) -> None:
        pushed = self._pushed()
        for key in todo.inserts:
            fp, row = desired[key]
            revived = key in pushed  # deleted there once: Google keeps the id (409, then 403 on update)
            eid = event_id(self.user_id, key[0], f"{key[1]}#{row.sequence}" if revived else key[1])
            self._insert(calendar_id, eid, row)
            self._record(key, eid, fp)
            self.outcome.inserted += 1
        for key in todo.updates:
            fp, row = desired[key]
            eid = pushed[key].event_id
            self._call(lambda eid=eid, row=row: self.api.update_event(calendar_id, eid, self._body(eid, row)))
            self._record(key, eid, fp)
            self.outcome.updated += 1
        for key in todo.deletes:
            self._call(lambda eid=pushed[key].event_id: self.api.delete_event(calendar_id, eid))  # 410: gone already
            self._record(key, pushed[key].event_id, pushed[key].fingerprint, deleted=True)
            self.outcome.deleted += 1

    def _insert(self, calendar_id: str, eid: str, row: sa.Row) -> None:
        body = self._body(eid, row)
        try:
            self._call(lambda: self.api.insert_event(calendar_id, body))
        except GoogleDuplicate:  # an earlier try landed without an answer reaching us: compare, then update
            existing = self._call(lambda: self.api.get_event(calendar_id, eid))
            if existing is None or any(existing.get(k) != v for k, v in body.items() if k != "reminders"):
                self._call(lambda: self.api.update_event(calendar_id, eid, body))

    def _call(self, fn: Callable[[], T]) -> T:
        """One Google call within the quotas, with backoff, and one token refresh on a 401."""

        def attempt() -> T:
            self.user_quota.acquire()
            self.app.project_quota.acquire()
            try:
                return fn()
            except GoogleAccessExpired:
                self.api.use_token(self._with_backoff(lambda: self.app.oauth.refresh(self._refresh_token)).token)
                return fn()

        return self._with_backoff(attempt)

    def _with_backoff(self, fn: Callable[[], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception_type((GoogleRateLimited, GoogleUnavailable)),
            wait=wait_exponential(multiplier=self.app.retry_seconds, max=self.app.retry_seconds * 8),
            stop=stop_after_attempt(4),
            reraise=True,
        )
        return retrying(fn)


_REVOKED = "Google refused the stored authorisation (invalid_grant): connect Google again"


def players_to_push(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(google_accounts.c.user_id).where(google_accounts.c.connected)).scalars())


def pending_pushes(engine: sa.Engine, cursor: dict[str, str | None]) -> tuple[list[str], dict[str, str | None]]:
    with engine.connect() as conn:
        return changes_since(conn, cursor)


def purge_expired_states(engine: sa.Engine, now: datetime) -> int:
    with engine.begin() as conn:
        return purge_states(conn, now)
