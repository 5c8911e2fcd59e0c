"""The Codeforces API client: the only place in the product that talks to Codeforces.

Discipline (REFERENCE.md, seed 000): at most one call per `min_interval` seconds across every process
(a Redis key set with NX and a PX expiry marks the last call), and a circuit breaker shared through
Redis (pybreaker's CircuitRedisStorage) that a 429, a 503 or "Call limit exceeded" opens for
`circuit_seconds`; while it is open no call is made. The circuit remembers why it opened (a call limit,
or an outage: 503), because the queue treats the two differently. Retries are not done here: they
belong to the durable sync queue, which survives restarts and does not hold a run while waiting.
"""

import logging
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pybreaker
import redis
from pydantic import BaseModel, ConfigDict, ValidationError

from contest_pipelines.domain.validation_matrix import Submission

log = logging.getLogger(__name__)

PACE_KEY = "cf:pace"
BREAKER_NAMESPACE = "cf:circuit"
# Why the circuit last opened: "call_limit" or "outage" (waiting requests use an attempt only for an outage).
CIRCUIT_REASON_KEY = "cf:circuit:reason"
# The answer that opened it ("user.status answered HTTP 503"): a call the open circuit stops names its cause.
CIRCUIT_CAUSE_KEY = "cf:circuit:cause"
CALL_LIMIT, OUTAGE = "call_limit", "outage"
EXCERPT_CHARS = 200
# The judge counts arrivals, not our slot times: a little slack keeps jittered arrivals >= the interval.
PACING_MARGIN_MS = 50
# Query parameters that carry credentials (Codeforces' apiKey and apiSig, and the usual suspects).
_SECRET_PARAM = re.compile(r"(?i)\b(api[-_]?key|api[-_]?sig|secret|token|signature|sig|password)=[^&\s\"'<>;,]+")
_URL_USERINFO = re.compile(r"(://)[^/\s@]+@")


def redact(text: str) -> str:
    """`text` with every credential masked: credential-carrying query parameters (`apiSig=***`) and the
    user:password part of URLs."""
    return _URL_USERINFO.sub(r"\1***@", _SECRET_PARAM.sub(r"\1=***", text))


class CodeforcesError(Exception):
    """Base class of every failure the client reports. Its message is redacted: runs, logs, the player's
    event and the sync_requests row all show it, and none of them may carry a credential."""

    def __init__(self, message: str = ""):
        super().__init__(redact(message))


class CodeforcesUnavailable(CodeforcesError):
    """Transient: 5xx, timeout, connection error or an unparseable body. Retry later."""


class CodeforcesRateLimited(CodeforcesUnavailable):
    """HTTP 503 (the judge overloaded or down): opens the shared circuit, and the request uses an attempt."""


class CodeforcesCallLimit(CodeforcesRateLimited):
    """An explicit rate limit: "Call limit exceeded" (whatever the status) or HTTP 429. Opens the circuit;
    the request waits for it without using an attempt."""


class CodeforcesCircuitOpen(CodeforcesError):
    """The shared circuit is open; no call was made. `call_limit` says whether a rate limit opened it
    (wait without an attempt) or an outage did (the judge is down: the wait uses an attempt)."""

    def __init__(self, until: datetime | None, call_limit: bool = False, cause: str | None = None):
        why = "call limit" if call_limit else "judge unavailable"
        why = f"{why}: {cause}" if cause else why
        super().__init__(
            f"Codeforces circuit open until {until:%H:%M:%S} ({why})" if until else f"Codeforces circuit open ({why})"
        )
        self.until = until
        self.call_limit = call_limit


class HandleNotFound(CodeforcesError):
    """Codeforces says the handle does not exist or is malformed; retrying cannot help."""


class CodeforcesRequestError(CodeforcesError):
    """Any other FAILED answer: the request itself is wrong."""


class _Member(BaseModel):
    model_config = ConfigDict(extra="ignore")
    handle: str


class _Author(BaseModel):
    model_config = ConfigDict(extra="ignore")
    members: list[_Member]


class _Problem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    contestId: int | None = None
    index: str


class _Submission(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    creationTimeSeconds: int
    problem: _Problem
    author: _Author
    verdict: str | None = None

    def to_domain(self) -> Submission:
        return Submission(
            id=self.id,
            creation_time=self.creationTimeSeconds,
            problem_contest_id=self.problem.contestId,
            problem_index=self.problem.index,
            verdict=self.verdict,
            handles=tuple(m.handle for m in self.author.members),
        )


def breaker_storage(client: redis.Redis) -> pybreaker.CircuitRedisStorage:
    """The circuit's state, shared by every process through Redis (a client with decode_responses=False)."""
    return pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, client, namespace=BREAKER_NAMESPACE)


def circuit_opened_by_call_limit(client: redis.Redis) -> bool:
    reason = client.get(CIRCUIT_REASON_KEY)
    return reason in (CALL_LIMIT, CALL_LIMIT.encode())


def circuit_open_until(storage: pybreaker.CircuitRedisStorage, circuit_seconds: int) -> datetime | None:
    """When the shared circuit closes again, or None if it is closed (or ready for a trial call)."""
    if storage.state != pybreaker.STATE_OPEN or storage.opened_at is None:
        return None
    until = storage.opened_at + timedelta(seconds=circuit_seconds)
    return until if until > datetime.now(UTC) else None


class CodeforcesClient:
    """Paced, circuit-protected calls to the Codeforces API; counts the calls it makes."""

    def __init__(
        self,
        base_url: str,
        redis_url: str,
        *,
        min_interval_seconds: float = 2.0,
        circuit_seconds: int = 30,
        timeout_seconds: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=timeout_seconds, transport=transport)
        # pybreaker's Redis storage reads raw bytes.
        self._redis = redis.Redis.from_url(redis_url, decode_responses=False)
        self._min_interval_ms = int(min_interval_seconds * 1000)
        self.circuit_seconds = circuit_seconds
        self._breaker_storage = breaker_storage(self._redis)
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=1,
            reset_timeout=circuit_seconds,
            exclude=[lambda exc: not isinstance(exc, CodeforcesRateLimited)],
            state_storage=self._breaker_storage,
            throw_new_error_on_trip=False,
            name="codeforces",
        )
        self.api_calls = 0
        self.paced_seconds = 0.0

    def close(self) -> None:
        self._http.close()
        self._redis.close()

    def user_status(self, handle: str, count: int = 20) -> list[Submission]:
        """The handle's `count` most recent submissions, newest first."""
        result = self._call("user.status", {"handle": handle, "from": 1, "count": count})
        try:
            return [_Submission.model_validate(item).to_domain() for item in result]
        except (ValidationError, TypeError) as exc:
            log.error("Codeforces user.status returned submissions that do not parse: %s", str(exc)[:EXCERPT_CHARS])
            raise CodeforcesUnavailable("user.status returned submissions that do not parse") from exc

    def contest_list(self, gym: bool = False) -> list[dict]:
        """Every contest (the whole history, newest first), or the gym's; shares the pacing and the circuit."""
        result = self._call("contest.list", {"gym": "true" if gym else "false"})
        if not isinstance(result, list):
            raise CodeforcesUnavailable(f"contest.list returned a {type(result).__name__}, not a list of contests")
        return result

    def circuit_open_until(self) -> datetime | None:
        return circuit_open_until(self._breaker_storage, self.circuit_seconds)

    def _call(self, method: str, params: dict) -> object:
        try:
            return self._breaker.call(self._paced_get, method, params)
        except pybreaker.CircuitBreakerError as exc:
            cause = self._redis.get(CIRCUIT_CAUSE_KEY)
            raise CodeforcesCircuitOpen(
                self.circuit_open_until(), circuit_opened_by_call_limit(self._redis), cause and cause.decode()
            ) from exc
        except CodeforcesRateLimited as exc:
            # The breaker opened (or stayed open) on this answer: record why, for the requests that find it open.
            reason = CALL_LIMIT if isinstance(exc, CodeforcesCallLimit) else OUTAGE
            with self._redis.pipeline() as pipe:
                pipe.set(CIRCUIT_REASON_KEY, reason, ex=self.circuit_seconds * 2)
                pipe.set(CIRCUIT_CAUSE_KEY, str(exc), ex=self.circuit_seconds * 2)
                pipe.execute()
            raise

    def _wait_for_slot(self) -> None:
        """Block until this process owns the next shared call slot."""
        started = time.monotonic()
        while not self._redis.set(PACE_KEY, b"1", nx=True, px=self._min_interval_ms + PACING_MARGIN_MS):
            remaining_ms = self._redis.pttl(PACE_KEY)
            time.sleep(max(remaining_ms, 5) / 1000)
        self.paced_seconds += time.monotonic() - started

    def _paced_get(self, method: str, params: dict) -> object:
        if self._min_interval_ms:
            self._wait_for_slot()
        self.api_calls += 1
        try:
            response = self._http.get(method, params=params)
        except httpx.TimeoutException as exc:
            raise CodeforcesUnavailable(f"{method} timed out") from exc
        except httpx.TransportError as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise CodeforcesUnavailable(f"{method} failed to connect: {reason}"[:EXCERPT_CHARS]) from exc
        return self._parse(method, response)

    def _parse(self, method: str, response: httpx.Response) -> object:
        if response.status_code in (429, 503):
            if response.status_code == 429 or "call limit exceeded" in response.text[:EXCERPT_CHARS].lower():
                raise CodeforcesCallLimit(f"{method} answered HTTP {response.status_code}: call limit exceeded")
            raise CodeforcesRateLimited(f"{method} answered HTTP {response.status_code}")
        try:
            body = response.json()
            status, comment = body["status"], body.get("comment", "")
        except (ValueError, KeyError, TypeError):
            log.error(
                "Codeforces %s returned an unparseable body (HTTP %s): %r",
                method,
                response.status_code,
                redact(response.text[:EXCERPT_CHARS]),
            )
            raise CodeforcesUnavailable(
                f"{method} returned an unparseable body (HTTP {response.status_code})"
            ) from None
        if status == "OK" and "result" in body:
            return body["result"]
        if "call limit exceeded" in comment.lower():
            raise CodeforcesCallLimit(f"{method}: {comment}")
        if response.status_code >= 500:
            raise CodeforcesUnavailable(f"{method} answered HTTP {response.status_code}: {comment}"[:EXCERPT_CHARS])
        # Parameter errors name the field first: "handle: User with handle X not found".
        if comment.lower().startswith(("handle:", "handles:")):
            raise HandleNotFound(comment)
        raise CodeforcesRequestError(f"{method}: {comment or 'FAILED without a comment'}")
