"""One local HTTP server standing in for the seven judges' contest lists, served over real TCP.

``FakeJudges`` answers the real paths of every judge (reference: /work/shared/reference/contest-calendars.md,
sections 1-7) with payloads shaped like the real captures there, built at request time from a per-judge list of
``FakeContest`` (start, duration) relative to the wall clock::

    with FakeJudges() as fake:
        fake.set_contests("atcoder", [FakeContest.starting_in("abc478", "AtCoder Beginner Contest 478",
                                                              timedelta(days=2), timedelta(minutes=100))])
        fake.fail("leetcode", "cloudflare")
        settings = Settings(**fake.settings())

============  =================================================  ===========================
judge         path (``base_url_for(judge)`` + ...)               base URL
============  =================================================  ===========================
codeforces    ``GET /api/contest.list?gym=false``                ``<root>/api``
leetcode      ``POST /graphql`` (needs a Referer, else 403 CSRF)  ``<root>``
codechef      ``GET /api/list/contests/all``                     ``<root>``
atcoder       ``GET /contests/?lang=en`` (HTML)                  ``<root>``
hackerrank    ``GET /rest/contests/upcoming?offset=&limit=``     ``<root>``
geeksforgeeks ``GET /api/vr/events/?type=contest&...``           ``<root>``
code360       ``GET /code360/api/v3/public_section/contest_list?page=N``  ``<root>``
============  =================================================  ===========================

Every configured contest is served whatever its time: running ones in the judge's "running" place (Codeforces
``phase: CODING``, CodeChef ``present_contests``, AtCoder ``contest-table-action``), finished ones in its history
(``FINISHED``, ``past_contests``, ``contest-table-recent``, GfG ``results.past``; LeetCode, HackerRank and Code360
keep listing them, inferred). Besides them each list carries what an adapter must drop (``NOISE``): finished
contests, a Codeforces contest without ``startTimeSeconds``, CodeChef ``practice_contests`` and ``skill_tests``,
HackerRank's ProjectEuler+ (perpetual), its ``epoch_starttime: 0`` master entry and a duplicate, a GfG webinar, a
Code360 webinar and 25 past Code360 contests (three pages of 10 in all, so a stop at the first all-past page shows
in ``calls``).

Faults (``fail(judge, fault, times=1)``; FIFO, before normal answers):

================  ===============================================================================================
fault             what the adapter sees
================  ===============================================================================================
http503           HTTP 503, nginx's HTML "503 Service Temporarily Unavailable" page
http429           HTTP 429: Codeforces ``{"status":"FAILED","comment":"Call limit exceeded"}``, the others nginx's
                  HTML "429 Too Many Requests" with ``Retry-After: 60``
cloudflare        HTTP 403, Cloudflare's "Just a moment..." challenge page (``cf-mitigated: challenge``)
layout            HTTP 200, valid JSON/HTML without what the adapter reads: Codeforces elements with renamed keys,
                  LeetCode ``data.contestV2UpcomingContests``, CodeChef the paged ``contests`` form, AtCoder a
                  maintenance page, HackerRank a JSON:API ``data`` list, GfG ``results.upcoming_contests``,
                  Code360 ``data.contests``
garbage           HTTP 200: the normal JSON body cut in half (AtCoder: 512 random bytes as text/html)
timeout           nothing for ``timeout_delay`` seconds, then the normal answer
failed            Codeforces only: HTTP 400 ``{"status":"FAILED","comment":"Internal Server Error"}`` (illustrative)
call_limit        Codeforces only: HTTP 503 ``{"status":"FAILED","comment":"Call limit exceeded"}``
graphql_removed   LeetCode only: HTTP 400 ``{"errors":[{"message":"Cannot query field \\"<field>\\" on type
                  \\"Query\\"."}]}`` naming the queried field (once: the adapter's fallback then succeeds)
graphql_error     LeetCode only: HTTP 200 ``{"errors":[{"message":"Internal server error"}],"data":{<field>:null}}``
================  ===============================================================================================

Admin endpoints (not logged): ``GET /_admin/health``, ``GET /_admin/calls[?judge=]``, ``POST /_admin/contests``
``{judge, contests: [{key, title, start (ISO), duration_seconds, kind?, slug?}]}``, ``POST /_admin/faults``
``{fault, times?, judge?, timeout_delay?}``, ``DELETE /_admin/faults``, ``POST /_admin/reset``. Run it alone with
``python -m tests.fakes.judges --port 0``, which prints ``READY http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
import sys
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from contest_pipelines.domain.contests import JUDGES
from tests.fakes._http import NO_ADMIN_ROUTE, FakeHandler, HttpFake, add_state_args, cli_parser, dumps, serve_cli

__all__ = ["Call", "FakeContest", "FakeJudges", "FAULTS", "JUDGE_FAULTS", "default_contests"]

FAULTS = frozenset({"http503", "http429", "cloudflare", "layout", "garbage", "timeout"})
JUDGE_FAULTS = {
    "codeforces": frozenset({"failed", "call_limit"}),
    "leetcode": frozenset({"graphql_removed", "graphql_error"}),
}
ALL_FAULTS = FAULTS.union(*JUDGE_FAULTS.values())
PATHS = {
    "/api/contest.list": "codeforces",
    "/graphql": "leetcode",
    "/api/list/contests/all": "codechef",
    "/contests": "atcoder",
    "/rest/contests/upcoming": "hackerrank",
    "/api/vr/events": "geeksforgeeks",
    "/code360/api/v3/public_section/contest_list": "code360",
}
SETTINGS_FIELDS = {judge: f"{judge}_url" for judge in JUDGES} | {"codeforces": "codeforces_api_url"}
JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html; charset=UTF-8"
IST = timezone(timedelta(hours=5, minutes=30))  # fixed offsets: the adapters use zoneinfo, a cross-check
JST = timezone(timedelta(hours=9))
CODE360_PAGE_SIZE = 10
CODE360_HISTORY = 25
FAILED_COMMENT = "Internal Server Error"

_NGINX_PAGE = (
    "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n"
    "<center><h1>{0}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_CLOUDFLARE_PAGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">'
    '</head><body><div class="main-wrapper" role="main"><div class="main-content"><noscript><div class="h2">'
    '<span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript></div></div>'
    "<script>(function(){{window._cf_chl_opt={{cvId: '3',cZone: \"{host}\",cType: 'managed'}};"
    "var a=document.createElement('script');a.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8c1f';"
    "document.getElementsByTagName('head')[0].appendChild(a);}}());</script></body></html>"
)
_CSRF_PAGE = (
    "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body><h1>Forbidden (403)</h1>"
    "<p>CSRF verification failed. Request aborted.</p><p>You are seeing this message because this HTTPS site "
    "requires a 'Referer header' to be sent by your Web browser, but none was sent.</p></body></html>"
)
_MAINTENANCE_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>AtCoder</title></head><body>'
    '<div class="container"><h1>Under Maintenance</h1><p>AtCoder is currently under maintenance. '
    "We apologize for the inconvenience.</p></div></body></html>"
)
_GRAPHQL_FIELD = re.compile(r"\{\s*([A-Za-z_]\w*)")


@dataclass(frozen=True)
class FakeContest:
    """A contest as a judge schedules it. ``key`` is the judge's stable key (Codeforces and HackerRank: a numeric
    id); ``slug`` is HackerRank's URL slug (default: from the title); ``kind``: Codeforces ``type`` (CF|IOI|ICPC),
    AtCoder "algorithm"/"heuristic"."""

    key: str
    title: str
    start: datetime
    duration: timedelta
    kind: str | None = None
    slug: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError(f"{self.key}: start must be an aware datetime")
        object.__setattr__(self, "start", self.start.astimezone(UTC).replace(microsecond=0))
        if self.duration < timedelta(0):
            raise ValueError(f"{self.key}: negative duration")

    @classmethod
    def starting_in(
        cls, key: str, title: str, starts_in: timedelta, duration: timedelta, kind: str | None = None, **extra: Any
    ) -> FakeContest:
        """A contest starting `starts_in` from now (negative: running or finished), on a whole minute."""
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        return cls(key, title, now + starts_in, duration, kind, **extra)

    @property
    def end(self) -> datetime:
        return self.start + self.duration

    @property
    def url_slug(self) -> str:
        return self.slug or re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")

    def to_dict(self) -> dict[str, Any]:
        seconds = int(self.duration.total_seconds())
        return {"key": self.key, "title": self.title, "start": self.start.isoformat(),
                "duration_seconds": seconds, "kind": self.kind, "slug": self.slug}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FakeContest:
        return cls(data["key"], data["title"], datetime.fromisoformat(data["start"]),
                   timedelta(seconds=data["duration_seconds"]), data.get("kind"), data.get("slug"))  # fmt: skip


@dataclass(frozen=True)
class Call:
    """One judge request as the fake saw it (``status`` 0: none sent; ``operation``: LeetCode's GraphQL field)."""

    judge: str
    verb: str
    path: str
    params: dict[str, str]
    at: float
    status: int
    fault: str | None = None
    operation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"judge": self.judge, "verb": self.verb, "path": self.path, "params": dict(self.params),
                "at": self.at, "status": self.status, "fault": self.fault, "operation": self.operation}  # fmt: skip


def _next_weekday(now: datetime, weekday: int, hour: int, minute: int, tz: timezone = UTC) -> datetime:
    """The next `weekday` (Monday 0) at hour:minute in `tz`, strictly after now."""
    local = now.astimezone(tz).replace(hour=hour, minute=minute, second=0, microsecond=0)
    local += timedelta(days=(weekday - local.weekday()) % 7)
    return local if local > now else local + timedelta(days=7)


def default_contests(now: datetime | None = None) -> dict[str, list[FakeContest]]:
    """Each judge's contests after the reference's real examples, on their usual slots, relative to `now`."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    minute = now.replace(second=0)
    h, m, d = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)
    return {
        "codeforces": [
            FakeContest("2257", "Codeforces Round (Div. 2)", _next_weekday(now, 0, 14, 35), 2 * h, "CF"),
            FakeContest("2251", "ICPC 2026 Online Challenge 1 powered by Huawei", minute + 3 * d, 14 * d, "IOI"),
            FakeContest("2255", "Codeforces Round 1116 (Div. 1)", minute - h, 150 * m, "CF"),  # running
        ],
        "leetcode": [
            FakeContest("weekly-contest-515", "Weekly Contest 515", _next_weekday(now, 6, 2, 30), 90 * m),
            FakeContest("biweekly-contest-189", "Biweekly Contest 189", _next_weekday(now, 5, 14, 30), 90 * m),
            FakeContest("weekly-contest-516", "Weekly Contest 516", _next_weekday(now, 6, 2, 30) + 7 * d, 90 * m),
        ],
        "codechef": [
            FakeContest("START251", "Starters 251", _next_weekday(now, 2, 20, 0, IST), 2 * h),
            FakeContest("START252", "Starters 252", _next_weekday(now, 2, 20, 0, IST) + 7 * d, 2 * h),
            FakeContest("START250", "Starters 250", minute - 30 * m, 2 * h),  # running
        ],
        "atcoder": [
            FakeContest(
                "abc478", "AtCoder Beginner Contest 478", _next_weekday(now, 5, 21, 0, JST), 100 * m, "algorithm"
            ),  # fmt: skip
            FakeContest(
                "ahc074",
                "HACK TO THE FUTURE 2027（AtCoder Heuristic Contest 074）",
                _next_weekday(now, 3, 19, 0, JST),
                240 * h,
                "heuristic",
            ),  # fmt: skip
            FakeContest(
                "arc210",
                "Tokio Marine & Nichido's Programming Contest 2026 (AtCoder Regular Contest 210)",
                _next_weekday(now, 6, 21, 0, JST),
                2 * h,
                "algorithm",
            ),  # fmt: skip
            FakeContest("ahc073", "AtCoder Heuristic Contest 073", minute - 2 * h, 4 * h, "heuristic"),  # running
        ],
        "hackerrank": [
            FakeContest("12345", "HourRank 50", minute + 2 * d, 2 * h, slug="hourrank-50"),
            FakeContest("12346", "Week of Code 40", minute + 4 * d, 7 * d, slug="w40"),
        ],
        "geeksforgeeks": [
            FakeContest(
                "gfg-weekly-coding-contest-230",
                "GFG Weekly Coding Contest - 230",
                _next_weekday(now, 6, 19, 0, IST),
                90 * m,
            ),  # fmt: skip
            FakeContest("job-a-thon-48", "Job-A-Thon 48 Hiring Challenge", _next_weekday(now, 4, 20, 0, IST), 3 * h),
        ],
        "code360": [
            FakeContest("weekly-contest-252", "Weekly Contest 252", _next_weekday(now, 6, 20, 0, IST), 2 * h),
            FakeContest("biweekly-contest-130", "Biweekly Contest 130", _next_weekday(now, 3, 20, 0, IST), 2 * h),
        ],
    }


# ---------------------------------------------------------------------- renderings the adapters parse back


def codechef_iso(at: datetime) -> str:
    """`2026-08-12T20:00:00+05:30`."""
    return at.astimezone(IST).isoformat(timespec="seconds")


def codechef_date(at: datetime) -> str:
    """`12 Aug 2026  20:00:00` (two spaces, IST)."""
    return at.astimezone(IST).strftime("%d %b %Y  %H:%M:%S")


def atcoder_time(at: datetime) -> str:
    """`2026-10-03 21:00:00+0900`."""
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S%z")


def atcoder_duration(duration: timedelta) -> str:
    """`H:MM`, H beyond 24 for long contests (`240:00`)."""
    minutes = int(duration.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def gfg_time(at: datetime) -> str:
    """Naive IST `2022-08-28T19:00:00`."""
    return at.astimezone(IST).replace(tzinfo=None).isoformat(timespec="seconds")


def _ts(at: datetime) -> int:
    return int(at.timestamp())


def _id(key: str, base: int) -> int:
    return base + zlib.crc32(key.encode()) % 10_000


class FakeJudges(HttpFake[Call]):
    """The seven judges' contest lists on one server; all state is guarded by one lock.

    Args:
        host, port: where to listen (``port=0`` picks a free port, kept across stop/start).
        timeout_delay: seconds a ``"timeout"`` fault holds the answer.
        max_calls: how many recent calls ``calls`` remembers.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, timeout_delay: float = 15.0,
                 max_calls: int | None = 10_000) -> None:  # fmt: skip
        super().__init__(host, port, timeout_delay=timeout_delay, max_calls=max_calls)
        self._faults: list[list[Any]] = []
        self._contests: dict[str, list[FakeContest]] = default_contests()

    # ------------------------------------------------------------------ URLs

    @property
    def base_url(self) -> str:
        """The root, ``http://HOST:PORT``: every judge but Codeforces is served from it."""
        return self.root_url

    def base_url_for(self, judge: str) -> str:
        """What stands in for the judge's host: ``<root>/api`` for Codeforces, the root for the others."""
        _check_judge(judge)
        return f"{self.root_url}/api" if judge == "codeforces" else self.root_url

    def settings(self) -> dict[str, str]:
        """`Settings` fields pointing every judge at this fake: ``Settings(**fake.settings())``."""
        return {SETTINGS_FIELDS[judge]: self.base_url_for(judge) for judge in JUDGES}

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Back to ``default_contests()`` (relative to now); no faults, no calls."""
        with self._lock:
            self._contests = default_contests()
            self._faults.clear()
            self._calls.clear()

    def contests(self, judge: str) -> list[FakeContest]:
        _check_judge(judge)
        with self._lock:
            return list(self._contests[judge])

    def set_contests(self, judge: str, contests: Iterable[FakeContest]) -> None:
        """Replace the judge's scheduled contests (the noise stays)."""
        _check_judge(judge)
        contests = list(contests)
        keys = [c.key for c in contests]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{judge}: duplicate keys in {keys}")
        if judge in ("codeforces", "hackerrank") and not all(k.isdigit() for k in keys):
            raise ValueError(f"{judge} keys are numeric ids, got {keys}")
        with self._lock:
            self._contests[judge] = contests

    def add_contest(self, judge: str, contest: FakeContest) -> None:
        self.set_contests(judge, [*self.contests(judge), contest])

    def remove_contest(self, judge: str, key: str) -> None:
        """Drop a contest from the judge's lists (KeyError if unknown)."""
        with self._lock:
            self._find(judge, key)
            self._contests[judge] = [c for c in self._contests[judge] if c.key != key]

    def move_contest(self, judge: str, key: str, start: datetime, duration: timedelta | None = None) -> None:
        """Reschedule a contest (and change its length, if given)."""
        with self._lock:
            old = self._find(judge, key)
            self._replace(judge, replace(old, start=start, duration=duration or old.duration))

    def rename_contest(self, judge: str, key: str, title: str) -> None:
        """A new title under the same key (Codeforces numbers its rounds late)."""
        with self._lock:
            self._replace(judge, replace(self._find(judge, key), title=title))

    def _find(self, judge: str, key: str) -> FakeContest:
        _check_judge(judge)
        for contest in self._contests[judge]:
            if contest.key == key:
                return contest
        raise KeyError(f"{judge} has no contest {key!r}")

    def _replace(self, judge: str, new: FakeContest) -> None:
        self._contests[judge] = [new if c.key == new.key else c for c in self._contests[judge]]

    # ------------------------------------------------------------------ faults and calls

    def fail(self, judge: str, fault: str, times: int = 1) -> None:
        """Serve `fault` to the judge's next `times` requests (see the module docstring)."""
        self.inject(fault, times, judge)

    def inject(self, fault: str, times: int = 1, judge: str | None = None) -> None:
        """Queue `fault` for the next `times` requests (to `judge` only, if given)."""
        if judge is not None:
            _check_judge(judge)
        owners = [j for j, faults in JUDGE_FAULTS.items() if fault in faults]
        if owners and judge not in owners:
            raise ValueError(f"fault {fault!r} is {owners[0]}'s only: pass judge={owners[0]!r}")
        self._queue_fault(ALL_FAULTS, fault, times, judge)

    def calls_for(self, judge: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.judge == judge]

    # ------------------------------------------------------------------ HTTP

    def _handle(self, handler: FakeHandler, verb: str, path: str, params: dict[str, str], raw: bytes) -> None:
        if path.startswith("/_admin/"):
            self._handle_admin(handler, verb, path[len("/_admin/") :], params, raw)
            return
        judge = PATHS.get(path.rstrip("/") or "/")
        if judge is None:
            self._send(handler, 404, HTML_TYPE, _NGINX_PAGE.format("404 Not Found").encode())
            return
        operation = None
        with self._lock:
            fault = self._take_fault(judge)
            if judge == "leetcode":
                operation, answer = self._graphql(verb, raw, handler.headers.get("Referer"), fault)
            elif verb != "GET":
                answer = (405, HTML_TYPE, _NGINX_PAGE.format("405 Not Allowed").encode(), {})
            else:
                answer = self._answer(judge, params, fault)
            self._calls.append(Call(judge, verb, path, params, time.time(), answer[0], fault, operation))
        if fault == "timeout" and self._stopping.wait(self.timeout_delay):
            handler.close_connection = True  # server stopping: drop the request
            return
        status, content_type, body, headers = answer
        try:
            handler.send_response(status)
            for name, value in {"Content-Type": content_type, "Content-Length": str(len(body)), **headers}.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True

    def _answer(self, judge: str, params: dict[str, str], fault: str | None) -> tuple[int, str, bytes, dict]:
        """(status, content type, body, extra headers) for a GET; under the lock."""
        if fault == "http503":
            return 503, HTML_TYPE, _NGINX_PAGE.format("503 Service Temporarily Unavailable").encode(), {}
        if fault == "http429":
            if judge == "codeforces":
                return 429, JSON_TYPE, dumps({"status": "FAILED", "comment": "Call limit exceeded"}), {}
            return 429, HTML_TYPE, _NGINX_PAGE.format("429 Too Many Requests").encode(), {"Retry-After": "60"}
        if fault == "cloudflare":
            page = _CLOUDFLARE_PAGE.format(host=f"{judge}.example").encode()
            return 403, HTML_TYPE, page, {"cf-mitigated": "challenge", "Cache-Control": "no-store"}
        if fault == "call_limit":
            return 503, JSON_TYPE, dumps({"status": "FAILED", "comment": "Call limit exceeded"}), {}
        if fault == "failed":
            return 400, JSON_TYPE, dumps({"status": "FAILED", "comment": FAILED_COMMENT}), {}
        now = datetime.now(UTC).replace(microsecond=0)
        contests = sorted(self._contests[judge], key=lambda c: (c.start, c.key))
        if judge == "atcoder":
            if fault == "garbage":
                return 200, HTML_TYPE, random.Random(zlib.crc32(judge.encode())).randbytes(512), {}
            page = _MAINTENANCE_PAGE if fault == "layout" else _atcoder_page(contests, now)
            return 200, HTML_TYPE, page.encode(), {}
        render = {"codeforces": _codeforces, "codechef": _codechef, "hackerrank": _hackerrank,
                  "geeksforgeeks": _geeksforgeeks, "code360": _code360}[judge]  # fmt: skip
        body = dumps(render(contests, now, params, fault == "layout"))
        return 200, JSON_TYPE, body[: len(body) // 2] if fault == "garbage" else body, {}

    def _graphql(
        self, verb: str, raw: bytes, referer: str | None, fault: str | None
    ) -> tuple[str | None, tuple[int, str, bytes, dict]]:
        """LeetCode's GraphQL: (the queried field, the answer); under the lock."""
        if verb != "POST":
            return None, (405, HTML_TYPE, _NGINX_PAGE.format("405 Not Allowed").encode(), {})
        try:
            query = json.loads(raw)["query"]
            field = _GRAPHQL_FIELD.search(query).group(1)  # type: ignore[union-attr]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None, (400, JSON_TYPE, dumps({"errors": [{"message": "Must provide query string."}]}), {})
        if fault in ("http503", "http429", "cloudflare"):
            return field, self._answer("leetcode", {}, fault)
        if not referer:
            return field, (403, HTML_TYPE, _CSRF_PAGE.encode(), {})
        if fault == "graphql_removed" or field not in ("upcomingContests", "topTwoContests", "allContests"):
            message = f'Cannot query field "{field}" on type "Query".'
            error = {"message": message, "locations": [{"line": 1, "column": 27}]}
            return field, (400, JSON_TYPE, dumps({"errors": [error]}), {})
        if fault == "graphql_error":
            error = {"message": "Internal server error", "locations": [{"line": 1, "column": 27}], "path": [field]}
            return field, (200, JSON_TYPE, dumps({"errors": [error], "data": {field: None}}), {})
        contests = sorted(self._contests["leetcode"], key=lambda c: (c.start, c.key))
        body = dumps({"data": _leetcode(contests, field, fault == "layout")})
        return field, (200, JSON_TYPE, body[: len(body) // 2] if fault == "garbage" else body, {})

    def _admin_route(self, verb: str, path: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        route = (verb, path)
        if route == ("GET", "health"):
            return None
        if route == ("GET", "calls"):
            judge = params.get("judge")
            return [c.to_dict() for c in (self.calls_for(judge) if judge else self.calls)]
        if route == ("POST", "contests"):
            self.set_contests(body["judge"], [FakeContest.from_dict(c) for c in body.get("contests", [])])
            return None
        return NO_ADMIN_ROUTE


def _check_judge(judge: str) -> None:
    if judge not in JUDGES:
        raise ValueError(f"unknown judge {judge!r}; expected one of {', '.join(JUDGES)}")


# ---------------------------------------------------------------------- payloads


def _codeforces(contests: list[FakeContest], now: datetime, params: dict[str, str], layout: bool) -> dict:
    if params.get("gym") == "true":
        return {"status": "OK", "result": []}
    h = timedelta(hours=1)
    noise = [
        FakeContest(
            "2260", "Codeforces Round (Div. 3)", now + 240 * h, 135 * timedelta(minutes=1), "ICPC"
        ),  # unscheduled
        FakeContest("2249", "Educational Codeforces Round 190 (Rated for Div. 2)", now - 3 * h, 2 * h, "ICPC"),
        FakeContest("2245", "Codeforces Round 1113 (Div. 2)", now - 72 * h, 2 * h, "CF"),
    ]
    result = []
    for c in sorted([*contests, *noise], key=lambda c: c.start, reverse=True):  # newest first
        phase = "BEFORE" if now < c.start else "CODING" if now < c.end else "FINISHED"
        if c.key == "2249":
            phase = "PENDING_SYSTEM_TEST"  # just over: still finished for a player
        element = {"id": int(c.key), "name": c.title, "type": c.kind or "CF", "phase": phase, "frozen": False,
                   "durationSeconds": int(c.duration.total_seconds()), "startTimeSeconds": _ts(c.start),
                   "relativeTimeSeconds": _ts(now) - _ts(c.start)}  # fmt: skip
        if c.key == "2260":
            del element["startTimeSeconds"], element["relativeTimeSeconds"]
        if layout:
            element = {"contestId": element["id"], "contestName": c.title, "startTime": _ts(c.start), "state": phase}
        result.append(element)
    return {"status": "OK", "result": result}


def _leetcode(contests: list[FakeContest], field: str, layout: bool) -> dict:
    def element(c: FakeContest, **extra: Any) -> dict[str, Any]:
        return {"title": c.title, "titleSlug": c.key, "startTime": _ts(c.start),
                "duration": int(c.duration.total_seconds()), **extra}  # fmt: skip

    card = "https://assets.leetcode.com/contest/{}/card_img_1786000000.png"
    if layout:  # "LeetCode has updated its contest api" (2025-06)
        return {
            "contestV2UpcomingContests": [element(c, titleCn=c.title, cardImg=card.format(c.key)) for c in contests]
        }
    if field == "topTwoContests":  # the next two, not sorted by start
        return {field: [element(c, cardImg=card.format(c.key)) for c in reversed(contests[:2])]}
    if field == "allContests":
        return {field: [element(c, originStartTime=_ts(c.start), isVirtual=False, containsPremium=False,
                                cardImg=card.format(c.key), __typename="ContestNode") for c in contests]}  # fmt: skip
    return {field: [element(c, __typename="ContestNode") for c in contests]}


def _codechef(contests: list[FakeContest], now: datetime, params: dict[str, str], layout: bool) -> dict:
    def element(c: FakeContest, users: int = 0) -> dict[str, Any]:
        return {"contest_id": str(_id(c.key, 60_000)), "contest_code": c.key, "contest_name": c.title,
                "contest_start_date": codechef_date(c.start), "contest_end_date": codechef_date(c.end),
                "contest_start_date_iso": codechef_iso(c.start), "contest_end_date_iso": codechef_iso(c.end),
                "contest_duration": str(int(c.duration.total_seconds()) // 60), "distinct_users": users}  # fmt: skip

    d = timedelta(days=1)
    finished = FakeContest("START249", "Starters 249", now - 7 * d, timedelta(hours=2))
    far = datetime(2027, 1, 1, tzinfo=IST) if now < datetime(2026, 12, 1, tzinfo=UTC) else now + 60 * d
    practice = FakeContest("PRACTICE", "Practice", now - 4000 * d, far - (now - 4000 * d))
    skill = FakeContest("SKILLPY01", "Python Skill Test", now - 30 * d, timedelta(minutes=90))
    future = [element(c) for c in contests if c.start > now]
    present = [element(c, 1200) for c in contests if c.start <= now < c.end]
    past = [element(c, 25_000) for c in [*contests, finished] if c.end <= now]
    if layout:  # the paged form's key, on the "all" path
        return {"status": "success", "message": "All contests list", "contests": [*present, *future]}
    return {"status": "success", "message": "All contests list", "present_contests": present,
            "future_contests": future, "practice_contests": [element(practice)],
            "past_contests": past, "skill_tests": [{**element(skill), "contest_end_date_iso": codechef_iso(far),
                                                    "contest_end_date": codechef_date(far)}],
            "banners": [{"image": "https://cdn.codechef.com/download/small-banner/START251/1786000000.png",
                         "link": "https://www.codechef.com/START251"}]}  # fmt: skip


def _atcoder_row(c: FakeContest) -> str:
    kind = c.kind or "algorithm"
    glyph = "Ⓗ" if kind == "heuristic" else "Ⓐ"
    iso = c.start.astimezone(JST).strftime("%Y%m%dT%H%M")
    return (
        f'<tr><td class="text-center"><a href="http://www.timeanddate.com/worldclock/fixedtime.html?iso={iso}'
        f'&amp;p1=248" target="blank"><time class="fixtime fixtime-full">{atcoder_time(c.start)}</time></a></td>\n'
        f' <td><span aria-hidden="true" data-placement="top" data-toggle="tooltip" title="{kind.title()}">{glyph}'
        f'</span> <span class="user-blue">◉</span> <a href="/contests/{c.key}">{html.escape(c.title)}</a></td>\n'
        f' <td class="text-center">{atcoder_duration(c.duration)}</td><td class="text-center"> - 1999</td></tr>\n'
    )


def _atcoder_table(div: str, title: str, rows: list[FakeContest]) -> str:
    head = (
        '<thead><tr><th width="20%" class="text-center">Start Time</th><th>Contest Name</th>'
        '<th width="10%" class="text-center">Duration</th><th width="10%" class="text-center">Rated Range</th></tr>'
        "</thead>"
    )
    body = "".join(_atcoder_row(c) for c in rows)
    return (
        f'<div id="{div}"><h3>{title}</h3><div class="panel panel-default"><div class="table-responsive">'
        f'<table class="table table-default table-striped table-hover table-condensed table-bordered small">'
        f"{head}<tbody>\n{body}</tbody></table></div></div></div>\n"
    )


def _atcoder_page(contests: list[FakeContest], now: datetime) -> str:
    running = [c for c in contests if c.start <= now < c.end]
    future = [c for c in contests if c.start > now]
    finished = FakeContest("abc476", "AtCoder Beginner Contest 476", now - timedelta(days=7), timedelta(minutes=100))
    recent = sorted([c for c in contests if c.end <= now] + [finished], key=lambda c: c.start, reverse=True)
    permanent = (
        '<div id="contest-table-permanent"><h3>Permanent Contests</h3><table class="table table-default"><tbody>'
        '<tr><td><span title="Algorithm">Ⓐ</span> <a href="/contests/practice2">AtCoder Library Practice Contest</a>'
        '</td><td class="text-center">365:00</td></tr></tbody></table></div>\n'
    )
    action = _atcoder_table("contest-table-action", "Active Contests", running) if running else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Contest - AtCoder</title></head>'
        '<body><div id="main-div" class="float-container"><div id="main-container" class="container">'
        '<div class="row"><div class="col-lg-9 col-md-8">\n'
        f"{action}{permanent}"
        f"{_atcoder_table('contest-table-upcoming', 'Upcoming Contests', future)}"
        f"{_atcoder_table('contest-table-recent', 'Recent Contests', recent)}"
        "</div></div></div></div></body></html>\n"
    )


def _hackerrank(contests: list[FakeContest], now: datetime, params: dict[str, str], layout: bool) -> dict:
    def element(id_: int, c: FakeContest, start: int | None = None) -> dict[str, Any]:
        epoch_start, epoch_end = _ts(c.start) if start is None else start, _ts(c.end)
        return {"id": id_, "name": c.title, "slug": c.url_slug, "epoch_starttime": epoch_start,
                "epoch_endtime": epoch_end, "get_starttimeiso": c.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "get_endtimeiso": c.end.strftime("%Y-%m-%dT%H:%M:%SZ"), "started": c.start <= now,
                "ended": c.end <= now, "track": None, "timezone": "America/Los_Angeles", "rated": False,
                "kind": "acm", "hidden": False, "time_left": max(0, epoch_end - _ts(now))}  # fmt: skip

    years = timedelta(days=365 * 12)
    euler_start = datetime(2014, 7, 7, 15, 38, tzinfo=UTC)
    models = [element(int(c.key), c) for c in contests]
    noise = [
        # Perpetual: ProjectEuler+ (the reference's end date is past; here it runs on, as users saw it).
        element(
            1881, FakeContest("1881", "ProjectEuler+", euler_start, (now - euler_start) + years, slug="projecteuler")
        ),  # fmt: skip
        element(1, FakeContest("1", "Master", now - years, 2 * years, slug="master"), start=0),
        element(
            12001, FakeContest("12001", "HourRank 49", now - timedelta(days=1), timedelta(hours=2), slug="hourrank-49")
        ),  # fmt: skip
    ]
    listing = [*models, *noise, *models[:1]]  # the first contest again, as in the overlapping lists
    if layout:  # the newer JSON:API form
        return {"data": [{"id": str(m["id"]), "type": "competition",
                          "attributes": {"name": m["name"], "slug": m["slug"], "starts_at": m["get_starttimeiso"],
                                         "ends_at": m["get_endtimeiso"]}} for m in listing],
                "links": {"next": None}}  # fmt: skip
    offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 10)
    return {"models": listing[offset : offset + limit], "total": len(listing)}


def _geeksforgeeks(contests: list[FakeContest], now: datetime, params: dict[str, str], layout: bool) -> dict:
    def element(i: int, c: FakeContest, status: str, kind: int = 3) -> dict[str, Any]:
        ist, left = c.start.astimezone(IST), max(timedelta(0), c.start - now)
        banner = "https://media.geeksforgeeks.org/img-practice/banner/{}-{}-{}.png"
        return {"slug": c.key, "title" if i % 2 else "name": c.title, "start_time": gfg_time(c.start),
                "end_time": gfg_time(c.end), "status": status, "type": kind,
                "date": f"{ist:%B} {ist.day}, {ist.year}", "time": f"{ist:%I:%M %p}",
                "time_diff": {"days": left.days, "hours": left.seconds // 3600, "mins": left.seconds // 60 % 60,
                              "secs": left.seconds % 60},
                "banner": {"mobile_url": banner.format(c.key, _ts(c.start), "mobile"),
                           "desktop_url": banner.format(c.key, _ts(c.start), "desktop")}}  # fmt: skip

    # Odd positions carry `title` instead of `name`, as some real entries do.
    upcoming = [element(i, c, "upcoming") for i, c in enumerate(c for c in contests if c.end > now)]
    webinar = FakeContest("dsa-webinar-12", "DSA Webinar 12", now + timedelta(days=1), timedelta(hours=1))
    upcoming.append(element(0, webinar, "upcoming", kind=1))
    old = FakeContest("interview-series-65", "Interview Series - 65", datetime(2022, 8, 28, 13, 30, tzinfo=UTC),
                      timedelta(minutes=90))  # fmt: skip
    past = [element(i, c, "past") for i, c in enumerate([*(c for c in contests if c.end <= now), old])]
    key = "upcoming_contests" if layout else "upcoming"
    return {"results": {key: upcoming, "past": past}, "next_upcoming": False}


def _code360(contests: list[FakeContest], now: datetime, params: dict[str, str], layout: bool) -> dict:
    def element(c: FakeContest, category: str = "CONTEST") -> dict[str, Any]:
        return {"id": _id(c.key, 5_000), "name": c.title, "slug": c.key, "event_category": category,
                "event_start_time": _ts(c.start), "event_end_time": _ts(c.end),
                "registration_status": "REGISTRATIONS_OPEN" if c.start > now else "REGISTRATIONS_CLOSED",
                "has_started": c.start <= now}  # fmt: skip

    webinar = FakeContest("system-design-masterclass", "System Design Masterclass", now + timedelta(days=2),
                          timedelta(hours=1))  # fmt: skip
    first = [element(c) for c in contests] + [element(webinar, "WEBINAR")]
    first.sort(key=lambda e: e["event_start_time"])
    history = [element(FakeContest(f"weekly-contest-{200 + n}", f"Weekly Contest {200 + n}",
                                   now - timedelta(days=7 * (CODE360_HISTORY - n)), timedelta(hours=2)))
               for n in reversed(range(CODE360_HISTORY))]  # fmt: skip
    events = first + history
    total_pages = max(1, math.ceil(len(events) / CODE360_PAGE_SIZE))
    page = max(1, int(params.get("page") or 1))
    chunk = events[(page - 1) * CODE360_PAGE_SIZE : page * CODE360_PAGE_SIZE]
    if layout:
        return {"data": {"contests": chunk, "page": page, "pages": total_pages}}
    return {"data": {"events": chunk, "current_page": page, "total_pages": total_pages}}


def load_state(fake: FakeJudges, state: dict[str, Any]) -> None:
    """Load ``{judge: [FakeContest.to_dict(), ...]}``."""
    for judge, contests in state.items():
        fake.set_contests(judge, [FakeContest.from_dict(c) for c in contests])


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tests.fakes.judges", __doc__.splitlines()[0])
    add_state_args(parser, "JSON file {judge: [contest, ...]} replacing the default contests")
    args = parser.parse_args(argv)
    fake = FakeJudges(args.host, args.port, timeout_delay=args.timeout_delay)
    return serve_cli(fake, args.state, load_state)


if __name__ == "__main__":
    sys.exit(main())
