"""What every judge adapter shares: the error it raises, the browser-like headers, and JSON fetching
that turns an HTTP error, a Cloudflare page, a timeout or garbage into one readable `JudgeFetchError`."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol, Self

import httpx

from contest_pipelines.domain.contests import Contest

# Several judges refuse Python's default User-Agent (reference: contest-calendars.md).
BROWSER_HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    " contest-pipelines/0.1",
    "Accept": "application/json, text/html;q=0.9, */*;q=0.8",
}
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
EXCERPT = 160
MAX_WARNINGS = 5  # malformed elements logged one by one per fetch
log = logging.getLogger(__name__)
_CLOUDFLARE = re.compile(r"just a moment|cf-browser-verification|challenge-platform|attention required", re.I)


class JudgeFetchError(Exception):
    """A fetch of one judge's list that must not be taken as "no contests": the reason is readable.
    `retryable`: whether trying again in a minute may help (an outage, a block) or not (a changed layout)."""

    def __init__(self, judge: str, reason: str, retryable: bool = True):
        super().__init__(f"{judge}: {reason}")
        self.judge, self.reason, self.retryable = judge, reason, retryable


class JudgeAdapter(Protocol):
    judge: str

    def fetch(self) -> list[Contest]:
        """Every upcoming (and running) contest the judge lists, normalised; raises JudgeFetchError."""
        ...


def http_client(
    base_url: str, transport: httpx.BaseTransport | None = None, timeout_seconds: float | None = None, **headers: str
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        headers={**BROWSER_HEADERS, **headers},
        timeout=DEFAULT_TIMEOUT if timeout_seconds is None else httpx.Timeout(timeout_seconds),
        follow_redirects=True,
        transport=transport,
    )


def excerpt(text: str) -> str:
    return " ".join(text[:EXCERPT].split())


def request(
    judge: str, http: httpx.Client, method: str, url: str, allow_status: tuple[int, ...] = (), **kwargs: Any
) -> httpx.Response:
    """One call; a timeout, a refused connection, a non-2xx (but `allow_status`) or a Cloudflare page raise
    JudgeFetchError."""
    try:
        response = http.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise JudgeFetchError(judge, f"{method} {url} timed out") from None
    except httpx.TransportError as exc:
        raise JudgeFetchError(judge, f"{method} {url} failed: {type(exc).__name__}") from None
    head = response.text[:2000] if response.content else ""
    if _CLOUDFLARE.search(head) and "html" in response.headers.get("content-type", "html"):
        raise JudgeFetchError(judge, f"{url} answered HTTP {response.status_code} with a Cloudflare challenge page")
    if response.status_code >= 400 and response.status_code not in allow_status:
        raise JudgeFetchError(judge, f"{url} answered HTTP {response.status_code}: {excerpt(head)}")
    return response


def get_json(judge: str, http: httpx.Client, url: str, **kwargs: Any) -> Any:
    """A JSON body, or JudgeFetchError (HTML instead of JSON, truncated or garbage bodies included)."""
    return parse_json(judge, url, request(judge, http, kwargs.pop("method", "GET"), url, **kwargs))


def parse_json(judge: str, url: str, response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        body = excerpt(response.text)
        raise JudgeFetchError(
            judge, f"{url} answered HTTP {response.status_code} with a body that is not JSON: {body!r}"
        ) from None


def layout_error(judge: str, what: str) -> JudgeFetchError:
    """The payload parsed but is not the shape the adapter knows: the judge changed its API or page."""
    return JudgeFetchError(judge, f"unexpected payload: {what} (the judge changed its API or page?)", retryable=False)


class Malformed(ValueError):
    """One element lacks what the adapter needs: it is skipped, unless every element is."""


class AdapterBase:
    """Every adapter is a context manager; `close` releases what the adapter owns (by default nothing)."""

    judge: ClassVar[str]

    def close(self) -> None:
        """Nothing to release: subclasses that own a connection pool close it."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpJudge(AdapterBase):
    """An adapter that owns its httpx client (a browser User-Agent; `timeout_seconds` overrides the default)."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_seconds: float | None = None,
        **headers: str,
    ):
        self._http = http_client(base_url, transport, timeout_seconds, **headers)

    def close(self) -> None:
        self._http.close()


def list_at(judge: str, payload: Any, *path: str) -> list[Any]:
    """The list at `path` in a JSON payload, or a layout error naming what is missing and what is there instead."""
    node = payload
    for depth, name in enumerate(path):
        where = ".".join(path[: depth + 1])
        if not isinstance(node, dict):
            raise layout_error(judge, f"no `{where}` list: the payload is a {type(node).__name__} there")
        if name not in node:
            raise layout_error(judge, f"no `{where}` list (keys there: {', '.join(sorted(map(str, node))[:10])})")
        node = node[name]
    if not isinstance(node, list):
        raise layout_error(judge, f"`{'.'.join(path)}` is a {type(node).__name__}, not a list")
    return node


def text(element: dict[str, Any], name: str) -> str:
    """A non-empty string (or number, e.g. an id) field."""
    value = element.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise Malformed(f"`{name}` is {value!r}")
    return str(value).strip()


def unix(element: dict[str, Any], name: str) -> datetime:
    """An aware UTC instant from a unix-seconds field."""
    value = element.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"`{name}` is {value!r}, not unix seconds")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise Malformed(f"`{name}` {value!r} is out of range") from None


def seconds(element: dict[str, Any], name: str) -> timedelta:
    """A non-negative duration from a field in seconds."""
    value = element.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Malformed(f"`{name}` is {value!r}, not a duration in seconds")
    return timedelta(seconds=value)


def parse_all(
    judge: str, elements: list[Any], parse: Callable[[dict[str, Any]], Contest | None], what: str = "contest"
) -> list[Contest]:
    """Each element through `parse` (None: dropped on purpose, e.g. a pseudo-contest). A malformed element is
    skipped with a warning; if every element is malformed the judge changed its payload: a layout error."""
    contests: list[Contest] = []
    problems: list[tuple[str, Any]] = []
    for element in elements:
        try:
            if not isinstance(element, dict):
                raise Malformed(f"a {type(element).__name__}, not an object")
            contest = parse(element)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append((str(exc) if isinstance(exc, Malformed) else f"{type(exc).__name__}: {exc}", element))
            continue
        if contest is not None:
            contests.append(contest)
    if elements and len(problems) == len(elements):
        raise layout_error(judge, f"every {what} ({len(elements)}) is malformed, e.g. {problems[0][0]}")
    for problem, element in problems[:MAX_WARNINGS]:
        log.warning("%s: skipped a malformed %s (%s): %s", judge, what, problem, excerpt(repr(element)))
    if len(problems) > MAX_WARNINGS:
        log.warning("%s: skipped %d more malformed %ss", judge, len(problems) - MAX_WARNINGS, what)
    return contests


def upcoming(contests: Iterable[Contest], now: datetime | None = None) -> list[Contest]:
    """The running and future contests by start, once per key (lists overlap, and shift while being paged)."""
    now = now or datetime.now(UTC)
    seen: dict[str, Contest] = {}
    for contest in contests:
        if contest.end > now:
            seen.setdefault(contest.key, contest)
    return sorted(seen.values(), key=lambda c: (c.start, c.key))
