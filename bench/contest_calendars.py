"""Benchmark of contest calendars (issue 10): extraction, the Google push plan at scale, and the ICS feed.

Everything runs for real on fresh databases: the seven judges are the in-process fake of the tests, Google is the
tests' fake in a child process (its work off the push threads' GIL), the API runs under uvicorn. It prints figures
and ratios against baselines measured in the same run and never asserts a timing; the last line is one JSON object
with every figure.

1. Extraction: each judge lists `--contests` upcoming contests on `tests.fakes.judges.FakeJudges`; every judge
   is refreshed through its real adapter and `calendar.extraction.refresh` (fetch, parse, store), five rounds.
   Per judge: the first refresh (every contest inserted) and the steady one (nothing changed), with the fetch +
   parse alone and, as baseline, the same HTTP requests replayed with a bare httpx client (no parse, no store).
2. Push plan at scale: `--players` players follow 3-7 random judges each. (a) Per player, the push's own reads
   and plan (`_Push._desired`, `_Push._pushed`, `domain.calendar_push.plan`), with nothing pushed, for players in
   a random order until `--plan-seconds` have gone (0: all of them; totals for all players are extrapolated
   otherwise); then, after one contest of one judge moved (refreshed through the real path), for the same
   players again, whose pushed state is simulated with bulk-inserted `calendar_pushes` rows carrying the push's
   own fingerprints: writes planned against the floor of one write per player whose calendar holds the contest.
   (b) `--push-sample` players are connected to `tests.fakes.google_calendar.FakeGoogle` and pushed with the
   real `push_player` (4 threads, as `calendar_push_job`); after the move, the players the push sensor selects
   (`pending_pushes`) are pushed again: Google calls per affected player against the floor of one write.
3. ICS feed: `--feed-players` feed URLs (the API under uvicorn, one worker): one client at a time, then 50
   concurrent clients with plain GETs, then with 80% sending `If-None-Match` with the current ETag. Baseline: a
   bare ASGI app under uvicorn answering the same paths with the same bytes, ETags and 304s, driven by
   `wrk -t1 -c50` (by the same asyncio httpx clients as the API when wrk is missing). The API side is driven by
   50 asyncio httpx clients counted in a window after a warm-up: each feed takes tens of milliseconds to render,
   so 50 simultaneous first requests are all answered seconds later, a start-up transient that would be most of
   a short wrk run.

    .venv/bin/python bench/contest_calendars.py [--players 10000] [--push-sample 200] [--seconds 6] [--plan-seconds 10]

PostgreSQL and Redis: the servers of DATABASE_URL / REDIS_URL when set, else the embedded ones under .data/bench.
A Redis db is claimed the way test sessions claim one (tests/conftest.py); everything is dropped on exit.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the stdlib's `calendar` (which http.cookiejar, hence httpx, imports): keep bench/ off
# the import path so that `import calendar` finds the stdlib module, and put the repository root on it.
HERE, ROOT = Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import httpx  # noqa: E402
import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench._common import DATA_DIR, free_port, pct, ratio, start_server, stop_process  # noqa: E402
from contest_pipelines.calendar import google  # noqa: E402
from contest_pipelines.calendar.extraction import refresh  # noqa: E402
from contest_pipelines.calendar.players import feed_token  # noqa: E402
from contest_pipelines.calendar.push import (  # noqa: E402
    PER_PROJECT_PER_MINUTE,
    GoogleApp,
    SlidingWindow,
    _Push,
    fingerprint,
    pending_pushes,
    push_player,
)
from contest_pipelines.calendar.token_box import TokenBox  # noqa: E402
from contest_pipelines.clients.codeforces import CodeforcesClient  # noqa: E402
from contest_pipelines.clients.google_calendar import GoogleOAuth  # noqa: E402
from contest_pipelines.clients.judges import adapter_for  # noqa: E402
from contest_pipelines.clients.judges.base import BROWSER_HEADERS  # noqa: E402
from contest_pipelines.clients.judges.leetcode import QUERIES, UPCOMING  # noqa: E402
from contest_pipelines.db.engine import get_engine  # noqa: E402
from contest_pipelines.db.migrate import upgrade  # noqa: E402
from contest_pipelines.db.tables import calendar_preferences, judge_contests, players  # noqa: E402
from contest_pipelines.domain.calendar_push import plan  # noqa: E402
from contest_pipelines.domain.contests import JUDGES  # noqa: E402
from contest_pipelines.embedded import (  # noqa: E402
    create_database,
    drop_database,
    postgres_server,
    redis_server,
    with_path,
)
from contest_pipelines.settings import Settings  # noqa: E402
from tests.fakes.google_calendar import CLIENT_ID, CLIENT_SECRET, WRITE_VERBS  # noqa: E402
from tests.fakes.judges import FakeContest, FakeJudges  # noqa: E402

REDIS_DB_LOCK = "contest_pipelines:test-db:{}"  # how test sessions claim a Redis db (tests/conftest.py)
ROUNDS = 5  # extraction rounds: the first inserts, the others find nothing changed
MOVED_JUDGE = "atcoder"  # the judge one of whose contests moves in phase 2
CLIENTS = 50  # concurrent feed subscribers in phase 3
PUSH_THREADS = 4  # as calendar_push_job (CalendarPushConfig.concurrency)
REMINDERS = (None, 15, 60)  # players' reminder preferences (a part of every event body, hence of its fingerprint)
LATENCY_LINE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)  # as bench/board_reads.py
RPS_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}
FIG: dict[str, object] = {}  # every figure, printed as one JSON line at the end

BARE_APP = """
import json, os
PAGES = {p.encode(): (b.encode(), t.encode()) for p, (b, t) in json.load(open(os.environ["BARE_PAGES"])).items()}
CACHE = (b"cache-control", b"private, max-age=900")
TYPE = (b"content-type", b"text/calendar; charset=utf-8")

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body, tag = PAGES[scope["path"].encode()]
    sent = dict(scope["headers"]).get(b"if-none-match")
    if sent is not None and tag in [t.strip() for t in sent.split(b",")]:
        await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", tag), CACHE]})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"etag", tag), CACHE, TYPE, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
"""

WRK_SCRIPT = """
local paths = {%(paths)s}
local etags = {%(etags)s}
local conditional = %(conditional)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  math.randomseed(7)
  plain, cond, n, s200, s304, sother = {}, {}, 0, 0, 0, 0
  for i = 1, #paths do
    plain[i] = wrk.format("GET", paths[i])
    cond[i] = wrk.format("GET", paths[i], {["If-None-Match"] = etags[i]})
  end
end
function request()
  n = n + 1
  local i = (n %% #paths) + 1
  if math.random() < conditional then return cond[i] end
  return plain[i]
end
%(response)s
"""
WRK_COUNT = """
function response(status, headers, body)
  if status == 200 then s200 = s200 + 1 elseif status == 304 then s304 = s304 + 1 else sother = sother + 1 end
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format("STATUS %d %d %d\\n", t:get("s200"), t:get("s304"), t:get("sother")))
  end
end
"""


def put(key: str, label: str, value: object, unit: str = "", note: str = "") -> None:
    """Record a figure and print it as one row; unit "ms" shows seconds as milliseconds, "us" as microseconds."""
    FIG[key] = value
    if value is None:
        shown = "n/a"
    elif unit == "ms":
        shown = f"{value * 1000:.2f} ms"
    elif unit == "us":
        shown = f"{value * 1e6:.2f} us"
    elif unit in ("s", "x"):
        shown = f"{value:.{3 if unit == 's' else 2}f} {unit}"
    else:
        shown = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    print(f"  {label:<58} {shown:>14}   {note}")


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def fx(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def bench_contests(judge: str, n: int, rng: random.Random) -> list[FakeContest]:
    """`n` upcoming contests, one about every 11 hours from 6 hours from now, with keys shaped like the judge's."""
    keys = {
        "codeforces": lambda i: str(4000 + i), "hackerrank": lambda i: str(30000 + i),
        "leetcode": lambda i: f"weekly-contest-{600 + i}", "codechef": lambda i: f"START{300 + i}",
        "atcoder": lambda i: f"abc{600 + i}", "geeksforgeeks": lambda i: f"gfg-weekly-coding-contest-{300 + i}",
        "code360": lambda i: f"weekly-contest-{300 + i}",
    }  # fmt: skip
    kind = {"codeforces": "CF", "atcoder": "algorithm"}.get(judge)
    return [
        FakeContest.starting_in(keys[judge](i), f"{judge.title()} Bench Contest {i}",
                                timedelta(hours=6 + 11 * i, minutes=rng.randrange(0, 120, 5)),
                                timedelta(minutes=rng.choice((90, 120, 150, 180))), kind)
        for i in range(n)
    ]  # fmt: skip


def wait_idle(pid: int, timeout: float = 120) -> None:
    """Until the process uses under 5% of a core over half a second, or `timeout`."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu()
        time.sleep(0.5)
        if (cpu() - before) / tick < 0.025:
            return


class GoogleProcess:
    """`FakeGoogle` in a child process, so that its work does not share this process's GIL with the push threads;
    driven through its admin endpoints (`/_admin/grants`, `/_admin/calls`, `/_admin/events`)."""

    CODE = (
        "import sys; from tests.fakes._http import serve_cli; "
        "from tests.fakes.google_calendar import FakeGoogle, load_state; "
        "sys.exit(serve_cli(FakeGoogle(user_limit=10**9, project_limit=10**9, max_calls=None), None, load_state))"
    )

    def __init__(self, log: Path):
        with open(log, "wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-c", self.CODE], cwd=ROOT, stdout=subprocess.PIPE,
                                         stderr=err, text=True, start_new_session=True)  # fmt: skip
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            stop_process(self.proc)
            raise RuntimeError(f"the fake Google did not start: {line!r} {log.read_text()[-2000:]}")
        self.base_url = line.split()[1]
        self.admin = httpx.Client(base_url=f"{self.base_url}/_admin", timeout=60)

    def stop(self) -> None:
        self.admin.close()
        stop_process(self.proc)

    def grant(self, refresh_token: str, user: str) -> None:
        self.admin.post("/grants", json={"refresh_token": refresh_token, "user": user}).raise_for_status()

    def calls(self) -> list[dict]:
        return self.admin.get("/calls").raise_for_status().json()

    def events(self, user: str) -> list[dict]:
        return self.admin.get("/events", params={"of": user}).raise_for_status().json()


class Bench:
    def __init__(self, args: argparse.Namespace, stack: ExitStack):
        self.args, self.stack = args, stack
        self.rng = random.Random(args.seed)
        pg, rd = postgres_server(DATA_DIR), redis_server(DATA_DIR)
        self.pg = pg.url
        self.tmp = Path(tempfile.mkdtemp(prefix="cp_bench_calendar_"))
        stack.callback(shutil.rmtree, self.tmp, True)
        admin = redis.Redis.from_url(with_path(rd.url, "/0"))
        stack.callback(admin.close)
        for db in range(15, 0, -1):
            if admin.set(REDIS_DB_LOCK.format(db), f"bench/contest_calendars {os.getpid()}", nx=True, ex=6 * 3600):
                stack.callback(admin.delete, REDIS_DB_LOCK.format(db))
                break
        else:
            raise SystemExit("every Redis db 1-15 is claimed (test sessions?); not flushing any")
        self.redis_url = with_path(rd.url, f"/{db}")
        client = redis.Redis.from_url(self.redis_url)
        client.flushdb()
        stack.callback(client.flushdb)
        self.db_name = f"cp_bench_calendar_{uuid.uuid4().hex[:8]}"
        create_database(self.pg, self.db_name)
        stack.callback(drop_database, self.pg, self.db_name)
        self.url = with_path(self.pg, f"/{self.db_name}")
        upgrade(self.url)
        self.engine = get_engine(self.url)
        stack.callback(self.engine.dispose)
        self.users = [f"p{i:05d}" for i in range(args.players)]
        print(f"PostgreSQL {pg.source} (db {self.db_name}), Redis {rd.source} (db {db}); {os.cpu_count()} cores")

    # ------------------------------------------------------------------ phase 1: extraction

    def phase_extraction(self) -> None:
        args = self.args
        self.judges = FakeJudges(max_calls=100_000).start()
        self.stack.callback(self.judges.stop)
        for judge in JUDGES:
            self.judges.set_contests(judge, bench_contests(judge, args.contests, self.rng))
        settings = Settings(**self.judges.settings())
        cf = CodeforcesClient(self.judges.base_url_for("codeforces"), self.redis_url, min_interval_seconds=0)
        self.stack.callback(cf.close)
        self.adapters = {judge: adapter_for(judge, settings, codeforces=cf) for judge in JUDGES}
        for adapter in self.adapters.values():
            self.stack.callback(adapter.close)
        bare = httpx.Client(headers=BROWSER_HEADERS, timeout=20)
        self.stack.callback(bare.close)
        print(f"\nphase 1: extraction, {args.contests} upcoming contests per judge on the fake judges, {ROUNDS} rounds "
              f"(round 1 inserts everything, later rounds find nothing changed)")  # fmt: skip
        times: dict[str, dict[str, list[float]]] = {j: {"refresh": [], "fetch": [], "http": []} for j in JUDGES}
        requests: dict[str, list] = {}
        kept: dict[str, int] = {}
        body_bytes: dict[str, int] = {}
        for rnd in range(ROUNDS):
            for judge in JUDGES:
                adapter = self.adapters[judge]
                before = len(self.judges.calls_for(judge))
                t0 = time.perf_counter()
                report = refresh(self.engine, adapter, datetime.now(UTC)).report
                times[judge]["refresh"].append(time.perf_counter() - t0)
                if rnd == 0:
                    requests[judge] = self.judges.calls_for(judge)[before:]
                    kept[judge] = report.seen
                    FIG[f"extract_{judge}_first_report"] = report.as_metadata()
                t0 = time.perf_counter()
                adapter.fetch()
                times[judge]["fetch"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                size = 0
                for call in requests[judge]:
                    url = self.judges.root_url + call.path
                    if call.verb == "POST":  # LeetCode's GraphQL, with the adapter's query and Referer
                        body = {"query": QUERIES[UPCOMING], "variables": {}, "operationName": UPCOMING}
                        response = bare.post(url, json=body, headers={"Referer": f"{self.judges.root_url}/contest/"})
                    else:
                        response = bare.get(url, params=call.params)
                    size += len(response.content)
                times[judge]["http"].append(time.perf_counter() - t0)
                body_bytes[judge] = size
        print(f"  {'judge':<15}{'kept':>6}{'reqs':>6}{'KB':>7}{'1st refresh':>13}{'refresh':>9}{'fetch+parse':>13}"
              f"{'HTTP only':>11}{'refresh/HTTP':>14}{'fetch/HTTP':>12}   (ms; later rounds: median)")  # fmt: skip
        total = {"first": 0.0, "refresh": 0.0, "fetch": 0.0, "http": 0.0}
        for judge in JUDGES:
            t = times[judge]
            first, steady = t["refresh"][0], statistics.median(t["refresh"][1:])
            fetch, http = statistics.median(t["fetch"]), statistics.median(t["http"])
            for key, value in (("first", first), ("refresh", steady), ("fetch", fetch), ("http", http)):
                total[key] += value
            FIG[f"extract_{judge}"] = {"kept": kept[judge], "requests": len(requests[judge]),
                                       "bytes": body_bytes[judge], "first_refresh_s": first, "refresh_s": steady,
                                       "fetch_parse_s": fetch, "http_only_s": http}  # fmt: skip
            print(f"  {judge:<15}{kept[judge]:>6}{len(requests[judge]):>6}{body_bytes[judge] / 1024:>7.0f}"
                  f"{ms(first):>13}{ms(steady):>9}{ms(fetch):>13}{ms(http):>11}{fx(ratio(steady, http)):>14}"
                  f"{fx(ratio(fetch, http)):>12}")  # fmt: skip
        print(f"  {'all seven':<15}{sum(kept.values()):>6}{sum(len(r) for r in requests.values()):>6}"
              f"{sum(body_bytes.values()) / 1024:>7.0f}{ms(total['first']):>13}{ms(total['refresh']):>9}"
              f"{ms(total['fetch']):>13}{ms(total['http']):>11}{fx(ratio(total['refresh'], total['http'])):>14}"
              f"{fx(ratio(total['fetch'], total['http'])):>12}")  # fmt: skip
        FIG.update(extract_total_first_refresh_s=total["first"], extract_total_refresh_s=total["refresh"],
                   extract_total_fetch_parse_s=total["fetch"], extract_total_http_only_s=total["http"],
                   extract_refresh_over_http=ratio(total["refresh"], total["http"]),
                   extract_first_over_http=ratio(total["first"], total["http"]))  # fmt: skip

    # ------------------------------------------------------------------ phase 2: the push plan at scale

    def load_players(self) -> None:
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        prefs = []
        for user in self.users:
            followed = set(self.rng.sample(JUDGES, self.rng.randint(3, 7)))
            prefs.append({"user_id": user, "judges": [j for j in JUDGES if j in followed],  # canonical order
                          "max_duration_hours": None, "reminder_minutes": self.rng.choice(REMINDERS),
                          "updated_at": now})  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(players.insert(), [{"user_id": u, "display_name": u.upper()} for u in self.users])
            conn.execute(calendar_preferences.insert(), prefs)
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE players; ANALYZE calendar_preferences; ANALYZE judge_contests")
        self.prefs = {p["user_id"]: p for p in prefs}
        FIG["players"] = len(self.users)
        FIG["follows_mean"] = statistics.fmean(len(p["judges"]) for p in prefs)
        print(f"\nphase 2: {len(self.users)} players following 3-7 judges (mean {FIG['follows_mean']:.2f}); loaded in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip

    def google_app(self) -> None:
        # The fake's quotas and the push's project window are lifted: at Google's 10,000 calls a minute per project
        # the first push of the sample alone would take minutes; what that costs is computed, not waited for.
        self.google = GoogleProcess(self.tmp / "google.log")
        self.stack.callback(self.google.stop)
        self.app = GoogleApp(
            oauth=GoogleOAuth(self.google.base_url, CLIENT_ID, CLIENT_SECRET),
            api_url=self.google.base_url,
            box=TokenBox.from_setting("k1:" + TokenBox.new_key()),
            project_quota=SlidingWindow(10**9),
            retry_seconds=0.05,
        )
        self.stack.callback(self.app.oauth.close)

    def plan_all(self, label: str, key: str, now: datetime, users: list[str], budget: float | None) -> dict:
        """The push's own reads and plan for each of `users`, one after another, until `budget` seconds have gone
        (None: all of them); sums of each part's time. Returns the writes planned per player visited."""
        spent = {"desired": 0.0, "pushed": 0.0, "plan": 0.0}
        writes: dict[str, int] = {}
        ops: Counter[str] = Counter()
        events = 0
        t_start = time.perf_counter()
        for user in users:
            if budget is not None and time.perf_counter() - t_start > budget:
                break
            push = _Push(self.engine, self.app, user, now)
            t0 = time.perf_counter()
            desired = push._desired()
            t1 = time.perf_counter()
            pushed = push._pushed()
            t2 = time.perf_counter()
            todo = plan({k: f for k, (f, _) in desired.items()}, pushed)
            t3 = time.perf_counter()
            spent["desired"] += t1 - t0
            spent["pushed"] += t2 - t1
            spent["plan"] += t3 - t2
            events += len(desired)
            writes[user] = todo.writes
            ops.update(inserts=len(todo.inserts), updates=len(todo.updates), deletes=len(todo.deletes))
        wall = time.perf_counter() - t_start
        n, total = len(writes), len(self.users)
        put(
            f"{key}_players",
            f"{label}: players planned",
            n,
            note="" if n == total else f"of {total}: the first {n} of a random order within --plan-seconds",
        )
        put(f"{key}_seconds", "    wall time", wall, "s")
        put(f"{key}_per_player_s", "    per player", wall / n, "ms",
            f"desired (SQL + fingerprints) {ms(spent['desired'] / n)}, pushed rows {ms(spent['pushed'] / n)}, "
            f"plan {spent['plan'] / n * 1e6:.0f} us")  # fmt: skip
        put(f"{key}_all_players_s", f"    for all {total} players" + (" (extrapolated)" if n < total else ""),
            wall / n * total, "s")  # fmt: skip
        put(f"{key}_pure_plan_per_event_s", "    pure plan per event", spent["plan"] / max(events, 1), "us")
        put(f"{key}_events", "    events wanted (sum over players)", events, note=f"{events / n:.0f} per player")
        put(f"{key}_writes", "    writes planned", sum(writes.values()), note=json.dumps(dict(ops)))
        FIG[f"{key}_parts_s"] = spent
        return writes

    def sql_share(self, now: datetime, sample: int = 200) -> None:
        """How much of `_desired` is the SQL: the same two reads alone, for a sample of players."""
        users = self.rng.sample(self.users, min(sample, len(self.users)))
        from contest_pipelines.calendar.players import calendar_contests, get_preferences

        t0 = time.perf_counter()
        for user in users:
            with self.engine.connect() as conn:
                calendar_contests(conn, get_preferences(conn, user), now)
        sql = (time.perf_counter() - t0) / len(users)
        t0 = time.perf_counter()
        for user in users:
            _Push(self.engine, self.app, user, now)._desired()
        desired = (time.perf_counter() - t0) / len(users)
        put("desired_sql_per_player_s", f"    of desired: the two SQL reads alone ({len(users)} players)", sql, "ms",
            f"the rest ({ms(desired - sql)} ms) builds bodies and hashes them")  # fmt: skip

    def connect_sample(self) -> None:
        self.sample = sorted(self.rng.sample(self.users, min(self.args.push_sample, len(self.users))))
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for user in self.sample:
                refresh_token = f"rt-{user}-{uuid.uuid4().hex}"
                self.google.grant(refresh_token, user)
                google.store_grant(conn, self.app.box, user, refresh_token, now)

    def push(self, users: list[str]) -> dict:
        calls0 = len(self.google.calls())
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=PUSH_THREADS) as pool:
            outcomes = list(pool.map(lambda user: push_player(self.engine, self.app, user, now), users))
        seconds = time.perf_counter() - t0
        calls = self.google.calls()[calls0:]
        return {
            "seconds": seconds,
            "calls": len(calls),
            "writes": sum(
                1 for c in calls if (c["operation"] or "").startswith("events.") and c["verb"] in WRITE_VERBS
            ),
            "by_operation": dict(Counter(c["operation"] for c in calls)),
            "statuses": dict(Counter(o.status for o in outcomes)),
            "inserted": sum(o.inserted for o in outcomes),
            "updated": sum(o.updated for o in outcomes),
            "deleted": sum(o.deleted for o in outcomes),
            "errors": sorted({o.error for o in outcomes if o.error})[:3],
        }

    def phase_first_push(self) -> None:
        self.connect_sample()
        users, self.cursor = pending_pushes(self.engine, {})
        n = len(self.sample)
        print(f"\nphase 2b: first push of {n} connected players to the fake Google ({PUSH_THREADS} threads), "
              f"the sensor selected {len(users)}")  # fmt: skip
        first = self.push(users)
        events = sum(1 for u in self.sample for e in self.google.events(u) if e.get("status") != "cancelled")
        put("push1_seconds", "first full push: wall time", first["seconds"], "s",
            f"{first['seconds'] / max(n, 1) * 1000:.0f} ms per player")  # fmt: skip
        put("push1_calls", "    Google calls (token + calendar + events)", first["calls"],
            note=f"{first['calls'] / max(n, 1):.1f} per player; {json.dumps(first['by_operation'])}")  # fmt: skip
        put("push1_writes", "    event writes", first["writes"], note=f"events now in Google: {events}")
        put("push1_floor_writes", "    floor: one insert per wanted event", events,
            note=f"calls / floor {fx(ratio(first['calls'], events))}x")  # fmt: skip
        put("push1_calls_per_s", "    calls per second", round(first["calls"] / first["seconds"], 1))
        put(
            "push1_at_google_quota_s",
            "    at Google's 10,000 calls/min per project, at least",
            first["calls"] / PER_PROJECT_PER_MINUTE * 60,
            "s",
            f"(enforced by the push, lifted here); all {len(self.users)} players: "
            f"{first['calls'] / max(n, 1) * len(self.users) / PER_PROJECT_PER_MINUTE / 60:.1f} h",
        )
        put("push1_statuses", "    outcomes", first["statuses"], note="; ".join(first["errors"]))
        FIG["push1"] = first

    def simulate_pushed(self, users: list[str]) -> None:
        """Every player outside the sample as if already pushed: one calendar_pushes row per wanted event, with the
        fingerprint `_Push._desired` computes (the body without its id, with the player's reminder). Event ids are
        placeholders (md5 hex, a valid Google id): these players are not connected, nothing reaches Google."""
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        with self.engine.begin() as conn:
            live = sa.and_(judge_contests.c.end_at > now, judge_contests.c.removed_at.is_(None))
            rows = list(conn.execute(sa.select(judge_contests).where(live)))
            fps = []
            maker = _Push(self.engine, self.app, "-", now)
            for reminder in REMINDERS:
                maker.reminder = reminder
                fps += [{"judge": r.judge, "key": r.key, "reminder": reminder,
                         "fp": fingerprint(maker._body("", r))} for r in rows]  # fmt: skip
            conn.exec_driver_sql("CREATE TEMP TABLE bench_fp (judge text, key text, reminder int, fp text) "
                                 "ON COMMIT DROP")  # fmt: skip
            conn.execute(sa.text("INSERT INTO bench_fp VALUES (:judge, :key, :reminder, :fp)"), fps)
            inserted = conn.execute(sa.text("""
                INSERT INTO calendar_pushes (user_id, judge, key, event_id, fingerprint, deleted, pushed_at)
                SELECT pr.user_id, f.judge, f.key, md5(pr.user_id || ':' || f.judge || ':' || f.key), f.fp, false, :now
                FROM calendar_preferences pr
                JOIN bench_fp f ON f.judge = ANY (pr.judges) AND f.reminder IS NOT DISTINCT FROM pr.reminder_minutes
                WHERE pr.user_id = ANY (:users)
                  AND NOT EXISTS (SELECT 1 FROM google_accounts g WHERE g.user_id = pr.user_id)
            """), {"now": now, "users": users}).rowcount  # fmt: skip
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE calendar_pushes")
        put("simulated_push_rows", "simulated pushed state: calendar_pushes rows inserted", inserted,
            note=f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        check = [u for u in users if u not in set(self.sample)][:50]
        stale = 0
        for user in check:
            push = _Push(self.engine, self.app, user, now)
            stale += plan({k: f for k, (f, _) in push._desired().items()}, push._pushed()).writes
        put(
            "simulated_check_writes",
            f"    check: writes planned for {len(check)} simulated players",
            stale,
            note="(0: the simulated fingerprints are the push's own)" if not stale else "!! fingerprints differ",
        )

    def move_contest(self) -> tuple[str, str]:
        """One contest of MOVED_JUDGE moves an hour later; the judge is refreshed through the real path."""
        moved = self.judges.contests(MOVED_JUDGE)[len(self.judges.contests(MOVED_JUDGE)) // 2]
        self.judges.move_contest(MOVED_JUDGE, moved.key, moved.start + timedelta(hours=1))
        report = refresh(self.engine, self.adapters[MOVED_JUDGE], datetime.now(UTC)).report
        print(f"\nmoved {MOVED_JUDGE} {moved.key} an hour later; the refresh: {report.as_metadata()}")
        FIG["moved"] = {"judge": MOVED_JUDGE, "key": moved.key, "refresh": report.as_metadata()}
        return MOVED_JUDGE, moved.key

    def phase_plans(self) -> None:
        budget = self.args.plan_seconds or None
        print("\nphase 2a: the push's reads + plan per player, sequentially (`_Push._desired`, `_pushed`, `plan`)"
              + (f"; the first sweep stops after {budget:g} s (--plan-seconds)" if budget else ""))  # fmt: skip
        order = self.users[:]
        self.rng.shuffle(order)
        planned = list(self.plan_all("nothing pushed yet", "plan1", datetime.now(UTC), order, budget))
        self.sql_share(datetime.now(UTC))
        self.phase_first_push()
        self.simulate_pushed(planned)
        judge, key = self.move_contest()
        print(
            f"\nphase 2a (again): the same {len(planned)} players after the move, their calendars up to date before it"
        )
        writes = self.plan_all("after one contest moved", "plan2", datetime.now(UTC), planned, None)
        with self.engine.connect() as conn:
            query = sa.text("SELECT user_id FROM calendar_preferences WHERE :judge = ANY (judges)")
            self.affected = set(conn.execute(query, {"judge": judge}).scalars())
        floor = sum(1 for u in writes if u in self.affected)
        total = sum(writes.values())
        wrong = [u for u, w in writes.items() if w != (1 if u in self.affected else 0)]
        put("plan2_floor_writes", f"    floor: planned players whose calendar holds {judge} {key}", floor,
            note=f"writes / floor {fx(ratio(total, floor))}x; players planned otherwise: {len(wrong)}")  # fmt: skip
        put("plan2_not_following", f"    planned players who do not follow {judge}", len(writes) - floor,
            note=f"{(len(writes) - floor) / len(writes):.0%} of the sweep; the push sensor skips them")  # fmt: skip
        put("affected_players_all", f"    of all {len(self.users)} players, those following {judge}",
            len(self.affected))  # fmt: skip

    def phase_second_push(self) -> None:
        users, _ = pending_pushes(self.engine, self.cursor)
        affected = [u for u in self.sample if u in self.affected]
        print(f"\nphase 2b (again): the sensor selects {len(users)} of the {len(self.sample)} connected players "
              f"({len(affected)} hold the moved contest); pushing them")  # fmt: skip
        second = self.push(users)
        n = max(len(affected), 1)
        put("push2_seconds", "push after one contest moved: wall time", second["seconds"], "s",
            f"{second['seconds'] / max(len(users), 1) * 1000:.1f} ms per player pushed")  # fmt: skip
        put("push2_calls", "    Google calls", second["calls"], note=json.dumps(second["by_operation"]))
        put("push2_calls_per_affected", "    calls per changed contest per affected player", second["calls"] / n,
            "x", f"floor 1 write; {fx(second['calls'] / n)}x the floor")  # fmt: skip
        put(
            "push2_writes_per_affected",
            "    writes per changed contest per affected player",
            second["writes"] / n,
            "x",
            f"floor 1; updated {second['updated']}, inserted {second['inserted']}, deleted {second['deleted']}",
        )
        put(
            "push2_unaffected_pushed",
            "    players pushed that do not hold the contest",
            len(set(users) - set(affected)),
        )
        put("push2_statuses", "    outcomes", second["statuses"], note="; ".join(second["errors"]))
        FIG["push2"] = second

    # ------------------------------------------------------------------ phase 3: the ICS feed

    def phase_feed(self) -> None:
        args = self.args
        feed_users = self.users[: args.feed_players]
        with self.engine.begin() as conn:
            tokens = {u: feed_token(conn, u) for u in feed_users}
        env = {**os.environ, "DATABASE_URL": self.url, "REDIS_URL": self.redis_url, "API_JWT_SECRET": "c" * 40,
               "ADMIN_TOKEN": uuid.uuid4().hex}  # fmt: skip
        api_port, bare_port = free_port(), free_port()
        api = start_server([sys.executable, "-m", "uvicorn", "contest_pipelines.api.main:create_app", "--factory",
                            "--port", str(api_port), "--no-access-log", "--log-level", "warning"], env,
                           self.tmp / "api.log", f"http://127.0.0.1:{api_port}/healthz")  # fmt: skip
        self.stack.callback(stop_process, api)
        pages = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as client:
            for i, token in enumerate(tokens.values()):
                path = f"/api/calendar/feed/{token}.ics"
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code, response.text[:200])
                pages[path] = (response.text, response.headers["etag"])
                if i < 3:  # the ETag answers 304
                    again = client.get(path, headers={"If-None-Match": response.headers["etag"]})
                    assert again.status_code == 304, (path, again.status_code)
        (self.tmp / "pages.json").write_text(json.dumps(pages))
        (self.tmp / "bare_app.py").write_text(BARE_APP)
        bare = start_server([sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(self.tmp),
                             "--port", str(bare_port), "--no-access-log", "--log-level", "warning"],
                            {**env, "BARE_PAGES": str(self.tmp / "pages.json")}, self.tmp / "bare.log",
                            f"http://127.0.0.1:{bare_port}{next(iter(pages))}")  # fmt: skip
        self.stack.callback(stop_process, bare)
        sizes = [len(body.encode()) for body, _ in pages.values()]
        events = [body.count("BEGIN:VEVENT") for body, _ in pages.values()]
        has_wrk = bool(shutil.which("wrk"))
        print(f"\nphase 3: ICS feed of {len(pages)} players (events per feed: median {statistics.median(events):.0f}, "
              f"max {max(events)}; bytes: median {statistics.median(sizes):.0f}, max {max(sizes)}); one uvicorn worker "
              f"each; API: {CLIENTS} asyncio httpx clients, counted in a window after a warm-up; floor: "
              + (f"wrk -t1 -c{CLIENTS} -d{args.seconds}s" if has_wrk else "the same as the API"))  # fmt: skip
        FIG.update(feed_players=len(pages), feed_bytes_median=statistics.median(sizes),
                   feed_events_median=statistics.median(events))  # fmt: skip
        FIG["feed_floor_tool"] = "wrk" if has_wrk else "httpx"
        print(
            f"  {'run':<32}{'req/s':>9}{'p50':>9}{'p99':>9}{'304 share':>11}   "
            f"{'floor req/s':>12}{'p50':>8}{'p99':>8}   {'API/floor: p50':>15}{'p99':>8}{'floor/API req/s':>17}"
        )
        wave = 1.0
        runs = (("one client, one at a time", "feed_single", None),
                (f"{CLIENTS} clients, plain GET", "feed_plain", 0.0),
                (f"{CLIENTS} clients, 80% If-None-Match", "feed_mix", 0.8))  # fmt: skip
        for label, key, conditional in runs:
            wait_idle(api.pid)  # what an earlier run left queued is done
            if conditional is None:
                api_fig = self.one_client(f"http://127.0.0.1:{api_port}", pages)
                wave = CLIENTS / api_fig["rps"]  # seconds until the first of 50 simultaneous requests are answered
            else:
                # wrk would count from 50 simultaneous first requests, all answered about one `wave` later: with an
                # endpoint this slow that start-up transient is most of a short run; count a window after it instead
                warmup, window = max(2.0, 1.5 * wave), max(args.seconds, 1.5 * wave)
                api_fig = asyncio.run(self.windowed(f"http://127.0.0.1:{api_port}", pages, conditional, warmup, window))
                api_fig.update(warmup_s=round(warmup, 1), window_s=round(window, 1))
            wait_idle(bare.pid)
            base = f"http://127.0.0.1:{bare_port}"
            if conditional is None:
                bare_fig = self.one_client(base, pages)
            elif has_wrk:
                bare_fig = self.wrk(base, pages, conditional)
            else:
                bare_fig = asyncio.run(self.windowed(base, pages, conditional, 1.0, args.seconds))
            p50r, p99r = ratio(api_fig.get("p50"), bare_fig.get("p50")), ratio(api_fig.get("p99"), bare_fig.get("p99"))
            rpsr = ratio(bare_fig["rps"], api_fig["rps"])
            FIG[key] = {"api": api_fig, "floor": bare_fig, "api_over_floor_p50": p50r, "api_over_floor_p99": p99r,
                        "floor_over_api_rps": rpsr}  # fmt: skip
            share = api_fig.get("share304")
            print(f"  {label:<32}{api_fig['rps'] or 0:>9.1f}{api_fig.get('p50', 0):>9.1f}{api_fig.get('p99', 0):>9.1f}"
                  f"{'-' if share is None else f'{share:.0%}':>11}   {bare_fig['rps'] or 0:>12.0f}"
                  f"{bare_fig.get('p50', 0):>8.2f}{bare_fig.get('p99', 0):>8.2f}   {fx(p50r):>15}{fx(p99r):>8}"
                  f"{fx(rpsr):>17}" + (f"   API errors: {api_fig['errors']}" if api_fig["errors"] else "")
                  + (f"   (API: {api_fig['warmup_s']} s warm-up, {api_fig['window_s']} s counted, "
                     f"{api_fig['answers']} answers)" if "window_s" in api_fig else ""))  # fmt: skip
        print("  (latencies in ms)")

    def one_client(self, base: str, pages: dict[str, tuple[str, str]], n: int = 50) -> dict:
        """Unloaded latency: `n` feeds fetched one after another on one keep-alive connection."""
        latencies = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for path in list(pages)[:n]:
                t0 = time.perf_counter()
                client.get(path).raise_for_status()
                latencies.append(time.perf_counter() - t0)
        return {"rps": len(latencies) / sum(latencies), "p50": pct(latencies, 50) * 1000,
                "p99": pct(latencies, 99) * 1000, "errors": 0}  # fmt: skip

    def wrk(self, base: str, pages: dict[str, tuple[str, str]], conditional: float) -> dict:
        script = self.tmp / f"feed_{uuid.uuid4().hex[:6]}.lua"
        paths, etags = ", ".join(json.dumps(p) for p in pages), ", ".join(json.dumps(t) for _, t in pages.values())
        response = WRK_COUNT if conditional else ""
        script.write_text(
            WRK_SCRIPT % {"paths": paths, "etags": etags, "conditional": conditional, "response": response}
        )
        seconds = self.args.seconds
        cmd = ["wrk", "-t1", f"-c{CLIENTS}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", str(script), base]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 90).stdout
        latency = {f"p{q}": float(v) * UNIT[u] for q, v, u in LATENCY_LINE.findall(out)}
        rps = RPS_LINE.search(out)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
        figures = {"rps": float(rps[1]) if rps else None, **latency,
                   "errors": (int(non2xx[1]) if non2xx else 0) + (int(timeouts[1]) if timeouts else 0)}  # fmt: skip
        status = re.search(r"STATUS (\d+) (\d+) (\d+)", out)
        if status:
            n200, n304, other = map(int, status.groups())
            figures["share304"] = n304 / max(n200 + n304 + other, 1)
        return figures

    async def windowed(
        self, base: str, pages: dict[str, tuple[str, str]], conditional: float, warmup: float, seconds: float
    ) -> dict:
        """CLIENTS clients, each sending its next request when the previous answer is in; the answers that arrive
        between `warmup` and `warmup + seconds` are counted (requests still pending at the end are dropped)."""
        items = list(pages.items())
        rng = random.Random(7)
        answers: list[tuple[float, float, int]] = []  # (answered at, latency, status)
        start = time.perf_counter() + warmup
        end = start + seconds

        async def client(http: httpx.AsyncClient, k: int) -> None:
            i = k
            while True:
                path, (_, tag) = items[i % len(items)]
                i += CLIENTS
                headers = {"If-None-Match": tag} if rng.random() < conditional else {}
                t0 = time.perf_counter()
                try:
                    status = (await http.get(path, headers=headers)).status_code
                except httpx.HTTPError:
                    status = 0
                answers.append((time.perf_counter(), time.perf_counter() - t0, status))

        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
            tasks = [asyncio.create_task(client(http, k)) for k in range(CLIENTS)]
            await asyncio.sleep(end - time.perf_counter())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        counted = [(latency, status) for at, latency, status in answers if start <= at < end]
        statuses = Counter(status for _, status in counted)
        latencies = [latency for latency, _ in counted]
        return {"rps": len(counted) / seconds, "p50": (pct(latencies, 50) or 0) * 1000,
                "p99": (pct(latencies, 99) or 0) * 1000, "answers": len(counted),
                "errors": sum(n for s, n in statuses.items() if s not in (200, 304)),
                "share304": statuses[304] / max(len(counted), 1) if conditional else None}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=10_000, help="players in phase 2 (default 10000)")
    parser.add_argument("--push-sample", type=int, default=200, help="players pushed to the fake Google (200)")
    parser.add_argument("--seconds", type=int, default=6, help="seconds per load run in phase 3 (6)")
    parser.add_argument("--contests", type=int, default=60, help="upcoming contests per judge (60)")
    parser.add_argument("--feed-players", type=int, default=200, help="feed URLs under load in phase 3 (200)")
    parser.add_argument("--plan-seconds", type=float, default=10,
                        help="time budget of the first phase-2a sweep; 0: every player (default 10)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.feed_players = min(args.feed_players, args.players)
    began = time.time()
    with ExitStack() as stack:  # cleanup runs on success, exceptions and Ctrl-C alike
        bench = Bench(args, stack)
        bench.phase_extraction()
        bench.load_players()
        bench.google_app()
        bench.phase_plans()
        bench.phase_second_push()
        bench.phase_feed()
        print("\ncleaning up: API, bare app, fakes, database, Redis db")
    FIG["bench_seconds"] = round(time.time() - began, 1)
    print(f"bench took {FIG['bench_seconds']} s")
    print(json.dumps({k: float(f"{v:.6g}") if isinstance(v, float) else v for k, v in FIG.items()}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
