"""The game platform (MetaCTF) client: the only place in the product that talks to the CTF game platform.

Discipline (seed 001, sections 5, 17, 19): every call carries `Authorization: Bearer <token>`; HTTP 200
and 201 are both success (the vendor declares 201 on some GETs); 5xx answers, timeouts and connection
errors are retried here with exponential backoff (tenacity), `max_attempts` attempts in all; anything
else - a 4xx, the last 5xx, a body that is not JSON or does not match the schema - becomes one typed
`GamePlatformError`. The token never reaches a log line, an exception or a `repr`.

One client is shared by the threads of a sync pass (httpx.Client is thread-safe; each call builds its own
tenacity `Retrying`): at most `max_concurrency` HTTP attempts are in flight at once, and attempts start at
most `max_calls_per_second` a second (`CallPacer`), retries included, since the vendor sees those too.

A retried POST may have been applied by the platform even though the answer was lost (a timeout), so a
retried create can end in `conflict`: callers reconcile with `get_user` / `get_team_assignments`.
"""

import logging
import threading
import time
from collections import Counter
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from contest_pipelines.clients.game_platform.errors import CODES_BY_STATUS, GamePlatformError, Transient
from contest_pipelines.clients.game_platform.limits import CallPacer
from contest_pipelines.clients.game_platform.models import (
    FlashCtfProgress,
    OdlScores,
    PlatformTeam,
    PlatformUser,
    TeamAssignments,
)
from contest_pipelines.settings import Settings

# The package name, as before the split: log configuration that names it keeps working.
log = logging.getLogger("contest_pipelines.clients.game_platform")

EXCERPT_CHARS = 200
MAX_BACKOFF_SECONDS = 30.0
SUCCESS = (200, 201)
# The product's defaults (GAME_PLATFORM_MAX_CONCURRENCY, GAME_PLATFORM_MAX_CALLS_PER_SECOND), one source.
DEFAULT_MAX_CONCURRENCY: int = Settings.model_fields["game_platform_max_concurrency"].default
DEFAULT_MAX_CALLS_PER_SECOND: float = Settings.model_fields["game_platform_max_calls_per_second"].default
REDACTED = "***"
# Request fields that may go into an error's context and the logs: identifiers and enums only.
# Names, e-mail addresses and affiliations are personal data and stay out.
SAFE_FIELDS = frozenset(
    {"syned_user_id", "syned_team_id", "syned_coach_user_id", "after_time_unix", "role", "division"}
)


M = TypeVar("M", bound=BaseModel)


class GamePlatformClient:
    """Retried, validated calls to the game platform; counts every HTTP attempt per endpoint in `calls`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_seconds: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 3,
        backoff_seconds: float = 0.5,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_calls_per_second: float = DEFAULT_MAX_CALLS_PER_SECOND,
    ):
        if not token:
            raise ValueError("GamePlatformClient needs an API token")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        # The token lives only in the httpx client's headers, whose repr masks Authorization.
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            timeout=timeout_seconds,
            transport=transport,
            # Every call in flight keeps its connection for the next one (httpx keeps 20 by default).
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=max(20, max_concurrency)),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        self._redact_value = token
        # Only scheme and host in repr: the vendor's base path carries a tenant key.
        parts = urlsplit(base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.calls: Counter[str] = Counter()
        # Jobs share one client between threads; Counter's += is not atomic.
        self._calls_lock = threading.Lock()
        self.max_concurrency = max_concurrency
        self._in_flight = threading.BoundedSemaphore(max_concurrency)
        self.pacer = CallPacer(max_calls_per_second)

    def __repr__(self) -> str:
        return f"GamePlatformClient(origin={self._origin!r}, token={REDACTED!r}, calls={sum(self.calls.values())})"

    @property
    def api_calls(self) -> int:
        """HTTP attempts made so far, retries included."""
        with self._calls_lock:
            return sum(self.calls.values())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "GamePlatformClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ users

    def create_user(self, first_name: str, last_name: str, email: str, role: str, syned_user_id: str) -> PlatformUser:
        body = {"first_name": first_name, "last_name": last_name, "email": email, "role": role,
                "syned_user_id": syned_user_id}  # fmt: skip
        return self._call_model(PlatformUser, "POST", "users", body=body)

    def get_user(self, syned_user_id: str) -> PlatformUser | None:
        """The platform's user for our id, or None when the platform does not know it (HTTP 404)."""
        return self._call_model(PlatformUser, "GET", "users", params={"syned_user_id": syned_user_id}, none_on_404=True)

    def send_password_reset_email(self, email: str) -> None:
        self._call("POST", "auth/send_password_reset_email", body={"email": email})

    # ------------------------------------------------------------------ teams

    def create_team(
        self, syned_team_id: str, syned_coach_user_id: str, name: str, division: str, affiliation: str
    ) -> PlatformTeam:
        body = {"syned_team_id": syned_team_id, "syned_coach_user_id": syned_coach_user_id, "name": name,
                "division": division, "affiliation": affiliation}  # fmt: skip
        return self._call_model(PlatformTeam, "POST", "teams", body=body)

    def delete_team(self, syned_team_id: str) -> None:
        """Delete a team; the platform refuses (bad_request) while the team has members."""
        self._call("POST", "teams/delete", body={"syned_team_id": syned_team_id})

    def assign_member(self, syned_team_id: str, syned_user_id: str) -> None:
        self._call("POST", "users/assign_team", body={"syned_team_id": syned_team_id, "syned_user_id": syned_user_id})

    def get_team_assignments(self, syned_team_id: str | None = None) -> TeamAssignments:
        params = {"syned_team_id": syned_team_id} if syned_team_id is not None else None
        return self._call_model(TeamAssignments, "GET", "users/get_team_assignments", params=params)

    # ------------------------------------------------------------------ scores

    def get_odl_scores(self, syned_user_id: str, after_time_unix: int | None = None) -> OdlScores:
        """ODL totals (always over all solves) and the solves strictly after `after_time_unix`, if given."""
        params: dict[str, Any] = {"syned_user_id": syned_user_id}
        if after_time_unix is not None:
            params["after_time_unix"] = int(after_time_unix)
        return self._call_model(OdlScores, "GET", "scores/get_odl_scores", params=params)

    def get_flash_ctf_progress(self, syned_user_id: str) -> FlashCtfProgress:
        return self._call_model(
            FlashCtfProgress, "GET", "scores/get_flash_ctf_progress", params={"syned_user_id": syned_user_id}
        )

    # ------------------------------------------------------------------ plumbing

    def _call_model(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        none_on_404: bool = False,
    ) -> Any:
        context = self._context(method, path, params, body)
        response = self._send(method, path, params, body, context, none_on_404=none_on_404)
        if response is None:
            return None
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            problems = _describe(exc)
            log.error("game platform %s %s returned a body that does not match %s: %s",
                      method, context["path"], model.__name__, problems)  # fmt: skip
            raise GamePlatformError(
                response.status_code, "invalid_response",
                self._redact(f"response does not match {model.__name__}: {problems}"),
                {**context, "fields": _fields(exc)},
            ) from None  # fmt: skip

    def _call(self, method: str, path: str, *, body: dict[str, Any] | None = None) -> None:
        # Commands answer with a small acknowledgement we have no use for; only the status matters.
        self._send(method, path, None, body, self._context(method, path, None, body))

    @staticmethod
    def _context(method: str, path: str, params: dict[str, Any] | None, body: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = {"method": method, "path": "/" + path}
        safe = {k: v for k, v in {**(body or {}), **(params or {})}.items() if k in SAFE_FIELDS}
        if safe:
            context["params"] = safe
        return context

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        context: dict[str, Any],
        *,
        none_on_404: bool = False,
    ) -> httpx.Response | None:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=self.backoff_seconds, max=MAX_BACKOFF_SECONDS),
            retry=retry_if_exception_type(Transient),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            response = retrying(self._attempt, method, path, params, body, context)
        except Transient as exc:
            exc.error.context["attempts"] = self.max_attempts
            raise exc.error from exc.__cause__
        if response.status_code in SUCCESS:
            return response
        if response.status_code == 404 and none_on_404:
            return None
        status = response.status_code
        code = CODES_BY_STATUS.get(status, "client_error" if 400 <= status < 500 else "unexpected_status")
        raise GamePlatformError(status, code, self._detail(response), context)

    def _attempt(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        context: dict[str, Any],
    ) -> httpx.Response:
        try:
            # The slot first, then the pace: a call let go by the pacer starts at once, so the starts the
            # vendor sees keep the pacer's spacing.
            with self._in_flight:
                self.pacer.wait()
                with self._calls_lock:
                    self.calls[f"{method} /{path}"] += 1
                started = time.monotonic()
                response = self._http.request(method, path, params=params, json=body)
        except httpx.TimeoutException as exc:
            error = GamePlatformError(None, "timeout", "the platform did not answer in time", context)
            raise Transient(error) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            message = f"could not reach the platform: {type(exc).__name__}"
            raise Transient(GamePlatformError(None, "connection_error", message, context)) from exc
        except httpx.HTTPError as exc:
            # Not transient (bad URL, unsupported scheme...): another attempt cannot help.
            message = f"request failed: {type(exc).__name__}"
            raise GamePlatformError(None, "connection_error", message, context) from exc
        log.debug("game platform %s %s -> HTTP %s in %.0f ms",
                  method, context["path"], response.status_code, (time.monotonic() - started) * 1000)  # fmt: skip
        if response.status_code >= 500:
            raise Transient(GamePlatformError(response.status_code, "server_error", self._detail(response), context))
        return response

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        error = exc.error if isinstance(exc, Transient) else None
        log.warning(
            "game platform %s %s failed (%s), attempt %d of %d; retrying in %.2fs",
            error.context.get("method") if error else "?", error.context.get("path") if error else "?",
            error.code if error else type(exc).__name__, state.attempt_number, self.max_attempts,
            state.next_action.sleep if state.next_action else 0.0,
        )  # fmt: skip

    def _detail(self, response: httpx.Response) -> str:
        """A readable reason from an error answer: FastAPI's `detail`, else a short excerpt."""
        reason = ""
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and "detail" in payload:
            detail = payload["detail"]
            if isinstance(detail, list):  # FastAPI validation errors: [{"loc": [...], "msg": ...}]
                reason = "; ".join(
                    f"{'.'.join(str(p) for p in item.get('loc', []))}: {item.get('msg', '')}"
                    if isinstance(item, dict) else str(item)
                    for item in detail
                )  # fmt: skip
            else:
                reason = str(detail)
        elif response.text.strip():
            reason = " ".join(response.text.split())
        reason = reason[:EXCERPT_CHARS] or "no detail"
        return self._redact(f"HTTP {response.status_code}: {reason}")

    def _redact(self, text: str) -> str:
        # Some servers echo request headers in error pages; never pass the token on.
        return text.replace(self._redact_value, REDACTED)


def _fields(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in err["loc"]) or "body" for err in exc.errors(include_input=False)]


def _describe(exc: ValidationError) -> str:
    # Field and reason only: the offending values may be personal data.
    errors = exc.errors(include_input=False, include_url=False)
    parts = [f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in errors[:5]]
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    return "; ".join(parts)
