"""Google Calendar API v3 and Google's OAuth token endpoint: the only place that pushes contests into players'
calendars (reference: /work/shared/reference/contest-calendars.md, section 9).

Discipline: every method makes exactly one HTTP call and never retries; the caller decides backoff from the typed
error. Events carry client-supplied ids derived from (user, judge, key) (`event_id`), so an insert whose answer was
lost is found again (GET, or 409 on the next insert) instead of becoming a duplicate. Tokens, codes and the client
secret never reach an exception message, a log line or a `repr`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import quote, urlencode

import httpx

__all__ = [
    "AccessToken", "GoogleAccessExpired", "GoogleAuthRevoked", "GoogleCalendar", "GoogleDuplicate", "GoogleError",
    "GoogleOAuth", "GoogleRateLimited", "GoogleRequestError", "GoogleUnavailable", "SCOPE", "TokenGrant",
    "base32hex_sha1", "event_body", "event_id",
]  # fmt: skip

log = logging.getLogger(__name__)

# Lets the app create secondary calendars and manage their events, and nothing else of the player's calendars.
SCOPE = "https://www.googleapis.com/auth/calendar.app.created"
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
MAX_REMINDER_MINUTES = 40_320  # four weeks, Google's limit on a reminder override
EXCERPT_CHARS = 200
REDACTED = "***"


# ---------------------------------------------------------------------- errors


class GoogleError(Exception):
    """Every failure either client reports: `status` is the HTTP status (None when no answer came), `reason`
    Google's machine-readable reason (`duplicate`, `authError`, `invalid_grant`, `timeout`...), `message` a
    readable sentence without secrets."""

    def __init__(self, status: int | None, reason: str, message: str):
        super().__init__(status, reason, message)  # args as the constructor takes them: Dagster pickles failures
        self.status, self.reason, self.message = status, reason, message

    def __str__(self) -> str:
        return self.message


class GoogleAuthRevoked(GoogleError):
    """The token endpoint answered `invalid_grant`: the grant is dead for good, the player must reconnect."""


class GoogleAccessExpired(GoogleError):
    """HTTP 401: the access token is no longer accepted; refresh it and retry once."""


class GoogleRateLimited(GoogleError):
    """403 `rateLimitExceeded`/`userRateLimitExceeded`/`quotaExceeded` or 429: back off exponentially.
    `retry_after` is the server's Retry-After in seconds, when it sent one."""

    def __init__(self, status: int | None, reason: str, message: str, retry_after: float | None = None):
        super().__init__(status, reason, message)
        self.args = (status, reason, message, retry_after)
        self.retry_after = retry_after


class GoogleUnavailable(GoogleError):
    """Transient: 5xx, timeout, connection error, or an answer that is not Google's JSON. The request may have
    been applied (a lost answer): look before writing again."""


class GoogleRequestError(GoogleError):
    """Any other 4xx (e.g. 400 `timeRangeEmpty`, 403 `forbidden`): permanent, retrying the same request fails."""


class GoogleDuplicate(GoogleError):
    """HTTP 409 `duplicate` on insert: an event with this id exists in the calendar, possibly cancelled."""


# ---------------------------------------------------------------------- OAuth


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"AccessToken(token={REDACTED!r}, expires_at={self.expires_at.isoformat()!r})"


@dataclass(frozen=True)
class TokenGrant:
    """What an authorization code buys: `refresh_token` is None when Google did not issue one (no new consent)."""

    access_token: str
    expires_at: datetime
    refresh_token: str | None
    scope: str

    def __repr__(self) -> str:
        refresh = None if self.refresh_token is None else REDACTED
        return (f"TokenGrant(access_token={REDACTED!r}, expires_at={self.expires_at.isoformat()!r}, "
                f"refresh_token={refresh!r}, scope={self.scope!r})")  # fmt: skip


class GoogleOAuth:
    """Google's consent URL and token endpoint (`POST {oauth_url}/token`); one HTTP call per method."""

    def __init__(
        self,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        transport: httpx.BaseTransport | None = None,
        timeout_seconds: float = 20,
    ):
        if not client_id or not client_secret:
            raise ValueError("GoogleOAuth needs a client id and a client secret")
        self.client_id = client_id
        self._client_secret = client_secret
        self._http = httpx.Client(
            base_url=oauth_url.rstrip("/"),
            timeout=timeout_seconds,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self.calls: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"GoogleOAuth(url={str(self._http.base_url)!r}, client_id={self.client_id!r}, client_secret='***')"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def consent_url(self, auth_url: str, redirect_uri: str, state: str) -> str:
        """Where to send the player: offline access and a forced consent, so Google issues a refresh token."""
        query = urlencode(
            {"client_id": self.client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": SCOPE,
             "access_type": "offline", "prompt": "consent", "state": state},
            quote_via=quote,
        )  # fmt: skip
        return f"{auth_url.rstrip('/')}/o/oauth2/v2/auth?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> TokenGrant:
        """Trade the code from the consent redirect for tokens (a code works once)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        payload, expires_at = self._token("exchange_code", form, (code,))
        refresh = payload.get("refresh_token")
        return TokenGrant(
            payload["access_token"], expires_at, refresh if isinstance(refresh, str) else None,
            str(payload.get("scope", "")),
        )  # fmt: skip

    def refresh(self, refresh_token: str) -> AccessToken:
        """A fresh access token; `GoogleAuthRevoked` when the refresh token is dead."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        payload, expires_at = self._token("refresh", form, (refresh_token,))
        return AccessToken(payload["access_token"], expires_at)

    def _token(self, operation: str, form: dict[str, str], secrets: tuple[str, ...]) -> tuple[dict[str, Any], datetime]:
        secrets = (*secrets, self._client_secret)
        self.calls[operation] += 1
        form = {**form, "client_id": self.client_id, "client_secret": self._client_secret}
        where = f"Google OAuth {operation}"
        response = _send(self._http, where, "POST", "/token", data=form)
        payload = _json_object(response)
        if response.is_success:
            if (
                payload is None
                or not isinstance(payload.get("access_token"), str)
                or not isinstance(payload.get("expires_in"), int | float)
            ):
                raise GoogleUnavailable(response.status_code, "invalid_response",
                                        f"{where}: HTTP {response.status_code} without an access token")  # fmt: skip
            return payload, datetime.now(UTC) + timedelta(seconds=payload["expires_in"])
        status = response.status_code
        error = str(payload.get("error", "")) if payload else ""
        detail = str(payload.get("error_description", "")) if payload else _excerpt(response)
        message = _redact(f"{where}: HTTP {status} {error or 'error'}: {detail or 'no detail'}", secrets)
        if error == "invalid_grant":
            raise GoogleAuthRevoked(status, error, message)
        if status == 429:
            raise GoogleRateLimited(status, error or "rateLimitExceeded", message, _retry_after(response))
        if status >= 500 or payload is None:
            raise GoogleUnavailable(status, error or "invalid_response", message)
        raise GoogleRequestError(status, error or "http_error", message)


# ---------------------------------------------------------------------- Calendar API


class GoogleCalendar:
    """Calendar API v3 calls with one player's access token; counts HTTP calls per operation in `calls`."""

    def __init__(
        self,
        api_url: str,
        access_token: str,
        transport: httpx.BaseTransport | None = None,
        timeout_seconds: float = 20,
    ):
        if not access_token:
            raise ValueError("GoogleCalendar needs an access token")
        # httpx masks Authorization in the client's repr.
        self._http = httpx.Client(
            base_url=api_url.rstrip("/") + "/calendar/v3",
            timeout=timeout_seconds,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._token = ""
        self.use_token(access_token)
        self.calls: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"GoogleCalendar(url={str(self._http.base_url)!r}, token='***', calls={sum(self.calls.values())})"

    def use_token(self, access_token: str) -> None:
        """Swap in a refreshed access token (after `GoogleAccessExpired`)."""
        self._token = access_token
        self._http.headers["Authorization"] = f"Bearer {access_token}"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_calendar(self, summary: str, time_zone: str = "UTC") -> str:
        """A new secondary calendar owned by the app (all the `calendar.app.created` scope may write); its id."""
        calendar = self._call(
            "calendars.insert", "POST", "/calendars", body={"summary": summary, "timeZone": time_zone}
        )
        if not isinstance(calendar.get("id"), str):
            raise GoogleUnavailable(200, "invalid_response", "Google Calendar calendars.insert: answer without an id")
        return calendar["id"]

    def get_calendar(self, calendar_id: str) -> dict[str, Any] | None:
        """The calendar, or None when the player deleted it (404/410): recreate it."""
        return self._call("calendars.get", "GET", _calendar_path(calendar_id), absent=(404, 410))

    def insert_event(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Create the event under its own id; `GoogleDuplicate` when that id exists (even cancelled)."""
        return self._call("events.insert", "POST", f"{_calendar_path(calendar_id)}/events", body=event,
                          params={"sendUpdates": "none"})  # fmt: skip

    def get_event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        """The event (a deleted one comes back with `status: "cancelled"`), or None when there is none (404)."""
        return self._call("events.get", "GET", _event_path(calendar_id, event_id), absent=(404,))

    def update_event(self, calendar_id: str, event_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Replace the whole event (PUT): send every field we own."""
        return self._call("events.update", "PUT", _event_path(calendar_id, event_id), body=event,
                          params={"sendUpdates": "none"})  # fmt: skip

    def delete_event(self, calendar_id: str, event_id: str) -> bool:
        """True when this call deleted it; False when it was already gone (410, or 404) - both are success."""
        return self._call("events.delete", "DELETE", _event_path(calendar_id, event_id),
                          params={"sendUpdates": "none"}, absent=(404, 410)) is not None  # fmt: skip

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        absent: tuple[int, ...] = (),
    ) -> Any:
        """One HTTP call: the JSON answer ({} for an empty 2xx), None for a Google error in `absent`, else raise."""
        self.calls[operation] += 1
        where = f"Google Calendar {operation}"
        response = _send(self._http, where, method, path, json=body, params=params)
        status = response.status_code
        if response.is_success:
            if not response.content:
                return {}
            payload = _json_object(response)
            if payload is None:
                message = self._redact(f"{where}: HTTP {status} not JSON: {_excerpt(response)}")
                raise GoogleUnavailable(status, "invalid_response", message)
            return payload
        error = _google_error(response)
        if status in absent and error is not None:
            return None
        raise self._error(where, response, error)

    def _error(self, where: str, response: httpx.Response, error: tuple[str, str] | None) -> GoogleError:
        status = response.status_code
        reason, detail = error if error is not None else ("", _excerpt(response))
        message = self._redact(f"{where}: HTTP {status} {reason or 'error'}: {detail or 'no detail'}")
        if status == 401:
            return GoogleAccessExpired(status, reason or "authError", message)
        if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS):
            return GoogleRateLimited(status, reason or "rateLimitExceeded", message, _retry_after(response))
        if status >= 500 or error is None:  # no Google error body: a proxy or an outage answered
            return GoogleUnavailable(status, reason or "invalid_response", message)
        if status == 409:
            return GoogleDuplicate(status, reason, message)
        return GoogleRequestError(status, reason, message)

    def _redact(self, text: str) -> str:
        return _redact(text, (self._token,))


# ---------------------------------------------------------------------- event ids and bodies


def event_id(user_id: str, judge: str, key: str) -> str:
    """The contest's event id in this player's calendar, the same on every run (so a lost insert answer is found
    again, not duplicated): `base32hex_sha1` of "user:judge:key", 32 characters."""
    return base32hex_sha1(f"{user_id}:{judge}:{key}")


def base32hex_sha1(text: str) -> str:
    """Lowercase base32hex (RFC 4648 extended hex: [0-9a-v], Google's alphabet for client ids) of sha1(text),
    without padding: 32 characters."""
    digest = hashlib.sha1(text.encode()).digest()
    return base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def event_body(
    event_id: str,
    title: str,
    url: str,
    start: datetime,
    end: datetime,
    judge: str,
    key: str,
    sequence: int,
    reminder_minutes: int | None,
) -> dict[str, Any]:
    """The full event we own (PUT replaces everything): free time, our own reminder or none, and the contest's
    identity and revision in private extended properties."""
    if reminder_minutes is not None and not 0 <= reminder_minutes <= MAX_REMINDER_MINUTES:
        raise ValueError(f"reminder_minutes must be within 0..{MAX_REMINDER_MINUTES}, got {reminder_minutes}")
    overrides = [] if reminder_minutes is None else [{"method": "popup", "minutes": reminder_minutes}]
    return {
        "id": event_id,
        "summary": title,
        "description": url,
        "start": {"dateTime": _rfc3339(start)},
        "end": {"dateTime": _rfc3339(end)},
        "status": "confirmed",
        "transparency": "transparent",
        "reminders": {"useDefault": False, "overrides": overrides},
        "extendedProperties": {"private": {"judge": judge, "key": key, "sequence": str(sequence)}},
    }


# ---------------------------------------------------------------------- plumbing


def _rfc3339(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError(f"event times must be aware datetimes, got {at!r}")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _calendar_path(calendar_id: str) -> str:
    # Secondary calendar ids contain "@": quote every character outside the unreserved set.
    return f"/calendars/{quote(calendar_id, safe='')}"


def _event_path(calendar_id: str, event_id: str) -> str:
    return f"{_calendar_path(calendar_id)}/events/{quote(event_id, safe='')}"


def _send(http: httpx.Client, where: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; transport failures become `GoogleUnavailable` (or `GoogleRequestError` when no retry helps)."""
    try:
        response = http.request(method, path, **kwargs)
    except httpx.TimeoutException as exc:
        raise GoogleUnavailable(None, "timeout", f"{where}: Google did not answer in time") from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise GoogleUnavailable(None, "connection_error", f"{where}: no answer ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:  # a bad URL or scheme: another attempt cannot help
        raise GoogleRequestError(None, "request_failed", f"{where}: request failed ({type(exc).__name__})") from exc
    log.debug("%s -> HTTP %s", where, response.status_code)
    return response


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _google_error(response: httpx.Response) -> tuple[str, str] | None:
    """(reason, message) from Google's error body `{"error": {"errors": [{reason, message}], "code", "message"}}`."""
    payload = _json_object(response)
    error = payload.get("error") if payload else None
    if not isinstance(error, dict):
        return None
    items = error.get("errors")
    first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    return str(first.get("reason", "")), str(error.get("message") or first.get("message") or "")


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _excerpt(response: httpx.Response) -> str:
    return " ".join(response.text.split())[:EXCERPT_CHARS]


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
