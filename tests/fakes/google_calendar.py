"""A realistic fake of Google's OAuth token endpoint and Calendar API v3, one local HTTP server for both.

Built to the facts in /work/shared/reference/contest-calendars.md, section 9; ``base_url`` (the root) stands in for
both ``https://oauth2.googleapis.com`` and ``https://www.googleapis.com``::

    with FakeGoogle(timeout_delay=0.5) as google:
        token = google.issue_access_token("u-1")
        with GoogleCalendar(google.base_url, token) as calendar:
            calendar_id = calendar.create_calendar("Contests")
        google.events("u-1")

==========================================================  ========================================================
``POST /token`` (form)                                      ``grant_type=refresh_token`` (400 ``invalid_grant`` once
                                                            revoked or unknown) or ``authorization_code`` (a code
                                                            works once); 401 ``invalid_client`` on a wrong client
``POST /calendar/v3/calendars``                             ``calendars.insert``: a secondary calendar for the user
``GET /calendar/v3/calendars/{calendarId}``                 ``calendars.get``; 404 ``notFound`` (unknown, deleted, or
                                                            another user's)
``POST /calendar/v3/calendars/{calendarId}/events``         ``events.insert``; client ids must be base32hex, 5-1024
                                                            (400 ``invalidResourceId``); 409 ``duplicate`` when the id
                                                            exists, cancelled or not
``GET .../events/{eventId}``                                ``events.get``: cancelled events too; 404 ``notFound``
``PUT .../events/{eventId}``                                ``events.update`` (full replace); 404 unknown, 403
                                                            ``forbidden`` when cancelled
``DELETE .../events/{eventId}``                             ``events.delete``: 204, the event stays ``cancelled``;
                                                            again: 410 ``deleted``
==========================================================  ========================================================

Errors use Google's shape ``{"error": {"errors": [{domain, reason, message}], "code", "message"}}``; the token
endpoint answers RFC 6749 ``{"error", "error_description"}``. Every Calendar call needs ``Authorization: Bearer``
with a live access token (else 401 ``authError``). Quotas: sliding windows (``window_seconds``, 60) per user
(``user_limit``, 600) and per project (``project_limit``, 10,000) over the accepted Calendar calls; over either ->
403 ``usageLimits`` ``userRateLimitExceeded`` / ``rateLimitExceeded``. Event answers echo the body plus ``kind``,
``etag``, ``htmlLink``, ``created``, ``updated``, ``iCalUID``, ``sequence`` (raised when start or end changes),
``creator`` and ``organizer``. PATCH is not served (the shared handler has no ``do_PATCH``).

Faults (``inject(fault, times=1, operation=None)``, FIFO, optionally for one operation such as ``"events.insert"``
or ``"token"``):

=============  ===================================================================================================
http503        503 ``backendError`` (token: ``temporarily_unavailable``); not applied
http429        429 ``usageLimits``/``rateLimitExceeded`` with ``Retry-After: 30`` (the header is inferred); not applied
rate_limit_403 403 ``usageLimits``/``rateLimitExceeded`` "Rate Limit Exceeded", no Retry-After; not applied
timeout        the request IS applied, then nothing for ``timeout_delay`` seconds, then the answer
garbage        200 ``text/html``, a cut-off page that is not JSON; not applied
lost_response  the request IS applied, then the connection closes without an answer (adicu/adi-website#109)
=============  ===================================================================================================

Admin endpoints (not logged): ``GET /_admin/health``, ``GET /_admin/calls``, ``POST /_admin/grants``
``{refresh_token, user}``, ``DELETE /_admin/grants`` ``{refresh_token}``, ``POST /_admin/codes`` ``{user,
redirect_uri?}`` -> ``{code}``, ``POST /_admin/access_tokens`` ``{user}`` -> ``{access_token}``,
``POST /_admin/expire_access_tokens``, ``GET /_admin/calendars?user=``, ``GET /_admin/events?of=``,
``POST /_admin/faults``, ``DELETE /_admin/faults``, ``POST /_admin/reset``. Run alone with
``python -m tests.fakes.google_calendar --port 0`` (prints ``READY http://127.0.0.1:PORT``).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import sys
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.fakes._http import NO_ADMIN_ROUTE, FakeHandler, HttpFake, add_state_args, cli_parser, dumps, serve_cli

__all__ = ["Call", "FakeGoogle", "FAULTS", "CLIENT_ID", "CLIENT_SECRET"]

FAULTS = frozenset({"http503", "http429", "rate_limit_403", "timeout", "garbage", "lost_response"})
CLIENT_ID = "fake-client-id.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"
SCOPE = "https://www.googleapis.com/auth/calendar.app.created"
ACCESS_TOKEN_SECONDS = 3599
JSON_TYPE = "application/json; charset=UTF-8"
HTML_TYPE = "text/html; charset=UTF-8"
WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_REMINDER_OVERRIDES = 5
_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_ROUTE = re.compile(r"/calendar/v3/calendars(?:/(?P<calendar>[^/]+)(?:/events(?:/(?P<event>[^/]+))?)?)?")
_NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 404 (Not Found)!!1</title>"
    "<p><b>404.</b> <ins>That's an error.</ins><p>The requested URL was not found on this server.</html>"
)
_GARBAGE_PAGE = '<!DOCTYPE html><html lang="en"><head><title>Google Calendar</title></head><body><div id="load'


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it: ``operation`` is Google's method name (``events.insert``) or ``token``
    (None for an unknown route), ``path`` is percent-decoded, ``user`` the token's owner when it was valid,
    ``status`` the status sent (0: none, ``lost_response``)."""

    operation: str | None
    verb: str
    path: str
    params: dict[str, str]
    user: str | None
    at: float
    status: int
    fault: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "verb": self.verb, "path": self.path, "params": dict(self.params),
                "user": self.user, "at": self.at, "status": self.status, "fault": self.fault}  # fmt: skip


class _Answer(Exception):
    """Raised inside a handler to send a (status, body, headers) answer at once."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def _google_error(status: int, domain: str, reason: str, message: str, **location: str) -> _Answer:
    item = {"domain": domain, "reason": reason, "message": message, **location}
    return _Answer(status, {"error": {"errors": [item], "code": status, "message": message}})


def _oauth_error(status: int, error: str, description: str) -> _Answer:
    return _Answer(status, {"error": error, "error_description": description})


def _not_found() -> _Answer:
    return _google_error(404, "global", "notFound", "Not Found")


def _rfc3339_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeGoogle(HttpFake[Call]):
    """Google's token endpoint and Calendar API on one server; all state is guarded by one lock.

    Args:
        host, port: where to listen (``port=0`` picks a free port, kept across stop/start).
        timeout_delay: seconds a ``"timeout"`` fault holds the answer.
        user_limit, project_limit, window_seconds: the sliding-window quotas (Google: 600 and 10,000 per minute).
        client_id, client_secret: the OAuth client the token endpoint accepts.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        timeout_delay: float = 15.0,
        user_limit: int = 600,
        project_limit: int = 10_000,
        window_seconds: float = 60.0,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        max_calls: int | None = 100_000,
    ) -> None:
        super().__init__(host, port, timeout_delay=timeout_delay, max_calls=max_calls)
        self.user_limit, self.project_limit, self.window_seconds = user_limit, project_limit, window_seconds
        self.client_id, self.client_secret = client_id, client_secret
        self._faults: list[list[Any]] = []
        self._clear_state()

    def _clear_state(self) -> None:
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> user
        self._codes: dict[str, tuple[str, str | None]] = {}  # code -> (user, redirect_uri)
        self._access_tokens: dict[str, tuple[str, float]] = {}  # access token -> (user, expires at, epoch s)
        self._calendars: dict[str, dict[str, Any]] = {}  # id -> {"owner", "resource", "events": {id: event}}
        self._user_window: dict[str, deque[float]] = {}
        self._project_window: deque[float] = deque()
        self._etag = 3_480_000_000_000_000

    @property
    def base_url(self) -> str:
        """The root: both the OAuth URL and the Calendar API URL."""
        return self.root_url

    def settings(self) -> dict[str, str]:
        """`Settings` fields pointing at this fake."""
        return {"google_oauth_url": self.base_url, "google_calendar_api_url": self.base_url}

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """No tokens, calendars, faults or calls; quotas back to an empty window."""
        with self._lock:
            self._clear_state()
            self._faults.clear()
            self._calls.clear()

    def grant(self, refresh_token: str, user: str) -> None:
        """Register a live refresh token for `user` (as if the user had consented)."""
        with self._lock:
            self._refresh_tokens[refresh_token] = user

    def revoke(self, refresh_token: str) -> None:
        """The user (or Google) revoked the grant: refreshing answers 400 ``invalid_grant`` from now on."""
        with self._lock:
            self._refresh_tokens.pop(refresh_token, None)

    def issue_code(self, user: str, redirect_uri: str | None = None) -> str:
        """An authorization code for `user`, as the consent redirect carries it; good for one exchange (with
        this `redirect_uri`, if given)."""
        code = f"4/0A{secrets.token_urlsafe(24)}"
        with self._lock:
            self._codes[code] = (user, redirect_uri)
        return code

    def issue_access_token(self, user: str) -> str:
        """A live access token for `user`, without the OAuth dance."""
        with self._lock:
            return self._new_access_token(user)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 ``authError`` from now on."""
        with self._lock:
            self._access_tokens = {token: (user, 0.0) for token, (user, _) in self._access_tokens.items()}

    def refresh_tokens(self, user: str) -> list[str]:
        """The user's live refresh tokens."""
        with self._lock:
            return [token for token, owner in self._refresh_tokens.items() if owner == user]

    def calendars(self, user: str) -> list[dict[str, Any]]:
        """The user's calendars as the API shows them, in creation order."""
        with self._lock:
            return [copy.deepcopy(c["resource"]) for c in self._calendars.values() if c["owner"] == user]

    def events(self, user_or_calendar: str) -> list[dict[str, Any]]:
        """Events (cancelled ones included) of one calendar id, or of all a user's calendars."""
        with self._lock:
            if user_or_calendar in self._calendars:
                chosen = [self._calendars[user_or_calendar]]
            else:
                chosen = [c for c in self._calendars.values() if c["owner"] == user_or_calendar]
            return [copy.deepcopy(e) for c in chosen for e in c["events"].values()]

    def delete_calendar(self, calendar_id: str) -> None:
        """The user deleted the calendar in Google's UI: it answers 404 from now on (KeyError if unknown)."""
        with self._lock:
            del self._calendars[calendar_id]

    def cancel_event(self, calendar_id: str, event_id: str) -> None:
        """The user deleted the event in Google's UI: it stays, ``cancelled`` (KeyError if unknown)."""
        with self._lock:
            self._cancel(self._calendars[calendar_id]["events"][event_id])

    def calls_for(self, operation: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.operation == operation]

    def write_calls(self) -> int:
        """Requests that write events (POST/PUT/PATCH/DELETE on ``.../events``), answered or not."""
        with self._lock:
            return sum(1 for c in self._calls if (c.operation or "").startswith("events.") and c.verb in WRITE_VERBS)

    def inject(self, fault: str, times: int = 1, operation: str | None = None) -> None:
        """Serve `fault` to the next `times` requests (to `operation` only, if given; see the module docstring)."""
        self._queue_fault(FAULTS, fault, times, operation)

    # ------------------------------------------------------------------ HTTP

    def _handle(self, handler: FakeHandler, verb: str, path: str, params: dict[str, str], raw: bytes) -> None:
        if path.startswith("/_admin/"):
            self._handle_admin(handler, verb, path[len("/_admin/") :], params, raw)
            return
        operation, calendar_id, event_id = _route(verb, path)
        user = None
        with self._lock:
            fault = self._take_fault(operation) if operation else None
            try:
                if operation is None:
                    raise _Answer(404, _NOT_FOUND_PAGE)
                if fault in ("http503", "http429", "rate_limit_403", "garbage"):
                    raise _fault_answer(fault, operation)
                if operation == "token":
                    answer = self._token(raw)
                else:
                    user = self._authorize(handler.headers.get("Authorization"))
                    self._count_quota(user)
                    answer = self._calendar_api(operation, user, calendar_id, event_id, raw)
            except _Answer as exc:
                answer = exc
            status = 0 if fault == "lost_response" else answer.status
            self._calls.append(Call(operation, verb, unquote(path), params, user, time.time(), status, fault))
        if fault == "lost_response":
            handler.close_connection = True  # applied, but the client never hears back
            return
        if fault == "timeout" and self._stopping.wait(self.timeout_delay):
            handler.close_connection = True  # server stopping: drop the request
            return
        self._reply(handler, answer)

    def _reply(self, handler: FakeHandler, answer: _Answer) -> None:
        if answer.status == 204:
            body, content_type = b"", None
        elif isinstance(answer.body, str):
            body, content_type = answer.body.encode(), HTML_TYPE
        else:
            body, content_type = dumps(answer.body), JSON_TYPE
        try:
            handler.send_response(answer.status)
            if content_type:
                handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True

    # ------------------------------------------------------------------ OAuth (under the lock)

    def _token(self, raw: bytes) -> _Answer:
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if form.get("client_id") != self.client_id:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if form.get("client_secret") != self.client_secret:
            return _oauth_error(401, "invalid_client", "Unauthorized")
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token":
            user = self._refresh_tokens.get(form.get("refresh_token", ""))
            if user is None:
                return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            return _Answer(200, self._token_body(user))
        if grant_type == "authorization_code":
            user_and_uri = self._codes.pop(form.get("code", ""), None)
            if user_and_uri is None:  # unknown, or already exchanged
                return _oauth_error(400, "invalid_grant", "Bad Request")
            user, redirect_uri = user_and_uri
            if redirect_uri is not None and form.get("redirect_uri") != redirect_uri:
                return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
            refresh_token = f"1//0g{secrets.token_urlsafe(32)}"
            self._refresh_tokens[refresh_token] = user
            return _Answer(200, {**self._token_body(user), "refresh_token": refresh_token})
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")

    def _token_body(self, user: str) -> dict[str, Any]:
        token = self._new_access_token(user)
        return {"access_token": token, "expires_in": ACCESS_TOKEN_SECONDS, "scope": SCOPE, "token_type": "Bearer"}

    def _new_access_token(self, user: str) -> str:
        token = f"ya29.{secrets.token_urlsafe(40)}"
        self._access_tokens[token] = (user, time.time() + ACCESS_TOKEN_SECONDS)
        return token

    def _authorize(self, header: str | None) -> str:
        scheme, _, token = (header or "").partition(" ")
        owner = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
        if owner is None or owner[1] <= time.time():
            answer = _google_error(401, "global", "authError", "Invalid Credentials",
                                   locationType="header", location="Authorization")  # fmt: skip
            answer.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            raise answer
        return owner[0]

    def _count_quota(self, user: str) -> None:
        """Admit the call into both sliding windows, or refuse it (refused calls are not counted)."""
        now = time.monotonic()
        user_window = self._user_window.setdefault(user, deque())
        for window in (user_window, self._project_window):
            while window and window[0] <= now - self.window_seconds:
                window.popleft()
        if len(self._project_window) >= self.project_limit:
            raise _google_error(403, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded")
        if len(user_window) >= self.user_limit:
            raise _google_error(403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded")
        user_window.append(now)
        self._project_window.append(now)

    # ------------------------------------------------------------------ Calendar API (under the lock)

    def _calendar_api(
        self, operation: str, user: str, calendar_id: str | None, event_id: str | None, raw: bytes
    ) -> _Answer:
        if operation == "calendars.insert":
            return _Answer(200, self._insert_calendar(user, _json_body(raw)))
        calendar = self._calendars.get(calendar_id or "")
        if calendar is None or calendar["owner"] != user:
            raise _not_found()
        if operation == "calendars.get":
            return _Answer(200, copy.deepcopy(calendar["resource"]))
        events: dict[str, dict[str, Any]] = calendar["events"]
        if operation == "events.insert":
            return _Answer(200, self._insert_event(calendar_id or "", events, _json_body(raw)))
        event = events.get(event_id or "")
        if event is None:
            raise _not_found()
        if operation == "events.get":
            return _Answer(200, copy.deepcopy(event))
        if operation == "events.update":
            if event["status"] == "cancelled":  # googleapis/google-api-ruby-client#1811
                raise _google_error(403, "global", "forbidden", "Forbidden")
            return _Answer(200, self._update_event(event, _json_body(raw)))
        if event["status"] == "cancelled":  # events.delete, a second time
            raise _google_error(410, "global", "deleted", "Resource has been deleted")
        self._cancel(event)
        return _Answer(204, None)

    def _insert_calendar(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("summary"):
            raise _google_error(400, "global", "required", "Missing title.")
        time_zone = body.get("timeZone", "UTC")
        try:
            ZoneInfo(str(time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise _google_error(400, "global", "invalid", "Invalid time zone definition.") from None
        calendar_id = f"c_{secrets.token_hex(32)}@group.calendar.google.com"
        resource = {"kind": "calendar#calendar", "etag": self._next_etag(), "id": calendar_id,
                    "summary": body["summary"], "timeZone": time_zone,
                    "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}}  # fmt: skip
        self._calendars[calendar_id] = {"owner": user, "resource": resource, "events": {}}
        return copy.deepcopy(resource)

    def _insert_event(self, calendar_id: str, events: dict[str, dict[str, Any]], body: dict[str, Any]) -> dict:
        event_id = body.get("id")
        if event_id is None:
            event_id = base64.b32hexencode(secrets.token_bytes(16)).decode().rstrip("=").lower()
        elif not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
            raise _google_error(400, "global", "invalidResourceId", "Invalid resource id value.")
        elif event_id in events:  # cancelled ones too
            raise _google_error(409, "global", "duplicate", "The requested identifier already exists.")
        _check_event(body)
        now = _rfc3339_now()
        eid = base64.b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
        event = {
            "reminders": {"useDefault": True},
            **body,
            "kind": "calendar#event",
            "etag": self._next_etag(),
            "id": event_id,
            "status": body.get("status", "confirmed"),
            "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
            "created": now,
            "updated": now,
            "creator": {"email": calendar_id, "self": True},
            "organizer": {"email": calendar_id, "self": True},
            "iCalUID": f"{event_id}@google.com",
            "sequence": int(body.get("sequence", 0)),
            "eventType": "default",
        }
        events[event_id] = event
        return copy.deepcopy(event)

    def _update_event(self, event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        _check_event(body)
        moved = body["start"] != event["start"] or body["end"] != event["end"]
        kept = {k: event[k] for k in ("kind", "id", "htmlLink", "created", "creator", "organizer", "iCalUID",
                                      "eventType")}  # fmt: skip
        sequence = max(int(body.get("sequence", 0)), event["sequence"] + (1 if moved else 0))
        replaced = {"reminders": {"useDefault": True}, **body, **kept, "etag": self._next_etag(),
                    "status": body.get("status", "confirmed"), "updated": _rfc3339_now(),
                    "sequence": sequence}  # fmt: skip
        event.clear()
        event.update(replaced)
        return copy.deepcopy(event)

    def _cancel(self, event: dict[str, Any]) -> None:
        event.update(status="cancelled", etag=self._next_etag(), updated=_rfc3339_now())

    def _next_etag(self) -> str:
        self._etag += 1_000
        return f'"{self._etag}"'

    # ------------------------------------------------------------------ /_admin/

    def _admin_route(self, verb: str, path: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        route = (verb, path)
        if route == ("GET", "health"):
            return None
        if route == ("GET", "calls"):
            return [c.to_dict() for c in self.calls]
        if route == ("POST", "grants"):
            return self.grant(body["refresh_token"], body["user"])
        if route == ("DELETE", "grants"):
            return self.revoke(body["refresh_token"])
        if route == ("POST", "codes"):
            return {"code": self.issue_code(body["user"], body.get("redirect_uri"))}
        if route == ("POST", "access_tokens"):
            return {"access_token": self.issue_access_token(body["user"])}
        if route == ("POST", "expire_access_tokens"):
            return self.expire_access_tokens()
        if route == ("GET", "calendars"):
            return self.calendars(params["user"])
        if route == ("GET", "events"):
            return self.events(params["of"])
        return NO_ADMIN_ROUTE


def _route(verb: str, path: str) -> tuple[str | None, str | None, str | None]:
    """(operation, calendar id, event id) of an API path (ids percent-decoded); operation None if unknown."""
    if path == "/token":
        return ("token" if verb == "POST" else None), None, None
    match = _ROUTE.fullmatch(path)
    if match is None:
        return None, None, None
    calendar = unquote(match["calendar"]) if match["calendar"] else None
    event = unquote(match["event"]) if match["event"] else None
    if calendar is None:
        operation = {"POST": "calendars.insert"}.get(verb)
    elif "/events" not in path:
        operation = {"GET": "calendars.get"}.get(verb)
    elif event is None:
        operation = {"POST": "events.insert"}.get(verb)
    else:
        operation = {"GET": "events.get", "PUT": "events.update", "DELETE": "events.delete"}.get(verb)
    return operation, calendar, event


def _fault_answer(fault: str, operation: str) -> _Answer:
    if fault == "garbage":
        return _Answer(200, _GARBAGE_PAGE)
    if operation == "token":
        if fault == "http503":
            return _oauth_error(503, "temporarily_unavailable", "The service is currently unavailable.")
        answer = _oauth_error(429 if fault == "http429" else 403, "rate_limit_exceeded", "Rate Limit Exceeded")
    elif fault == "http503":
        return _google_error(503, "global", "backendError", "The service is currently unavailable.")
    else:
        answer = _google_error(429 if fault == "http429" else 403, "usageLimits", "rateLimitExceeded",
                               "Rate Limit Exceeded")  # fmt: skip
    if fault == "http429":
        answer.headers["Retry-After"] = "30"
    return answer


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise _google_error(400, "global", "parseError", "Parse Error") from None
    if not isinstance(body, dict):
        raise _google_error(400, "global", "parseError", "Parse Error")
    return body


def _check_event(body: dict[str, Any]) -> None:
    """Google's checks on an event body that matter to us: times present, parseable and ordered; <= 5 reminders."""
    times = []
    for field in ("start", "end"):
        value = body.get(field)
        if not isinstance(value, dict) or not (value.get("dateTime") or value.get("date")):
            raise _google_error(400, "global", "required", f"Missing {field} time.")
        try:
            at = datetime.fromisoformat(value.get("dateTime") or value["date"])
        except (TypeError, ValueError):
            raise _google_error(400, "global", "invalid", f"Invalid {field} time.") from None
        if at.tzinfo is None:
            if value.get("dateTime") and not value.get("timeZone"):
                raise _google_error(400, "global", "required", f"Missing time zone definition for {field} time.")
            at = at.replace(tzinfo=UTC)
        times.append(at)
    if times[1] < times[0]:
        raise _google_error(400, "calendar", "timeRangeEmpty", "The specified time range is empty.")
    overrides = (body.get("reminders") or {}).get("overrides") or []
    if len(overrides) > MAX_REMINDER_OVERRIDES:
        raise _google_error(400, "global", "invalid", "Too many reminder overrides.")  # message illustrative


def load_state(fake: FakeGoogle, state: dict[str, Any]) -> None:
    """Load ``{"refresh_tokens": {token: user}}``."""
    for token, user in state.get("refresh_tokens", {}).items():
        fake.grant(token, user)


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tests.fakes.google_calendar", __doc__.splitlines()[0])
    add_state_args(parser, 'JSON file {"refresh_tokens": {token: user}} to preload')
    args = parser.parse_args(argv)
    fake = FakeGoogle(args.host, args.port, timeout_delay=args.timeout_delay)
    return serve_cli(fake, args.state, load_state)


if __name__ == "__main__":
    sys.exit(main())
