"""A realistic fake of the Codeforces API, served over real TCP.

``FakeCodeforces`` runs a threaded HTTP server (stdlib ``ThreadingHTTPServer``,
one thread per connection, HTTP/1.1 keep-alive) in a daemon thread, so tests
and benchmarks in any process can call it with httpx exactly like
``https://codeforces.com/api``::

    with FakeCodeforces() as cf:
        cf.add_submission("tourist", "1843A", "OK")
        cf.add_submission(["alice", "bob"], "1850D2", None, team_name="ab")  # in queue
        cf.inject("http503", times=2, method="user.status")
        httpx.get(f"{cf.base_url}/user.status", params={"handle": "tourist"})

Implemented API methods (GET ``/api/<method>``):

* ``user.status?handle=&from=&count=`` - the user's submissions, newest first.
* ``user.info?handles=a;b`` - user objects in the requested order.
* ``contest.status?contestId=&handle=&from=&count=`` - a contest's submissions.
* ``problemset.recentStatus?count=&problemsetName=`` - global newest first.

Response shapes follow codeforces.com/apiHelp: ``{"status": "OK", "result": ...}``
with HTTP 200, or ``{"status": "FAILED", "comment": "field: message"}`` with
HTTP 400 for bad parameters, compact JSON, ``Content-Type:
application/json;charset=UTF-8``, ``Server: nginx``.  Handles are looked up
case-insensitively and answered in their canonical case.  A submission whose
verdict is ``None`` (still in the queue) has no ``verdict`` key at all.

Fault injection (``inject``), all served before normal answers, FIFO, and only
to ``/api/...`` requests:

============  =========================================================================
fault         what the client sees
============  =========================================================================
http503       HTTP 503, nginx's HTML "503 Service Temporarily Unavailable" page
http429       HTTP 429, ``{"status":"FAILED","comment":"Call limit exceeded"}``
call_limit    HTTP 503, ``{"status":"FAILED","comment":"Call limit exceeded"}`` (JSON).
              This is what codeforces.com sends when its rate limit trips (apiHelp
              documents only the FAILED body; community clients key their back-off
              on HTTP 503), so a client must not assume every 503 is HTML.
timeout       nothing for ``timeout_delay`` seconds (default 15), then the normal
              answer; other requests are served meanwhile.
garbage       HTTP 200, ``text/html``, a truncated page that is not JSON.
http500       HTTP 500, nginx's HTML "500 Internal Server Error" page
disconnect    the connection is closed without any response (extra, not in the brief)
failed500     HTTP 500, ``{"status":"FAILED","comment": <failed500_comment>}`` (JSON). Set
              ``failed500_comment`` to what an upstream error would echo back (a signed
              request line, say) to check that the client's errors stay redacted.
============  =========================================================================

Every ``/api`` request is logged as a ``Call`` (``status`` is the HTTP status
sent, 0 when none was sent).  Admin endpoints on the same server (not logged)
let another process drive the fake: ``GET /_admin/health``, ``GET /_admin/calls
[?method=]``, ``POST /_admin/users`` ``{handle, rating}``, ``POST
/_admin/submissions`` (add_submission kwargs), ``POST /_admin/verdict``
``{submission_id, verdict}``, ``POST /_admin/faults`` ``{fault, times, method,
timeout_delay?}``, ``DELETE /_admin/faults``, ``POST /_admin/reset``.
Run as a separate process with::

    python -m tests.fakes.codeforces --port 0 --state state.json

which prints ``READY http://127.0.0.1:PORT/api`` once it is listening.
"""

from __future__ import annotations

import bisect
import json
import re
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.fakes._http import NO_ADMIN_ROUTE, FakeHandler, HttpFake, add_state_args, cli_parser, dumps, serve_cli

__all__ = ["Call", "FakeCodeforces", "FAULTS", "VERDICTS", "PARTICIPANT_TYPES", "FIRST_SUBMISSION_ID"]

FIRST_SUBMISSION_ID = 220_000_000
FIRST_PARTICIPANT_ID = 160_000_000
FIRST_TEAM_ID = 90_000
PRACTICE_RELATIVE_TIME = 2_147_483_647  # relativeTimeSeconds of practice/manager submissions

FAULTS = frozenset({"http503", "http429", "call_limit", "timeout", "garbage", "http500", "disconnect", "failed500"})
DEFAULT_FAILED500_COMMENT = "Internal Server Error"
VERDICTS = frozenset(
    {
        "FAILED", "OK", "PARTIAL", "COMPILATION_ERROR", "RUNTIME_ERROR", "WRONG_ANSWER",
        "PRESENTATION_ERROR", "TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED",
        "IDLENESS_LIMIT_EXCEEDED", "SECURITY_VIOLATED", "CRASHED", "INPUT_PREPARATION_CRASHED",
        "CHALLENGED", "SKIPPED", "TESTING", "REJECTED",
    }
)  # fmt: skip
PARTICIPANT_TYPES = frozenset({"CONTESTANT", "PRACTICE", "VIRTUAL", "MANAGER", "OUT_OF_COMPETITION"})
IMPLEMENTED_METHODS = ("user.status", "user.info", "contest.status", "problemset.recentStatus")
# Real methods this fake does not serve: answered with HTTP 501 so a missing feature is obvious.
_REAL_UNIMPLEMENTED = frozenset(
    {
        "blogEntry.comments", "blogEntry.view", "contest.hacks", "contest.list",
        "contest.ratingChanges", "contest.standings", "problemset.problems", "recentActions",
        "user.blogEntries", "user.friends", "user.ratedList", "user.rating",
    }
)  # fmt: skip

HANDLE_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_CONTEST_PROBLEM_RE = re.compile(r"^(\d+)([A-Za-z][A-Za-z0-9]*)$")  # "1843A", "1850D2"
_PROBLEMSET_PROBLEM_RE = re.compile(r"^([a-z][a-z0-9]*)/([A-Za-z0-9]+)$")  # "acmsguru/100"
_BAD_HANDLE = "Field should contain only Latin letters, digits, underscore or dash characters"

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
_NGINX_PAGE = (
    "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n"
    "<center><h1>{0}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_GARBAGE_BODY = "<html><body>Codeforces is temporarily unavailable"
_CALL_LIMIT = {"status": "FAILED", "comment": "Call limit exceeded"}

_PROBLEM_NAMES = (
    "Tenzing and Tsondu", "Sasha and Array Coloring", "Boxes and Balls", "Monsters (easy version)",
    "Binary String Sorting", "Balanced Substrings", "Yet Another Permutation Problem",
    "Two Arrays", "Vlad and the Best of Five", "Counting Rhyme", "Lunar New Year and Cross Counting",
    "Tree XOR",
)  # fmt: skip
_TAGS = (
    "implementation", "math", "greedy", "dp", "brute force", "constructive algorithms",
    "sortings", "binary search", "graphs", "strings", "number theory", "data structures",
)  # fmt: skip
_RANKS = (
    (3000, "legendary grandmaster"), (2600, "international grandmaster"), (2400, "grandmaster"),
    (2300, "international master"), (2100, "master"), (1900, "candidate master"),
    (1600, "expert"), (1400, "specialist"), (1200, "pupil"), (-10**9, "newbie"),
)  # fmt: skip


def rank_for(rating: int) -> str:
    """Codeforces rank title for a rating ("newbie" ... "legendary grandmaster")."""
    return next(title for floor, title in _RANKS if rating >= floor)


@dataclass(frozen=True)
class Call:
    """One ``/api/<method>`` request as the fake saw it.

    ``params`` holds the first value of each query parameter, ``at`` is the
    arrival ``time.time()``, ``status`` the HTTP status sent (0 when the
    connection was dropped without a response) and ``fault`` the injected
    fault that shaped the answer, if any.
    """

    method: str
    params: dict[str, str]
    at: float
    status: int
    fault: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": dict(self.params), "at": self.at,
                "status": self.status, "fault": self.fault}  # fmt: skip


class _ApiError(Exception):
    def __init__(self, comment: str, http_status: int = 400) -> None:
        super().__init__(comment)
        self.comment = comment
        self.http_status = http_status


@dataclass
class _Submission:
    id: int
    contest_id: int | None
    problemset: str | None
    index: str
    members: tuple[str, ...]  # canonical handles, in order
    participant_type: str
    created: int
    verdict: str | None
    team_name: str | None
    language: str
    json: dict[str, Any] = field(default_factory=dict)  # rendered; replaced (never mutated) on change

    @property
    def member_keys(self) -> frozenset[str]:
        return frozenset(m.lower() for m in self.members)


class FakeCodeforces(HttpFake[Call]):
    """In-memory Codeforces with a real HTTP front end. All state is guarded by one lock.

    Args:
        host, port: where to listen; ``port=0`` picks a free port, which is then
            kept, so ``stop()`` + ``start()`` simulates an outage on the same URL.
        timeout_delay: seconds a ``"timeout"`` fault holds the response.
        max_calls: how many recent calls ``calls`` remembers (``None``: all).
    """

    _admin_content_type = JSON_CONTENT_TYPE

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, timeout_delay: float = 15.0,
                 max_calls: int | None = 100_000) -> None:  # fmt: skip
        super().__init__(host, port, timeout_delay=timeout_delay, max_calls=max_calls)
        self._methods: dict[str, Callable[[dict[str, str]], Any]] = {
            "user.status": self._api_user_status,
            "user.info": self._api_user_info,
            "contest.status": self._api_contest_status,
            "problemset.recentStatus": self._api_recent_status,
        }
        self._init_state()

    # ------------------------------------------------------------------ URL (start/stop/root_url: HttpFake)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/api``, the equivalent of ``https://codeforces.com/api``."""
        return f"{self.root_url}/api"

    # ------------------------------------------------------------------ state

    def _init_state(self) -> None:
        self._users: dict[str, dict[str, Any]] = {}  # lower handle -> user
        self._subs: dict[int, _Submission] = {}
        self._all_ids: list[int] = []  # ascending
        self._ids_by_user: dict[str, list[int]] = {}  # lower handle -> ascending ids
        self._ids_by_contest: dict[int, list[int]] = {}
        self._next_id = FIRST_SUBMISSION_ID
        self._participants: dict[tuple[Any, ...], int] = {}
        self._teams: dict[str, int] = {}
        self._contest_start: dict[int, int] = {}
        self._virtual_start: dict[int, int] = {}  # participantId -> start
        self._faults: list[list[Any]] = []  # [fault, remaining, method | None], FIFO
        self.failed500_comment = DEFAULT_FAILED500_COMMENT

    def reset(self) -> None:
        """Forget users, submissions, faults and calls; ids restart at ``FIRST_SUBMISSION_ID``."""
        with self._lock:
            self._init_state()
            self._calls.clear()

    def add_user(self, handle: str, rating: int | None = 1500) -> None:
        """Create (or update the rating of) a user. ``rating=None`` makes an unrated user."""
        with self._lock:
            self._ensure_user(handle, rating, update=True)

    def _ensure_user(self, handle: str, rating: int | None = 1500, *, update: bool = False) -> str:
        if not isinstance(handle, str) or not HANDLE_RE.match(handle):
            raise ValueError(f"invalid handle {handle!r}: {_BAD_HANDLE}")
        user = self._users.get(handle.lower())
        if user is None:
            now = int(time.time())
            user = {"handle": handle, "rating": rating, "maxRating": rating,
                    "registrationTimeSeconds": now - 86_400 * (30 + zlib.crc32(handle.lower().encode()) % 3000),
                    "lastOnlineTimeSeconds": now}  # fmt: skip
            self._users[handle.lower()] = user
        elif update:
            user["rating"] = rating
            if rating is not None and (user["maxRating"] is None or rating > user["maxRating"]):
                user["maxRating"] = rating
        return user["handle"]

    def add_submission(
        self,
        handle: str | list[str],
        problem: str,
        verdict: str | None = "OK",
        *,
        created: int | None = None,
        participant_type: str = "PRACTICE",
        submission_id: int | None = None,
        team_name: str | None = None,
        language: str = "GNU C++20 (64)",
    ) -> dict[str, Any]:
        """Record a submission and return it as the API will render it.

        ``problem`` is ``"1843A"``/``"1850D2"`` (contestId + index) or
        ``"acmsguru/100"`` (a problemset problem without contestId). A list of
        handles (or a ``team_name``) makes a team submission, members in order.
        Unknown users are created with rating 1500. Ids increase from
        ``FIRST_SUBMISSION_ID`` unless ``submission_id`` is given (later
        automatic ids continue above it); ``created`` defaults to now;
        ``verdict=None`` means "in queue" (no ``verdict`` key). Listings are
        ordered by id, newest (largest) first, whatever ``created`` says.
        """
        handles = [handle] if isinstance(handle, str) else list(handle)
        if not handles:
            raise ValueError("a submission needs at least one handle")
        if participant_type not in PARTICIPANT_TYPES:
            raise ValueError(f"unknown participant_type {participant_type!r}")
        _check_verdict(verdict)
        if m := _CONTEST_PROBLEM_RE.match(problem):
            contest_id, problemset, index = int(m.group(1)), None, m.group(2).upper()
        elif m := _PROBLEMSET_PROBLEM_RE.match(problem):
            contest_id, problemset, index = None, m.group(1), m.group(2).upper()
            if participant_type != "PRACTICE":
                raise ValueError("problemset problems only have PRACTICE submissions")
        else:
            raise ValueError(f"problem must look like '1843A' or 'acmsguru/100', got {problem!r}")
        if team_name is not None and not team_name:
            raise ValueError("team_name must be non-empty")
        with self._lock:
            members = tuple(self._ensure_user(h) for h in handles)
            if len({m.lower() for m in members}) != len(members):
                raise ValueError(f"duplicate team members {handles!r}")
            if submission_id is None:
                sid = self._next_id
            else:
                sid = int(submission_id)
                if sid in self._subs:
                    raise ValueError(f"submission id {sid} already exists")
            self._next_id = max(self._next_id, sid + 1)
            sub = _Submission(
                id=sid, contest_id=contest_id, problemset=problemset, index=index, members=members,
                participant_type=participant_type, created=int(time.time()) if created is None else int(created),
                verdict=verdict, language=language,
                team_name=team_name if team_name is not None else (None if len(members) == 1 else "-".join(members)),
            )  # fmt: skip
            sub.json = self._render(sub)
            self._subs[sid] = sub
            bisect.insort(self._all_ids, sid)
            for key in sub.member_keys:
                bisect.insort(self._ids_by_user.setdefault(key, []), sid)
            if contest_id is not None:
                bisect.insort(self._ids_by_contest.setdefault(contest_id, []), sid)
            return json.loads(dumps(sub.json))

    def set_verdict(self, submission_id: int, verdict: str | None) -> None:
        """Change a submission's verdict (``None``: back in queue); KeyError if unknown."""
        self._set_verdict(submission_id, verdict)

    def _set_verdict(self, submission_id: int, verdict: str | None) -> dict[str, Any]:
        _check_verdict(verdict)
        with self._lock:
            sub = self._subs.get(int(submission_id))
            if sub is None:
                raise KeyError(f"no submission with id {submission_id}")
            sub.verdict = verdict
            sub.json = self._render(sub)  # copy-on-write: readers may hold the old dict
            return sub.json

    def inject(self, fault: str, times: int = 1, method: str | None = None) -> None:
        """Queue ``fault`` for the next ``times`` API calls (to ``method`` only, if given).

        Faults are served FIFO before normal answers; see the module docstring
        for what each of ``FAULTS`` looks like on the wire.
        """
        self._queue_fault(FAULTS, fault, times, method)

    def calls_for(self, method: str) -> list[Call]:
        """Snapshot of the calls to one API method, e.g. ``"user.status"``."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    # ------------------------------------------------------------------ rendering

    def _render(self, sub: _Submission) -> dict[str, Any]:
        key = f"{sub.contest_id or sub.problemset}{sub.index}"
        seed = zlib.crc32(key.encode())
        problem: dict[str, Any] = {}
        if sub.contest_id is not None:
            problem["contestId"] = sub.contest_id
        else:
            problem["problemsetName"] = sub.problemset
        problem["index"] = sub.index
        problem["name"] = _PROBLEM_NAMES[seed % len(_PROBLEM_NAMES)]
        problem["type"] = "PROGRAMMING"
        ordinal = ord(sub.index[0]) - ord("A") if sub.index[0].isalpha() else 0
        if sub.contest_id is not None and zlib.crc32(f"points{sub.contest_id}".encode()) % 2 == 0:
            problem["points"] = float(500 * (ordinal + 1) + (250 if sub.index[1:] == "2" else 0))
        if seed % 7:
            problem["rating"] = min(3500, 800 + 100 * (2 * ordinal + seed % 5))
        problem["tags"] = sorted({_TAGS[(seed >> (4 * i)) % len(_TAGS)] for i in range(seed % 4)})

        author: dict[str, Any] = {}
        if sub.contest_id is not None:
            author["contestId"] = sub.contest_id
        pkey = (sub.contest_id, sub.problemset, sub.participant_type, sub.team_name, sub.member_keys)
        participant_id = self._participants.setdefault(pkey, FIRST_PARTICIPANT_ID + len(self._participants))
        author["participantId"] = participant_id
        author["members"] = [{"handle": h} for h in sub.members]
        author["participantType"] = sub.participant_type
        if sub.team_name is not None:
            author["teamId"] = self._teams.setdefault(sub.team_name.lower(), FIRST_TEAM_ID + len(self._teams))
            author["teamName"] = sub.team_name
        author["ghost"] = False

        relative = PRACTICE_RELATIVE_TIME
        if sub.participant_type in ("CONTESTANT", "OUT_OF_COMPETITION", "VIRTUAL") and sub.contest_id is not None:
            if sub.participant_type == "VIRTUAL":
                start = self._virtual_start.setdefault(participant_id, sub.created - 300)
            else:
                start = self._contest_start.setdefault(sub.contest_id, sub.created - 600)
            author["startTimeSeconds"] = start
            relative = max(0, sub.created - start)

        tests = 5 + seed % 56
        time_limit = 1000 * (1 + seed % 3)
        passed, millis, memory = (
            sub.id % tests,
            15 + (sub.id * 37) % (time_limit - 15),
            1024 * (4 * (sub.id % 4096) + 100),
        )
        if sub.verdict is None or sub.verdict == "COMPILATION_ERROR":
            passed, millis, memory = 0, 0, 0
        elif sub.verdict == "OK":
            passed = tests
        elif sub.verdict == "TIME_LIMIT_EXCEEDED":
            millis = time_limit
        elif sub.verdict == "MEMORY_LIMIT_EXCEEDED":
            memory = 256 * 1024 * 1024

        out: dict[str, Any] = {"id": sub.id}
        if sub.contest_id is not None:
            out["contestId"] = sub.contest_id
        out["creationTimeSeconds"] = sub.created
        out["relativeTimeSeconds"] = relative
        out["problem"] = problem
        out["author"] = author
        out["programmingLanguage"] = sub.language
        if sub.verdict is not None:
            out["verdict"] = sub.verdict
        out["testset"] = "TESTS"
        out["passedTestCount"] = passed
        out["timeConsumedMillis"] = millis
        out["memoryConsumedBytes"] = memory
        return out

    def _user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"handle": user["handle"], "contribution": 0, "friendOfCount": 0,
                               "organization": "", "lastOnlineTimeSeconds": user["lastOnlineTimeSeconds"],
                               "registrationTimeSeconds": user["registrationTimeSeconds"]}  # fmt: skip
        if user["rating"] is not None:
            out["rating"] = user["rating"]
            out["rank"] = rank_for(user["rating"])
            out["maxRating"] = user["maxRating"]
            out["maxRank"] = rank_for(user["maxRating"])
        out["avatar"] = "https://userpic.codeforces.org/no-avatar.jpg"
        out["titlePhoto"] = "https://userpic.codeforces.org/no-title.jpg"
        return out

    # ------------------------------------------------------------------ API methods (called under the lock)

    def _answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            impl = self._methods.get(method)
            if impl is None:
                if method in _REAL_UNIMPLEMENTED:
                    raise _ApiError(f"FakeCodeforces does not implement {method}", 501)
                raise _ApiError("Method is not found")
            return 200, {"status": "OK", "result": impl(params)}
        except _ApiError as exc:
            return exc.http_status, {"status": "FAILED", "comment": exc.comment}

    def _require_user(self, params: dict[str, str], name: str) -> dict[str, Any]:
        value = params.get(name, "")
        if not value:
            raise _ApiError(f"{name}: Field should not be empty")
        if not HANDLE_RE.match(value):
            raise _ApiError(f"{name}: {_BAD_HANDLE}")
        user = self._users.get(value.lower())
        if user is None:
            raise _ApiError(f"{name}: User with handle {value} not found")
        return user

    @staticmethod
    def _int_param(params: dict[str, str], name: str, *, required: bool = False, minimum: int | None = None,
                   maximum: int | None = None) -> int | None:  # fmt: skip
        raw = params.get(name, "")
        if raw == "":
            if required:
                raise _ApiError(f"{name}: Field should not be empty")
            return None
        try:
            value = int(raw)
        except ValueError:
            raise _ApiError(f"{name}: Field should contain long integer value") from None
        if minimum is not None and value < minimum:
            raise _ApiError(f"{name}: Field should be no less than {minimum}")
        if maximum is not None and value > maximum:
            raise _ApiError(f"{name}: Field should be no more than {maximum}")
        return value

    def _page(self, ids: list[int], params: dict[str, str]) -> list[dict[str, Any]]:
        """Newest-first page of ascending ``ids`` using 1-based ``from`` and ``count``."""
        start = self._int_param(params, "from", minimum=1) or 1
        count = self._int_param(params, "count", minimum=1)
        hi = len(ids) - (start - 1)
        if hi <= 0:
            return []
        lo = 0 if count is None else max(0, hi - count)
        return [self._subs[i].json for i in reversed(ids[lo:hi])]

    def _api_user_status(self, params: dict[str, str]) -> list[dict[str, Any]]:
        user = self._require_user(params, "handle")
        return self._page(self._ids_by_user.get(user["handle"].lower(), []), params)

    def _api_user_info(self, params: dict[str, str]) -> list[dict[str, Any]]:
        handles = [h.strip() for h in params.get("handles", "").split(";") if h.strip()]
        if not handles:
            raise _ApiError("handles: Field should not be empty")
        if len(handles) > 10_000:
            raise _ApiError("handles: Field should contain no more than 10000 handles")
        result = []
        for handle in handles:
            if not HANDLE_RE.match(handle):
                raise _ApiError(f"handles: {_BAD_HANDLE}")
            user = self._users.get(handle.lower())
            if user is None:
                raise _ApiError(f"handles: User with handle {handle} not found")
            result.append(self._user_json(user))
        return result

    def _api_contest_status(self, params: dict[str, str]) -> list[dict[str, Any]]:
        contest_id = self._int_param(params, "contestId", required=True)
        ids = self._ids_by_contest.get(contest_id)  # type: ignore[arg-type]
        if ids is None:
            raise _ApiError(f"contestId: Contest with id {contest_id} not found")
        if params.get("handle"):
            key = self._require_user(params, "handle")["handle"].lower()
            ids = [i for i in ids if key in self._subs[i].member_keys]
        return self._page(ids, params)

    def _api_recent_status(self, params: dict[str, str]) -> list[dict[str, Any]]:
        count = self._int_param(params, "count", required=True, minimum=1, maximum=1000)
        problemset = params.get("problemsetName")
        ids = self._all_ids
        if problemset:
            ids = [i for i in ids if self._subs[i].problemset == problemset]
        return self._page(ids, {"count": str(count)})

    # ------------------------------------------------------------------ HTTP plumbing

    def _handle(self, handler: FakeHandler, verb: str, path: str, params: dict[str, str], raw: bytes) -> None:
        if path.startswith("/api/"):
            self._handle_api(handler, verb, path[len("/api/") :], params)
        elif path.startswith("/_admin/"):
            self._handle_admin(handler, verb, path[len("/_admin/") :], params, raw)
        else:
            self._send(handler, 404, "text/html", _NGINX_PAGE.format("404 Not Found").encode())

    def _handle_api(self, handler: FakeHandler, verb: str, method: str, params: dict[str, str]) -> None:
        at = time.time()
        payload: Any = None
        with self._lock:
            fault = self._take_fault(method)
            if verb != "GET" and fault is None:
                status, payload = 405, {"status": "FAILED", "comment": f"HTTP method {verb} is not supported"}
            elif fault is None or fault == "timeout":
                status, payload = self._answer(method, params)
            else:
                status = {"http503": 503, "http429": 429, "call_limit": 503, "garbage": 200,
                          "http500": 500, "disconnect": 0, "failed500": 500}[fault]  # fmt: skip
                if fault == "failed500":
                    payload = {"status": "FAILED", "comment": self.failed500_comment}
            self._calls.append(Call(method, params, at, status, fault))
        if fault == "timeout" and self._stopping.wait(self.timeout_delay):
            handler.close_connection = True  # server stopping: drop the request
            return
        if fault == "disconnect":
            handler.close_connection = True
            return
        if payload is not None:
            self._send(handler, status, JSON_CONTENT_TYPE, dumps(payload))  # serialised outside the lock
        elif fault == "http503":
            self._send(handler, 503, "text/html", _NGINX_PAGE.format("503 Service Temporarily Unavailable").encode())
        elif fault == "http500":
            self._send(handler, 500, "text/html", _NGINX_PAGE.format("500 Internal Server Error").encode())
        elif fault in ("http429", "call_limit"):
            self._send(handler, status, JSON_CONTENT_TYPE, dumps(_CALL_LIMIT))
        else:  # garbage
            self._send(handler, 200, "text/html;charset=UTF-8", _GARBAGE_BODY.encode())

    def _admin_route(self, verb: str, path: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        """Admin endpoints for other processes (JSON in, JSON out; errors are ``{"error": ...}``).

        * ``GET /_admin/health`` -> ``{"ok": true}``
        * ``GET /_admin/calls[?method=M]`` -> list of calls (``Call.to_dict``)
        * ``POST /_admin/users`` ``{handle, rating}`` -> ``{"ok": true}``
        * ``POST /_admin/submissions`` add_submission kwargs -> the submission
        * ``POST /_admin/verdict`` ``{submission_id, verdict}`` -> the updated submission
        * ``POST /_admin/faults`` ``{fault, times?, method?, timeout_delay?}`` -> ``{"ok": true}``
        * ``DELETE /_admin/faults`` -> clear_faults
        * ``POST /_admin/reset`` -> reset

        (The last three, the JSON parsing and the errors are ``HttpFake._handle_admin``; a
        ``KeyError``, e.g. an unknown submission id, answers 404.)
        """
        route = (verb, path)
        if route == ("GET", "health"):
            return None
        if route == ("GET", "calls"):
            method = params.get("method")
            return [c.to_dict() for c in (self.calls_for(method) if method else self.calls)]
        if route == ("POST", "users"):
            self.add_user(**body)
            return None
        if route == ("POST", "submissions"):
            return self.add_submission(**body)
        if route == ("POST", "verdict"):
            if "submission_id" not in body:
                raise ValueError("submission_id is required")
            return json.loads(dumps(self._set_verdict(body["submission_id"], body.get("verdict"))))
        return NO_ADMIN_ROUTE


def _check_verdict(verdict: str | None) -> None:
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")


def load_state(fake: FakeCodeforces, state: dict[str, Any]) -> None:
    """Load ``{"users": [handle | {handle, rating}], "submissions": [add_submission kwargs]}``."""
    for user in state.get("users", []):
        if isinstance(user, str):
            fake.add_user(user)
        else:
            fake.add_user(**user)
    for sub in state.get("submissions", []):
        fake.add_submission(**sub)


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tests.fakes.codeforces", __doc__.splitlines()[0])
    add_state_args(parser, "JSON file with users and submissions to preload")
    args = parser.parse_args(argv)
    fake = FakeCodeforces(args.host, args.port, timeout_delay=args.timeout_delay)
    return serve_cli(fake, args.state, load_state)


if __name__ == "__main__":
    sys.exit(main())
