"""A realistic fake of the MetaCTF game platform API (the SynED integration), served over real TCP.

``FakeGamePlatform`` runs a threaded HTTP server (stdlib ``ThreadingHTTPServer``, HTTP/1.1
keep-alive) in a daemon thread, so tests and jobs in any process call it with httpx exactly like
``https://api.metactf.com/integrations/syned/v1/<tenant>``::

    with FakeGamePlatform(timeout_delay=0.5) as gp:
        gp.add_user("u-1", first_name="Ada", last_name="Lovelace")
        gp.add_solve("u-1", points=100, category="web", timestamp_unix=1_700_000_000)
        gp.inject("http503", times=2, path="/scores/get_odl_scores")
        httpx.get(f"{gp.base_url}/scores/get_odl_scores", params={"syned_user_id": "u-1"},
                  headers={"Authorization": f"Bearer {gp.token}"})

Implemented endpoints (relative to ``base_url``; JSON in, JSON out, FastAPI-style errors
``{"detail": "..."}``, and 422 ``{"detail": [{"loc", "msg", "type"}]}`` for missing/invalid fields):

======================================  ==============================================================
``POST /users``                         create; 201 user; 409 ``User already exists`` (same
                                        syned_user_id) or ``Email already registered``
``GET /users?syned_user_id=``           201 (as the vendor's spec declares) user; 404 ``User not found``
``POST /teams``                         create; 201 ``{syned_team_id, metactf_team_id}``; 409 existing
                                        id; 404 unknown coach
``POST /teams/delete``                  200; 404 ``Team not found``; 400 ``Team has members``
``POST /users/assign_team``             200 (moves the user if already on a team); 404 unknown
                                        user/team
``GET /users/get_team_assignments``     200 ``{assignments, total_count}``, optional ``syned_team_id``
                                        (404 if unknown)
``GET /scores/get_odl_scores``          200; ``after_time_unix`` keeps solves strictly after it; the
                                        totals always cover ALL solves
``GET /scores/get_flash_ctf_progress``  200 every event; ``after_time_unix`` is ignored (as on the
                                        real platform)
``POST /auth/send_password_reset_email``  200; 404 unknown e-mail; recorded in ``password_resets``
======================================  ==============================================================

Every API request needs ``Authorization: Bearer <token>``; otherwise 401 ``{"detail": "Invalid token"}``.
Responses carry a few extra fields the client must ignore (``created_at``, ``difficulty``...).

Fault injection (``inject(fault, times, path, syned_user_id)``), FIFO, optionally for one path and/or
one user only (``syned_user_id`` in the query or the JSON body), served before normal answers (i.e.
before authentication, like a proxy would):

=========  ==================================================================================
http500    HTTP 500, ``text/plain`` "Internal Server Error" (the request is not applied)
http503    HTTP 503, nginx's HTML page (not applied)
http400    HTTP 400 ``{"detail": "Bad request"}`` (not applied)
http404    HTTP 404 ``{"detail": "Not Found"}`` (not applied)
timeout    the request IS applied, then nothing for ``timeout_delay`` seconds, then the answer
malformed  HTTP 200 with the right shape but a field of the wrong type (e.g. ``total_points:
           "abc"``); a successful request is applied
garbage    HTTP 200, ``text/html``, a truncated page that is not JSON (not applied)
=========  ==================================================================================

Every API request is logged as a ``Call`` (``at``: when it arrived); ``calls_for(path)`` lists one
endpoint's calls and ``call_counts`` counts them per ``"VERB /path"``. A real vendor's latency:
``latency_seconds`` (or ``latency_ms=`` to the constructor) holds every API answer that long;
``in_flight`` and ``max_in_flight`` count the API requests being answered at once (``reset`` zeroes the
peak and restores the constructor's latency).

Admin endpoints on the same server (no token, not logged): ``GET /_admin/health``, ``GET
/_admin/calls[?path=]``, ``POST /_admin/users`` (add_user kwargs), ``POST /_admin/teams`` (add_team
kwargs), ``POST /_admin/assignments`` ``{syned_team_id, syned_user_id}``, ``POST /_admin/solves``
(add_solve kwargs), ``POST /_admin/flash_ctfs`` (add_flash_ctf_event kwargs), ``POST /_admin/faults``
``{fault, times?, path?, syned_user_id?, timeout_delay?}``, ``DELETE /_admin/faults``, ``POST
/_admin/reset``, ``POST /_admin/latency`` ``{seconds}``, ``GET /_admin/in_flight``. Run as a separate
process with::

    python -m tests.fakes.game_platform --port 0 --token secret [--latency-ms 150]

which prints ``READY http://127.0.0.1:PORT/integrations/syned/v1`` once it is listening.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from tests.fakes._http import NO_ADMIN_ROUTE, FakeHandler, HttpFake, add_state_args, cli_parser, dumps, serve_cli

__all__ = ["Call", "FakeGamePlatform", "FAULTS", "API_PREFIX", "DEFAULT_CLI_TOKEN"]

API_PREFIX = "/integrations/syned/v1"
DEFAULT_CLI_TOKEN = "fake-game-platform-token"
FIRST_METACTF_USER_ID = 41_000
FIRST_METACTF_TEAM_ID = 7_000
FIRST_SOLVE_ID = 900_000
FIRST_CHALLENGE_ID = 3_000

FAULTS = frozenset({"http500", "http503", "timeout", "http400", "http404", "malformed", "garbage"})
USER_FIELDS = ("first_name", "last_name", "email", "role", "syned_user_id")
TEAM_FIELDS = ("syned_team_id", "syned_coach_user_id", "name", "division", "affiliation")
CATEGORIES = ("web", "crypto", "forensics", "reversing", "binary exploitation", "osint", "miscellaneous")
_TITLES = (
    "Cookie Monster", "Baby RSA", "Hidden in Plain Sight", "Stack Smash 101", "Where in the World",
    "Log Jam", "XOR Marks the Spot", "Packet Whisperer", "Base of Operations", "Shadow Admin",
)  # fmt: skip

JSON_CONTENT_TYPE = "application/json"
_NGINX_503 = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_GARBAGE_BODY = '<!DOCTYPE html><html><head><title>MetaCTF</title></head><body><div id="app">Loading'
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Call:
    """One API request as the fake saw it: ``path`` is relative to ``base_url`` (``"/users"``),
    ``params`` the first value of each query parameter, ``body`` the parsed JSON body (or None),
    ``status`` the HTTP status sent, ``fault`` the injected fault, ``authorized`` whether the
    bearer token matched."""

    verb: str
    path: str
    params: dict[str, str]
    body: Any
    at: float
    status: int
    fault: str | None
    authorized: bool

    def to_dict(self) -> dict[str, Any]:
        return {"verb": self.verb, "path": self.path, "params": dict(self.params), "body": self.body,
                "at": self.at, "status": self.status, "fault": self.fault, "authorized": self.authorized}  # fmt: skip


class _HttpError(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail


def _missing(location: str, name: str) -> _HttpError:
    return _HttpError(422, [{"loc": [location, name], "msg": "Field required", "type": "missing"}])


def _norm_path(path: str) -> str:
    return "/" + path.strip("/")


class FakeGamePlatform(HttpFake[Call]):
    """In-memory MetaCTF with a real HTTP front end. All state is guarded by one lock.

    Args:
        host, port: where to listen; ``port=0`` picks a free port, which is then kept, so
            ``stop()`` + ``start()`` simulates an outage on the same URL.
        token: the bearer token the API requires (default: a random one, see ``.token``).
        timeout_delay: seconds a ``"timeout"`` fault holds the response.
        max_calls: how many recent calls ``calls`` remembers (``None``: all).
        latency_ms: how long every API answer waits (a real vendor's latency; ``latency_seconds``).
    """

    request_queue_size = 256  # listen backlog (HttpFake's default is 1024)

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, token: str | None = None, timeout_delay: float = 15.0,
                 max_calls: int | None = 100_000, latency_ms: float = 0.0) -> None:  # fmt: skip
        super().__init__(host, port, timeout_delay=timeout_delay, max_calls=max_calls)
        self.token = token or f"gp_{secrets.token_urlsafe(24)}"
        self._default_latency = max(0.0, float(latency_ms)) / 1000
        self.in_flight = 0  # API requests being answered right now (a reset leaves them be)
        self._routes: dict[tuple[str, str], Callable[[dict[str, str], Any], tuple[int, Any]]] = {
            ("POST", "/users"): self._api_create_user,
            ("GET", "/users"): self._api_get_user,
            ("POST", "/teams"): self._api_create_team,
            ("POST", "/teams/delete"): self._api_delete_team,
            ("POST", "/users/assign_team"): self._api_assign_team,
            ("GET", "/users/get_team_assignments"): self._api_team_assignments,
            ("GET", "/scores/get_odl_scores"): self._api_odl_scores,
            ("GET", "/scores/get_flash_ctf_progress"): self._api_flash_ctf_progress,
            ("POST", "/auth/send_password_reset_email"): self._api_password_reset,
        }
        self._init_state()

    # ------------------------------------------------------------------ URL (start/stop/root_url: HttpFake)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/integrations/syned/v1``: what the client takes as its base URL."""
        return f"{self.root_url}{API_PREFIX}"

    # ------------------------------------------------------------------ state

    def _init_state(self) -> None:
        self._users: dict[str, dict[str, Any]] = {}  # syned_user_id -> user
        self._teams: dict[str, dict[str, Any]] = {}  # syned_team_id -> team
        self._team_of: dict[str, str] = {}  # syned_user_id -> syned_team_id (one team per user)
        self._solves: dict[str, list[dict[str, Any]]] = {}  # syned_user_id -> solves, by (time, id)
        self._flash: dict[str, dict[str, dict[str, Any]]] = {}  # syned_user_id -> event_id -> event
        self._faults: list[list[Any]] = []  # [fault, remaining, path | None], FIFO
        self._next_user_id = FIRST_METACTF_USER_ID
        self._next_team_id = FIRST_METACTF_TEAM_ID
        self._next_solve_id = FIRST_SOLVE_ID
        self.password_resets: list[str] = []
        self.latency_seconds = self._default_latency  # every API answer waits this long (a real vendor's latency)
        self.max_in_flight = 0  # the most API requests answered at once

    def reset(self) -> None:
        """Forget users, teams, solves, events, faults and calls; ids restart."""
        with self._lock:
            self._init_state()
            self._calls.clear()

    def add_user(
        self,
        syned_user_id: str,
        *,
        first_name: str = "Test",
        last_name: str = "User",
        email: str | None = None,
        role: str = "user",
        status: str = "active",
    ) -> dict[str, Any]:
        """Create a user directly (no API call, no 409): returns what ``GET /users`` answers."""
        with self._lock:
            if syned_user_id in self._users:
                raise ValueError(f"user {syned_user_id!r} already exists")
            user = self._new_user(syned_user_id, first_name, last_name, email or f"{syned_user_id}@example.org",
                                  role, status)  # fmt: skip
            return self._user_json(user)

    def set_user_status(self, syned_user_id: str, status: str) -> None:
        """Change ``metactf_user_status`` (e.g. ``"pending"`` -> ``"active"`` after first login)."""
        with self._lock:
            self._users[syned_user_id]["status"] = status

    def add_team(self, syned_team_id: str, syned_coach_user_id: str, *, name: str | None = None,
                 division: str = "high_school", affiliation: str = "Test High School") -> dict[str, Any]:  # fmt: skip
        """Create a team directly; the coach is created if unknown. Returns ``POST /teams``'s answer."""
        with self._lock:
            if syned_team_id in self._teams:
                raise ValueError(f"team {syned_team_id!r} already exists")
            if syned_coach_user_id not in self._users:
                self._new_user(syned_coach_user_id, "Coach", syned_coach_user_id, f"{syned_coach_user_id}@example.org",
                               "coach", "active")  # fmt: skip
            team = self._new_team(syned_team_id, syned_coach_user_id, name or f"Team {syned_team_id}", division,
                                  affiliation)  # fmt: skip
            return {"syned_team_id": team["syned_team_id"], "metactf_team_id": team["metactf_team_id"]}

    def assign(self, syned_team_id: str, syned_user_id: str) -> None:
        """Put a user on a team directly (KeyError if either is unknown)."""
        with self._lock:
            if syned_team_id not in self._teams:
                raise KeyError(f"no team {syned_team_id!r}")
            if syned_user_id not in self._users:
                raise KeyError(f"no user {syned_user_id!r}")
            self._team_of[syned_user_id] = syned_team_id

    def add_solve(
        self,
        syned_user_id: str,
        *,
        points: int = 100,
        category: str = "web",
        timestamp_unix: int | None = None,
        challenge_id: int | None = None,
        title: str | None = None,
        monthly_ctf: bool = False,
    ) -> dict[str, Any]:
        """Record an ODL challenge solve (the user is created if unknown) and return it as served.

        ``timestamp_unix`` defaults to now; ``monthly_ctf`` counts it in ``monthly_ctf_challenges``.
        """
        with self._lock:
            if syned_user_id not in self._users:
                self._new_user(syned_user_id, "Test", "User", f"{syned_user_id}@example.org", "user", "active")
            solve_id = self._next_solve_id
            self._next_solve_id += 1
            cid = int(challenge_id) if challenge_id is not None else FIRST_CHALLENGE_ID + solve_id % 997
            solve = {
                "challenge_solve_id": solve_id,
                "challenge_id": cid,
                "challenge_title": title or _TITLES[cid % len(_TITLES)],
                "challenge_category": category,
                "challenge_points": int(points),
                "timestamp_unix": int(time.time()) if timestamp_unix is None else int(timestamp_unix),
                "_monthly": bool(monthly_ctf),
            }
            solves = self._solves.setdefault(syned_user_id, [])
            solves.append(solve)
            solves.sort(key=lambda s: (s["timestamp_unix"], s["challenge_solve_id"]))
            return self._solve_json(solve)

    def add_flash_ctf_event(
        self,
        syned_user_id: str,
        event_id: str,
        *,
        name: str | None = None,
        challenges_solved: int = 0,
        points_earned: int = 0,
        rank: int | None = None,
        start_unix: int | None = None,
        end_unix: int | None = None,
    ) -> dict[str, Any]:
        """Record (or replace) the user's result in a Flash CTF event and return it as served."""
        with self._lock:
            if syned_user_id not in self._users:
                self._new_user(syned_user_id, "Test", "User", f"{syned_user_id}@example.org", "user", "active")
            start = int(start_unix) if start_unix is not None else int(time.time()) - 7_200
            event = {
                "event_id": str(event_id),
                "flash_ctf_name": name or f"Flash CTF {event_id}",
                "challenges_solved": int(challenges_solved),
                "points_earned": int(points_earned),
                "rank": rank,
                "flash_ctf_time_start_unix": start,
                "flash_ctf_time_end_unix": int(end_unix) if end_unix is not None else start + 7_200,
            }
            self._flash.setdefault(syned_user_id, {})[str(event_id)] = event
            return dict(event)

    def user(self, syned_user_id: str) -> dict[str, Any] | None:
        """The stored user (with personal fields), or None."""
        with self._lock:
            user = self._users.get(syned_user_id)
            return dict(user) if user else None

    def team(self, syned_team_id: str) -> dict[str, Any] | None:
        with self._lock:
            team = self._teams.get(syned_team_id)
            return dict(team) if team else None

    def inject(self, fault: str, times: int = 1, path: str | None = None, syned_user_id: str | None = None) -> None:
        """Queue ``fault`` for the next ``times`` API calls (to ``path`` only, e.g. ``"/users"``, and about
        ``syned_user_id`` only, if given): with calls in flight at once, only a user pins a fault to one call."""
        only = _norm_path(path) if path else None
        if syned_user_id is not None:
            only = f"{only or ''}?syned_user_id={syned_user_id}"
        self._queue_fault(FAULTS, fault, times, only)

    def _fault_for(self, path: str, params: dict[str, str], body: Any) -> str | None:
        """The first queued fault (FIFO) that applies to this call's path and user, consuming one use; under
        the lock."""
        user = params.get("syned_user_id") or (body.get("syned_user_id") if isinstance(body, dict) else None)
        applies = {None, path} | ({f"{path}?syned_user_id={user}", f"?syned_user_id={user}"} if user else set())
        for i, entry in enumerate(self._faults):
            fault, remaining, only = entry
            if only in applies:
                if remaining <= 1:
                    del self._faults[i]
                else:
                    entry[1] = remaining - 1
                return fault
        return None

    def calls_for(self, path: str, verb: str | None = None) -> list[Call]:
        """Snapshot of the calls to one endpoint path (``"/users"`` or ``"users"``), optionally one verb."""
        path = _norm_path(path)
        with self._lock:
            return [c for c in self._calls if c.path == path and (verb is None or c.verb == verb)]

    @property
    def call_counts(self) -> Counter[str]:
        """Calls per ``"VERB /path"``, the same keys as ``GamePlatformClient.calls``."""
        with self._lock:
            return Counter(f"{c.verb} {c.path}" for c in self._calls)

    # ------------------------------------------------------------------ internals (under the lock)

    def _new_user(
        self, syned_user_id: str, first: str, last: str, email: str, role: str, status: str
    ) -> dict[str, Any]:
        metactf_id = self._next_user_id
        self._next_user_id += 1
        base = re.sub(r"[^a-z0-9]", "", f"{first[:1]}{last}".lower()) or "player"
        user = {"syned_user_id": syned_user_id, "metactf_user_id": metactf_id,
                "metactf_username": f"{base}{metactf_id % 10_000}", "status": status,
                "first_name": first, "last_name": last, "email": email, "role": role,
                "created_at": int(time.time())}  # fmt: skip
        self._users[syned_user_id] = user
        return user

    def _new_team(self, syned_team_id: str, coach: str, name: str, division: str, affiliation: str) -> dict[str, Any]:
        team = {"syned_team_id": syned_team_id, "metactf_team_id": self._next_team_id,
                "syned_coach_user_id": coach, "metactf_coach_id": self._users[coach]["metactf_user_id"],
                "name": name, "division": division, "affiliation": affiliation}  # fmt: skip
        self._next_team_id += 1
        self._teams[syned_team_id] = team
        return team

    @staticmethod
    def _user_json(user: dict[str, Any]) -> dict[str, Any]:
        return {"syned_user_id": user["syned_user_id"], "metactf_user_id": user["metactf_user_id"],
                "metactf_username": user["metactf_username"], "metactf_user_status": user["status"],
                "created_at": user["created_at"]}  # fmt: skip

    @staticmethod
    def _solve_json(solve: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in solve.items() if not k.startswith("_")}
        out["difficulty"] = "easy" if solve["challenge_points"] <= 100 else "medium"  # extra: must be ignored
        return out

    def _require_user(self, syned_user_id: str) -> dict[str, Any]:
        user = self._users.get(syned_user_id)
        if user is None:
            raise _HttpError(404, "User not found")
        return user

    @staticmethod
    def _body_fields(body: Any, names: tuple[str, ...]) -> dict[str, str]:
        if not isinstance(body, dict):
            raise _HttpError(422, [{"loc": ["body"], "msg": "Input should be a valid dictionary",
                                    "type": "dict_type"}])  # fmt: skip
        errors = []
        for name in names:
            value = body.get(name)
            if value is None:
                errors.append({"loc": ["body", name], "msg": "Field required", "type": "missing"})
            elif not isinstance(value, str):
                errors.append({"loc": ["body", name], "msg": "Input should be a valid string", "type": "string_type"})
        if errors:
            raise _HttpError(422, errors)
        return {name: body[name] for name in names}

    @staticmethod
    def _query(params: dict[str, str], name: str) -> str:
        value = params.get(name)
        if not value:
            raise _missing("query", name)
        return value

    # ------------------------------------------------------------------ API endpoints (under the lock)

    def _api_create_user(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        fields = self._body_fields(body, USER_FIELDS)
        if not _EMAIL_RE.match(fields["email"]):
            raise _HttpError(422, [{"loc": ["body", "email"], "msg": "value is not a valid email address",
                                    "type": "value_error"}])  # fmt: skip
        if fields["syned_user_id"] in self._users:
            raise _HttpError(409, "User already exists")
        if any(u["email"].lower() == fields["email"].lower() for u in self._users.values()):
            raise _HttpError(409, "Email already registered")
        # A new account is pending until its owner sets a password and logs in.
        user = self._new_user(fields["syned_user_id"], fields["first_name"], fields["last_name"], fields["email"],
                              fields["role"], "pending")  # fmt: skip
        return 201, self._user_json(user)

    def _api_get_user(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        user = self._require_user(self._query(params, "syned_user_id"))
        return 201, self._user_json(user)  # the vendor's spec declares 201 for this GET

    def _api_create_team(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        fields = self._body_fields(body, TEAM_FIELDS)
        if fields["syned_team_id"] in self._teams:
            raise _HttpError(409, "Team already exists")
        if fields["syned_coach_user_id"] not in self._users:
            raise _HttpError(404, "Coach user not found")
        team = self._new_team(fields["syned_team_id"], fields["syned_coach_user_id"], fields["name"],
                              fields["division"], fields["affiliation"])  # fmt: skip
        return 201, {"syned_team_id": team["syned_team_id"], "metactf_team_id": team["metactf_team_id"],
                     "metactf_coach_id": team["metactf_coach_id"]}  # fmt: skip

    def _api_delete_team(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        team_id = self._body_fields(body, ("syned_team_id",))["syned_team_id"]
        if team_id not in self._teams:
            raise _HttpError(404, "Team not found")
        if any(t == team_id for t in self._team_of.values()):
            raise _HttpError(400, "Team has members")
        del self._teams[team_id]
        return 200, {"syned_team_id": team_id, "deleted": True}

    def _api_assign_team(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        fields = self._body_fields(body, ("syned_team_id", "syned_user_id"))
        if fields["syned_team_id"] not in self._teams:
            raise _HttpError(404, "Team not found")
        self._require_user(fields["syned_user_id"])
        self._team_of[fields["syned_user_id"]] = fields["syned_team_id"]
        return 200, {**fields, "assigned": True}

    def _api_team_assignments(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        team_id = params.get("syned_team_id") or None
        if team_id is not None and team_id not in self._teams:
            raise _HttpError(404, "Team not found")
        assignments = [{"syned_team_id": t, "syned_user_id": u} for u, t in sorted(self._team_of.items())
                       if team_id is None or t == team_id]  # fmt: skip
        return 200, {"assignments": assignments, "total_count": len(assignments)}

    def _api_odl_scores(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        user = self._require_user(self._query(params, "syned_user_id"))
        after_raw = params.get("after_time_unix")
        after: int | None = None
        if after_raw not in (None, ""):
            try:
                after = int(after_raw)  # type: ignore[arg-type]
            except ValueError:
                msg = "Input should be a valid integer, unable to parse string as an integer"
                error = {"loc": ["query", "after_time_unix"], "msg": msg, "type": "int_parsing"}
                raise _HttpError(422, [error]) from None
        solves = self._solves.get(user["syned_user_id"], [])
        shown = [s for s in solves if after is None or s["timestamp_unix"] > after]
        return 200, {
            "syned_user_id": user["syned_user_id"],
            "metactf_user_id": user["metactf_user_id"],
            # Totals are the platform's source of truth: always over every solve, whatever the cursor.
            "total_challenges_solved": len(solves),
            "total_points": sum(s["challenge_points"] for s in solves),
            "monthly_ctf_challenges": sum(1 for s in solves if s["_monthly"]),
            "challenge_solves": [self._solve_json(s) for s in shown],
        }

    def _api_flash_ctf_progress(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        # after_time_unix is deliberately ignored: the real endpoint has no incremental cursor.
        user = self._require_user(self._query(params, "syned_user_id"))
        events = sorted(self._flash.get(user["syned_user_id"], {}).values(),
                        key=lambda e: (e["flash_ctf_time_start_unix"], e["event_id"]))  # fmt: skip
        return 200, {"syned_user_id": user["syned_user_id"], "flash_ctfs": [dict(e) for e in events]}

    def _api_password_reset(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        email = self._body_fields(body, ("email",))["email"]
        if not any(u["email"].lower() == email.lower() for u in self._users.values()):
            raise _HttpError(404, "User not found")
        self.password_resets.append(email)
        return 200, {"detail": "Password reset email sent"}

    # ------------------------------------------------------------------ faults

    @staticmethod
    def _malformed(path: str, status: int, payload: Any, params: dict[str, str]) -> Any:
        """The endpoint's success shape with one field of the wrong type."""
        if status in (200, 201) and isinstance(payload, dict):
            out = dict(payload)
        else:  # the request failed underneath: still a 200 with the usual shape, broken
            out = {"syned_user_id": params.get("syned_user_id", "unknown")}
        if path == "/users":
            out.update(metactf_user_id="not-a-number", metactf_username=out.get("metactf_username", "x"),
                       metactf_user_status=out.get("metactf_user_status", "active"))  # fmt: skip
        elif path == "/teams":
            out.update(syned_team_id=out.get("syned_team_id", "unknown"), metactf_team_id="not-a-number")
        elif path == "/users/get_team_assignments":
            out = {"assignments": out.get("assignments", []), "total_count": "many"}
        elif path == "/scores/get_odl_scores":
            out.setdefault("metactf_user_id", 0)
            out.update(total_challenges_solved=out.get("total_challenges_solved", 0), total_points="abc",
                       monthly_ctf_challenges=out.get("monthly_ctf_challenges", 0),
                       challenge_solves=out.get("challenge_solves", []))  # fmt: skip
        elif path == "/scores/get_flash_ctf_progress":
            out["flash_ctfs"] = "none"
        else:
            out = {"detail": 12345, "ok": "maybe"}
        return out

    # ------------------------------------------------------------------ HTTP plumbing

    def _handle(self, handler: FakeHandler, verb: str, path: str, params: dict[str, str], raw: bytes) -> None:
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._handle_api(handler, verb, _norm_path(path[len(API_PREFIX) :]), params, raw)
        elif path.startswith("/_admin/"):
            self._handle_admin(handler, verb, path[len("/_admin/") :], params, raw)
        else:
            self._send(handler, 404, JSON_CONTENT_TYPE, dumps({"detail": "Not Found"}))

    def _authorized(self, handler: FakeHandler) -> bool:
        scheme, _, value = (handler.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(), self.token.encode())

    def _handle_api(self, handler: FakeHandler, verb: str, path: str, params: dict[str, str], raw: bytes) -> None:
        at = time.time()
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            latency = self.latency_seconds
        try:
            # The vendor's latency, before the call is applied; a stopping server drops the request.
            if latency and self._stopping.wait(latency):
                handler.close_connection = True
                return
            self._answer_api(handler, verb, path, params, raw, at)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer_api(
        self, handler: FakeHandler, verb: str, path: str, params: dict[str, str], raw: bytes, at: float
    ) -> None:
        authorized = self._authorized(handler)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = _HttpError(422, [{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}])
        content_type, payload_bytes = JSON_CONTENT_TYPE, b""
        with self._lock:
            fault = self._fault_for(path, params, body)
            status, payload = 0, None
            if fault in ("http500", "http503", "http400", "http404", "garbage"):
                status = {"http500": 500, "http503": 503, "http400": 400, "http404": 404, "garbage": 200}[fault]
            elif not authorized:
                status, payload = 401, {"detail": "Invalid token"}
            else:
                status, payload = self._answer(verb, path, params, body)
                if fault == "malformed":
                    payload = self._malformed(path, status, payload, params)
                    status = 200
            self._calls.append(Call(verb, path, params, None if isinstance(body, Exception) else body,
                                    at, status, fault, authorized))  # fmt: skip
        if fault == "timeout" and self._stopping.wait(self.timeout_delay):
            handler.close_connection = True  # server stopping: drop the request
            return
        if payload is not None:
            payload_bytes = dumps(payload)  # serialised outside the lock
        elif fault == "http500":
            content_type, payload_bytes = "text/plain; charset=utf-8", b"Internal Server Error"
        elif fault == "http503":
            content_type, payload_bytes = "text/html", _NGINX_503.encode()
        elif fault == "http400":
            payload_bytes = dumps({"detail": "Bad request"})
        elif fault == "http404":
            payload_bytes = dumps({"detail": "Not Found"})
        else:  # garbage
            content_type, payload_bytes = "text/html; charset=utf-8", _GARBAGE_BODY.encode()
        self._send(handler, status, content_type, payload_bytes)

    def _answer(self, verb: str, path: str, params: dict[str, str], body: Any) -> tuple[int, Any]:
        try:
            if isinstance(body, _HttpError):
                raise body
            route = self._routes.get((verb, path))
            if route is None:
                if any(p == path for _, p in self._routes):
                    raise _HttpError(405, "Method Not Allowed")
                raise _HttpError(404, "Not Found")
            return route(params, body)
        except _HttpError as exc:
            return exc.status, {"detail": exc.detail}

    def _admin_route(self, verb: str, path: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        """Admin endpoints for other processes (JSON in, JSON out; errors are ``{"error": ...}``).

        * ``GET /_admin/health`` -> ``{"ok": true, "base_url": ...}``
        * ``GET /_admin/calls[?path=P]`` -> list of calls (``Call.to_dict``)
        * ``POST /_admin/users`` add_user kwargs -> the user
        * ``POST /_admin/teams`` add_team kwargs -> the team
        * ``POST /_admin/assignments`` ``{syned_team_id, syned_user_id}``
        * ``POST /_admin/solves`` add_solve kwargs -> the solve
        * ``POST /_admin/flash_ctfs`` add_flash_ctf_event kwargs -> the event
        * ``POST /_admin/latency`` ``{seconds}``: every API answer waits that long
        * ``GET /_admin/in_flight`` -> ``{in_flight, max_in_flight}``
        * ``POST /_admin/faults`` ``{fault, times?, path?, syned_user_id?, timeout_delay?}``;
          ``DELETE /_admin/faults``
        * ``POST /_admin/reset``

        (The last two lines, the JSON parsing and the errors are ``HttpFake._handle_admin``.)
        """
        route = (verb, path)
        if route == ("GET", "health"):
            return {"ok": True, "base_url": self.base_url}
        if route == ("GET", "calls"):
            only = params.get("path")
            return [c.to_dict() for c in (self.calls_for(only) if only else self.calls)]
        if route == ("POST", "users"):
            return self.add_user(**body)
        if route == ("POST", "teams"):
            return self.add_team(**body)
        if route == ("POST", "assignments"):
            self.assign(**body)
            return None
        if route == ("POST", "solves"):
            return self.add_solve(**body)
        if route == ("POST", "flash_ctfs"):
            return self.add_flash_ctf_event(**body)
        if route == ("POST", "latency"):
            self.latency_seconds = max(0.0, float(body["seconds"]))
            return None
        if route == ("GET", "in_flight"):
            with self._lock:
                return {"in_flight": self.in_flight, "max_in_flight": self.max_in_flight}
        return NO_ADMIN_ROUTE


def load_state(fake: FakeGamePlatform, state: dict[str, Any]) -> None:
    """Load ``{"users": [add_user kwargs], "teams": [add_team kwargs], "assignments": [{syned_team_id,
    syned_user_id}], "solves": [add_solve kwargs], "flash_ctfs": [add_flash_ctf_event kwargs]}``."""
    for user in state.get("users", []):
        fake.add_user(**user)
    for team in state.get("teams", []):
        fake.add_team(**team)
    for assignment in state.get("assignments", []):
        fake.assign(**assignment)
    for solve in state.get("solves", []):
        fake.add_solve(**solve)
    for event in state.get("flash_ctfs", []):
        fake.add_flash_ctf_event(**event)


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser("python -m tests.fakes.game_platform", __doc__.splitlines()[0])
    parser.add_argument("--token", default=DEFAULT_CLI_TOKEN, help="bearer token the API requires")
    add_state_args(parser, "JSON file with users, teams, assignments, solves and flash_ctfs")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="every API answer waits this long")
    args = parser.parse_args(argv)
    fake = FakeGamePlatform(args.host, args.port, token=args.token, timeout_delay=args.timeout_delay,
                            latency_ms=args.latency_ms)  # fmt: skip
    return serve_cli(fake, args.state, load_state)


if __name__ == "__main__":
    sys.exit(main())
