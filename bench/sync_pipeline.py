"""Benchmark of the player sync pipeline: API -> PostgreSQL queue -> Dagster sensor/run -> Codeforces -> SSE.

It starts everything for real (the API under uvicorn, `dagster-daemon run`, the fake Codeforces server with the
REAL pacing of one `user.status` call per 2 s) on fresh databases and a flushed Redis db 14, then measures:

1. latency: one player at a time (samples ~3 s apart) opens `GET /api/events` and POSTs a Sync; it records
   (a) POST -> `sync.queued` and (b) POST -> `sync.detected` on SSE, with baselines from the same run: the
   `/healthz` round trip, and the Dagster floor (sensor wait, run creation -> start, start -> end).
   The same single-request latency is taken on two paths in one run: the sensor path (phase 1's API,
   without DAGSTER_WEBSERVER_URL: the sensor dispatches) and then the push path (a second API that
   launches the run through `dagster-webserver` at once), each broken into its parts: launch
   (request created -> run created), run created -> started, started -> the judge call, the call ->
   `sync.detected` on the player's stream.
2. drain: N players sync at once (a third a 2nd problem, a sixth a 3rd one, 1.2 s later; the Sync cooldown is
   set to 1 s for this), and it times the drain, counts Codeforces calls and checks their 2 s pacing.

It prints figures and never asserts timing; the last line is one JSON object with every figure.

    .venv/bin/python bench/sync_pipeline.py [--players 100] [--latency-samples 20] [--keep-logs]

PostgreSQL and Redis: the servers of DATABASE_URL / REDIS_URL when set, else the embedded ones under .data/bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench._common import DATA_DIR, free_port, pct, ratio, stop_process  # noqa: E402
from contest_pipelines.api.auth import issue_token  # noqa: E402
from contest_pipelines.db.engine import get_engine  # noqa: E402
from contest_pipelines.db.fixtures import Fixture, load_fixture  # noqa: E402
from contest_pipelines.db.migrate import upgrade  # noqa: E402
from contest_pipelines.embedded import (  # noqa: E402
    create_database,
    drop_database,
    postgres_server_url,
    redis_server_url,
    with_path,
)
from contest_pipelines.instance import write_instance_yaml  # noqa: E402
from contest_pipelines.settings import dagster_storage_url  # noqa: E402
from tests.fakes.codeforces import FakeCodeforces  # noqa: E402

PROBLEMS = ("1843A", "1843B", "1843C")
MIN_INTERVAL, COOLDOWN = 2.0, 1  # s: Codeforces pacing (the real default), Sync cooldown (60 s in production)
SENSOR_WAIT = 2.5  # s: expected wait for a 5 s sensor tick
STAGGER, NEXT_SYNC_DELAY, DRAIN_GUARD = 3.0, 1.2, 15 * 60
SECRET = "bench-secret-" + uuid.uuid4().hex  # >= 32 chars
REDIS_DB_LOCK = "contest_pipelines:test-db:14"  # how test sessions claim a Redis db (tests/conftest.py)
TICK_LINE = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}).{0,80}Checking for new runs for sensor: sync_request_sensor"
)
FIG: dict[str, object] = {}  # every figure, printed as one JSON line at the end


def put(key: str, label: str, value: object, unit: str = "", note: str = "") -> None:
    """Record a figure and print it as one table row; unit "ms" shows seconds as milliseconds."""
    assert unit in ("", "ms", "s", "x"), f"bad unit {unit!r} for {key}"
    FIG[key] = value
    if value is None:
        shown = "n/a"
    elif unit == "ms":
        shown = f"{value * 1000:.1f} ms"
    elif unit in ("s", "x"):
        shown = f"{value:.{3 if unit == 's' else 2}f} {unit}"
    else:
        shown = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    print(f"  {label:<50} {shown:>16}   {note}")


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def target(ok: bool, text: str) -> str:
    return f"target {text}: {'met' if ok else 'MISSED'}"


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"{url} not ready: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def room(room_id: str, users: list[str]) -> dict:
    now = datetime.now(UTC)
    revealed = (now - timedelta(hours=1)).isoformat()
    return {
        "roomId": room_id, "name": room_id, "startsAt": (now - timedelta(hours=2)).isoformat(),
        "endsAt": (now + timedelta(hours=2)).isoformat(), "members": [{"userId": u} for u in users],
        "problems": [{"problemId": p, "points": 100, "revealedAt": revealed} for p in PROBLEMS],
    }  # fmt: skip


class Bench:
    def __init__(self, args: argparse.Namespace, stack: ExitStack):
        self.args, self.stack, tag = args, stack, uuid.uuid4().hex[:8]
        self.pg = postgres_server_url(DATA_DIR)
        redis_base = redis_server_url(DATA_DIR)
        self.tmp = Path(tempfile.mkdtemp(prefix="cp_bench_"))
        stack.callback(self._remove_tmp)
        self.app_db, self.dagster_db = f"cp_bench_{tag}", f"cp_bench_{tag}_dagster"
        for name in (self.app_db, self.dagster_db):
            create_database(self.pg, name)
            stack.callback(drop_database, self.pg, name)
        self.url = with_path(self.pg, f"/{self.app_db}")
        upgrade(self.url)
        self.engine = get_engine(self.url)
        stack.callback(self.engine.dispose)
        lock = redis.Redis.from_url(with_path(redis_base, "/0"))
        if lock.set(REDIS_DB_LOCK, f"bench {os.getpid()}", nx=True, ex=6 * 3600):
            stack.callback(lock.delete, REDIS_DB_LOCK)
        else:
            print(f"warning: Redis db 14 is claimed by {lock.get(REDIS_DB_LOCK)!r}; using it anyway")
        self.redis_url = with_path(redis_base, "/14")
        db14 = redis.Redis.from_url(self.redis_url)
        db14.flushdb()
        stack.callback(db14.flushdb)
        self.fake = FakeCodeforces().start()
        stack.callback(self.fake.stop)

    def _remove_tmp(self) -> None:
        if self.args.keep_logs:
            print(f"logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def drain_problems(self, i: int) -> tuple[str, ...]:
        n = self.args.players
        return PROBLEMS[: 1 + (i < n // 3) + (i < n // 6)]

    def load_players(self) -> None:
        """bench-room: warm + p0..pS-1 (handles hwarm, h0..) + push players r0..rS-1 (handles k0..);
        drain-room: q0..qN-1 (handles g0..)."""
        latency = {"warm": "hwarm", "rwarm": "kwarm", "dead": "hdead"}
        latency |= {f"p{i}": f"h{i}" for i in range(self.args.latency_samples)}
        latency |= {f"r{i}": f"k{i}" for i in range(self.args.latency_samples)}
        drain = {f"q{i}": f"g{i}" for i in range(self.args.players)}
        fixture = {"players": [{"userId": u, "cfHandle": h} for u, h in (latency | drain).items()],
                   "rooms": [room("bench-room", list(latency)), room("drain-room", list(drain))]}  # fmt: skip
        with self.engine.begin() as conn:
            load_fixture(conn, Fixture.model_validate(fixture))
        created = int(time.time()) - 600
        for handle in latency.values():
            self.fake.add_submission(handle, "1843A", "OK", created=created)
        for i in range(self.args.players):
            for problem in self.drain_problems(i):
                self.fake.add_submission(f"g{i}", problem, "OK", created=created)

    def start_services(self) -> None:
        home = self.tmp / "dagster_home"
        write_instance_yaml(home, use_postgres=True)
        env = {
            **os.environ, "DATABASE_URL": self.url, "REDIS_URL": self.redis_url, "DAGSTER_HOME": str(home),
            "DAGSTER_POSTGRES_URL": dagster_storage_url(with_path(self.pg, f"/{self.dagster_db}")),
            "CODEFORCES_API_URL": self.fake.base_url, "API_JWT_SECRET": SECRET, "ADMIN_TOKEN": uuid.uuid4().hex,
            "SYNC_COOLDOWN_SECONDS": str(COOLDOWN), "CODEFORCES_MIN_INTERVAL_SECONDS": str(MIN_INTERVAL),
        }  # fmt: skip
        os.environ.update(DAGSTER_HOME=env["DAGSTER_HOME"], DAGSTER_POSTGRES_URL=env["DAGSTER_POSTGRES_URL"])
        port = free_port()
        self.api = f"http://127.0.0.1:{port}"
        api = start_process([sys.executable, "-m", "uvicorn", "contest_pipelines.api.main:create_app", "--factory",
                             "--port", str(port), "--no-access-log"], env, self.tmp / "api.log")  # fmt: skip
        self.stack.callback(stop_process, api)
        self.daemon_log = self.tmp / "daemon.log"
        daemon = start_process([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                               env, self.daemon_log)  # fmt: skip
        self.stack.callback(stop_process, daemon)
        web_port, push_port = free_port(), free_port()
        webserver_cmd = [str(Path(sys.executable).parent / "dagster-webserver"), "-w", "workspace.yaml",
                         "-h", "127.0.0.1", "-p", str(web_port)]  # fmt: skip
        webserver = start_process(webserver_cmd, env, self.tmp / "webserver.log")
        self.stack.callback(stop_process, webserver)
        self.api_push = f"http://127.0.0.1:{push_port}"
        push_env = {**env, "DAGSTER_WEBSERVER_URL": f"http://127.0.0.1:{web_port}"}
        push_cmd = [sys.executable, "-m", "uvicorn", "contest_pipelines.api.main:create_app", "--factory",
                    "--port", str(push_port), "--no-access-log"]  # fmt: skip
        push_api = start_process(push_cmd, push_env, self.tmp / "api_push.log")
        self.stack.callback(stop_process, push_api)
        for url, process, log in ((self.api, api, "api.log"), (self.api_push, push_api, "api_push.log"),
                                  (f"http://127.0.0.1:{web_port}", webserver, "webserver.log")):  # fmt: skip
            wait_ready(url + ("/server_info" if "webserver" in log else "/readyz"), process, self.tmp / log)
        from dagster import DagsterInstance

        self.instance = DagsterInstance.from_config(str(home))
        self.stack.callback(self.instance.dispose)
        self.client = httpx.Client(base_url=self.api, timeout=30, limits=httpx.Limits(max_connections=64))
        self.stack.callback(self.client.close)

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(SECRET, user)}"}

    def runs(self, after: float, before: float) -> dict[str, tuple[float, object]]:
        """run id -> (creation unix time, RunRecord) of the cf_sync_job runs created in [after, before]."""
        from dagster import RunsFilter

        out = {}
        for rec in self.instance.get_run_records(RunsFilter(job_name="cf_sync_job")):
            ts = rec.create_timestamp
            created = (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp()
            if after <= created <= before:
                out[rec.dagster_run.run_id] = (created, rec)
        return out

    def tick_intervals(self, after: float, before: float) -> list[float]:
        """Seconds between sync_request_sensor evaluations, from the daemon log (Dagster does not keep every skipped
        tick in its tick history). The log has 1 s resolution."""
        stamps = [datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S %z").timestamp()
                  for m in TICK_LINE.finditer(self.daemon_log.read_text(errors="replace"))]  # fmt: skip
        stamps = [t for t in stamps if after <= t <= before]
        return [b - a for a, b in zip(stamps, stamps[1:])]

    def wait_room_settled(self, room_id: str, expected: int) -> datetime | None:
        """Poll until `expected` requests of the room exist and none is queued/running; their last finished_at."""
        q = sa.text("SELECT count(*) FILTER (WHERE status IN ('queued', 'running')), count(*), max(finished_at) "
                    "FROM sync_requests WHERE room_id = :room")  # fmt: skip
        deadline = time.monotonic() + DRAIN_GUARD
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                pending, total, last = conn.execute(q, {"room": room_id}).one()
            if pending == 0 and total >= expected:
                return last
            time.sleep(0.25)
        print(f"  !! hang guard: {room_id} still has queued/running requests after {DRAIN_GUARD} s")
        return None

    # ------------------------------------------------------------------ phase 1: latency

    def listen(self, user: str, seen: dict, ready: threading.Event, done: threading.Event, api: str) -> None:
        """Read the player's SSE stream; record when each event type first arrives, until detected/failed."""
        try:
            with httpx.stream("GET", f"{api}/api/events", headers=self.headers(user),
                              timeout=httpx.Timeout(10, read=90)) as resp:  # fmt: skip
                ready.set()
                kind = None
                for line in resp.iter_lines():
                    if line.startswith("event:"):
                        kind = line.partition(":")[2].strip()
                    elif line == "" and kind:
                        seen.setdefault(kind, time.perf_counter())
                        seen.setdefault(f"{kind}@", time.time())
                        if kind in ("sync.detected", "sync.failed"):
                            return
                        kind = None
        except httpx.HTTPError as exc:
            seen["error"] = repr(exc)
        finally:
            ready.set()
            done.set()

    def sample(self, user: str, api: str | None = None) -> dict:
        api = api or self.api
        seen: dict = {}
        ready, done = threading.Event(), threading.Event()
        threading.Thread(target=self.listen, args=(user, seen, ready, done, api), daemon=True).start()
        ready.wait(10)
        t0 = time.perf_counter()
        resp = self.client.post(f"{api}/api/contests/sync", json={"roomId": "bench-room", "problemId": "1843A"},
                                headers=self.headers(user))  # fmt: skip
        post = time.perf_counter() - t0
        done.wait(90)
        return {"user": user, "status": resp.status_code, "post": post,
                "detected_at": seen.get("sync.detected@"),
                **{k: v - t0 if isinstance(v, float) and not k.endswith("@") else v
                   for k, v in seen.items() if not k.endswith("@")}}  # fmt: skip

    def warm_up(self) -> None:
        """One sync per path before measuring: the daemon's first tick and first run (code location load) are
        not sampled."""
        result = self.sample("warm")
        self.wait_room_settled("bench-room", 1)
        self.sample("rwarm", self.api_push)
        self.wait_room_settled("bench-room", 2)
        put("warmup_detected_s", "warm-up sync (first tick + first run), not sampled", result.get("sync.detected"), "s")

    def phase_latency(self) -> None:
        n = self.args.latency_samples
        print(f"\nphase 1: latency, {n} samples {STAGGER:.0f} s apart, each a distinct player syncing 1843A")
        t_start, results, threads = time.time(), [], []
        for i in range(n):
            threads.append(threading.Thread(target=lambda u=f"p{i}": results.append(self.sample(u)), daemon=True))
            threads[-1].start()
            time.sleep(STAGGER)
        for t in threads:
            t.join(120)
        self.wait_room_settled("bench-room", n + 2)
        t_end = time.time()
        queued = [r["sync.queued"] for r in results if "sync.queued" in r]
        detected = [r["sync.detected"] for r in results if "sync.detected" in r]
        health = []
        for _ in range(200):
            t0 = time.perf_counter()
            self.client.get("/healthz")
            health.append(time.perf_counter() - t0)
        runs = self.runs(t_start, t_end)
        with self.engine.connect() as conn:
            reqs = conn.execute(sa.text("SELECT created_at, dagster_run_id FROM sync_requests "
                                        "WHERE room_id = 'bench-room' AND user_id LIKE 'p%'")).all()  # fmt: skip
        waits = [runs[run][0] - created.timestamp() for created, run in reqs if run in runs]
        c2s = [rec.start_time - created for created, rec in runs.values() if rec.start_time]
        s2e = [rec.end_time - rec.start_time for _, rec in runs.values() if rec.start_time and rec.end_time]
        ticks = self.tick_intervals(t_start, t_end)
        floor = SENSOR_WAIT + (pct(c2s, 50) or 0) + (pct(s2e, 50) or 0)
        put("latency_samples_complete", "samples complete (202, queued and detected seen)",
            sum(1 for r in results if r["status"] == 202 and "sync.detected" in r), note=f"of {n}")  # fmt: skip
        put("post_202_p50_s", "POST -> 202 response p50", pct([r["post"] for r in results], 50), "ms")
        put("queued_p50_s", "(a) POST -> sync.queued p50", pct(queued, 50), "ms")
        put("queued_p95_s", "(a) POST -> sync.queued p95", pct(queued, 95), "ms")
        put(
            "queued_p99_s",
            "(a) POST -> sync.queued p99",
            pct(queued, 99),
            "ms",
            target((pct(queued, 99) or 1) < 0.1, "< 100 ms"),
        )
        put("queued_max_s", "(a) POST -> sync.queued max", max(queued, default=None), "ms")
        put("healthz_p50_s", "    baseline: GET /healthz p50 (200 calls)", pct(health, 50), "ms")
        put("healthz_p99_s", "    baseline: GET /healthz p99", pct(health, 99), "ms")
        put(
            "queued_over_healthz_p50",
            "    ratio queued p50 / healthz p50",
            ratio(pct(queued, 50), pct(health, 50)),
            "x",
        )
        put(
            "detected_p50_s",
            "(b) POST -> sync.detected p50",
            pct(detected, 50),
            "s",
            target((pct(detected, 50) or 99) <= 5, "<= 5 s"),
        )
        put(
            "detected_p95_s",
            "(b) POST -> sync.detected p95",
            pct(detected, 95),
            "s",
            target((pct(detected, 95) or 99) <= 8, "<= 8 s"),
        )
        put("detected_max_s", "(b) POST -> sync.detected max", max(detected, default=None), "s")
        self.sensor_totals = detected
        self.sensor_detected = {r["user"]: r.get("detected_at") for r in results}
        put("phase1_runs", "    cf_sync_job runs (samples batched together)", len(runs))
        put("dagster_create_to_start_p50_s", "    baseline: Dagster run creation -> start p50", pct(c2s, 50), "s")
        put("dagster_start_to_end_p50_s", "    baseline: Dagster run start -> end p50", pct(s2e, 50), "s")
        put("dagster_floor_s", "    floor: 2.5 s sensor wait + those two p50s", floor, "s")
        put("detected_over_floor_p50", "    ratio detected p50 / floor", ratio(pct(detected, 50), floor), "x")
        put("sensor_wait_p50_s", "    measured sensor wait (request -> run) p50", pct(waits, 50), "s")
        put("sensor_wait_max_s", "    measured sensor wait max", max(waits, default=None), "s")
        put("sensor_tick_interval_mean_s", "    sensor evaluation interval mean (daemon log)",
            statistics.fmean(ticks) if ticks else None, "s",
            f"intervals seen: {dict(sorted(Counter(round(t) for t in ticks).items()))}")  # fmt: skip
        for r in results:
            if r["status"] != 202 or "sync.detected" not in r:
                print(f"  !! incomplete sample: {r}")

    # ------------------------------------------------------------------ phase 1b: push path vs sensor path

    def breakdown(self, results: list[dict], runs: dict) -> dict[str, list[float]]:
        """Each sample's parts: launch, run created -> started, started -> judge call, call -> detected on SSE."""
        users = [r["user"] for r in results]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT r.user_id, r.created_at, r.dagster_run_id, p.cf_handle "
                                        "FROM sync_requests r JOIN players p USING (user_id) "
                                        "WHERE r.room_id = 'bench-room' AND r.user_id = ANY(:users)"),
                                {"users": users}).all()  # fmt: skip
        calls = {c.params.get("handle"): c.at for c in self.fake.calls_for("user.status")}
        detected = {r["user"]: r.get("detected_at") for r in results}
        parts: dict[str, list[float]] = {"launch": [], "create_to_start": [], "start_to_call": [], "call_to_sse": []}
        for user, created, run_id, handle in rows:
            if run_id not in runs or runs[run_id][1].start_time is None:
                continue
            run_created, record = runs[run_id]
            parts["launch"].append(run_created - created.timestamp())
            parts["create_to_start"].append(record.start_time - run_created)
            if handle in calls:
                parts["start_to_call"].append(calls[handle] - record.start_time)
                if detected.get(user):
                    parts["call_to_sse"].append(detected[user] - calls[handle])
        return parts

    def phase_push(self) -> None:
        n = self.args.latency_samples
        print(f"\nphase 1b: single-request POST -> sync.detected on the push path ({n} samples, {STAGGER:.0f} s "
              "apart), against phase 1's sensor path")  # fmt: skip
        t_start, results, threads = time.time(), {"sensor": [], "push": []}, []
        for i in range(n):
            push_sample = lambda u=f"r{i}": results["push"].append(self.sample(u, self.api_push))  # noqa: E731
            threads.append(threading.Thread(target=push_sample, daemon=True))
            threads[-1].start()
            time.sleep(STAGGER)
        for t in threads:
            t.join(120)
        self.wait_room_settled("bench-room", 2 * n + 2)
        runs = self.runs(t_start - 600, time.time())
        with self.engine.connect() as conn:
            sensor_users = [u for (u,) in conn.execute(sa.text(
                "SELECT user_id FROM sync_requests WHERE room_id = 'bench-room' AND user_id LIKE 'p%'"))]  # fmt: skip
        results["sensor"] = [{"user": u, "detected_at": self.sensor_detected.get(u)} for u in sensor_users]
        rows = []
        for path in ("sensor", "push"):
            parts = self.breakdown(results[path], runs)
            detected = self.sensor_totals if path == "sensor" else [r["sync.detected"] for r in results[path]
                                                                     if "sync.detected" in r]  # fmt: skip
            rows.append((path, detected, parts))
            FIG[f"{path}_detected_p50_s"], FIG[f"{path}_detected_p95_s"] = pct(detected, 50), pct(detected, 95)
            for part, values in parts.items():
                FIG[f"{path}_{part}_p50_s"] = pct(values, 50)
        print(f"  {'path':<8}{'detected p50':>14}{'p95':>8}{'launch':>9}{'create->start':>15}{'start->call':>13}"
              f"{'call->SSE':>11}   (seconds; parts are p50)")  # fmt: skip
        for path, detected, parts in rows:
            cells = [pct(parts[k], 50) for k in ("launch", "create_to_start", "start_to_call", "call_to_sse")]
            print(f"  {path:<8}{fmt(pct(detected, 50)):>14}{fmt(pct(detected, 95)):>8}"
                  + "".join(f"{fmt(c):>{w}}" for c, w in zip(cells, (9, 15, 13, 11))))  # fmt: skip
        push50, push95 = pct(rows[1][1], 50), pct(rows[1][1], 95)
        put("push_over_sensor_p50", "    ratio push p50 / sensor p50", ratio(push50, pct(rows[0][1], 50)), "x",
            target((push50 or 99) <= 2 and (push95 or 99) <= 3, "push p50 <= 2 s and p95 <= 3 s"))  # fmt: skip

    # ------------------------------------------------------------------ phase 3: a dead judge

    def phase_dead_judge(self) -> None:
        """Codeforces answers 503 to every call: how long until the player hears cf_unavailable?"""
        print("\nphase 3: a dead judge (every call answers HTTP 503), one player, real retry delays (5, 10, 20 s)")
        self.fake.inject("http503", times=10_000)
        try:
            events: list[tuple[float, str, dict]] = []
            done = threading.Event()

            def listen() -> None:
                with httpx.stream("GET", f"{self.api}/api/events", headers=self.headers("dead"),
                                  timeout=httpx.Timeout(10, read=300)) as resp:  # fmt: skip
                    kind = None
                    for line in resp.iter_lines():
                        if line.startswith("event:"):
                            kind = line.partition(":")[2].strip()
                        elif line.startswith("data:") and kind:
                            events.append((time.perf_counter(), kind, json.loads(line.partition(":")[2])))
                            if kind in ("sync.failed", "sync.detected"):
                                done.set()
                                return

            threading.Thread(target=listen, daemon=True).start()
            time.sleep(1)
            t0 = time.perf_counter()
            self.client.post("/api/contests/sync", json={"roomId": "bench-room", "problemId": "1843A"},
                             headers=self.headers("dead"))  # fmt: skip
            done.wait(330)
        finally:
            self.fake.clear_faults()
        final = next(((t, k, d) for t, k, d in events if k in ("sync.failed", "sync.detected")), None)
        retries = [(round(t - t0, 1), d.get("attempt")) for t, k, d in events if k == "sync.retrying"]
        answer = final[0] - t0 if final else None
        put("dead_judge_answer_s", "POST -> sync.failed {reason: cf_unavailable}", answer, "s",
            target(final is not None and final[2].get("reason") == "cf_unavailable" and (answer or 999) <= 120,
                   "cf_unavailable within 2 min"))  # fmt: skip
        put("dead_judge_retrying", "    sync.retrying events (seconds after POST, attempt)", retries)
        put(
            "dead_judge_calls",
            "    calls that reached the judge",
            len(self.fake.calls_for("user.status")) - self.calls_before,
        )

    # ------------------------------------------------------------------ phase 2: drain

    async def player(self, client: httpx.AsyncClient, i: int, out: list) -> None:
        headers = self.headers(f"q{i}")
        for k, problem in enumerate(self.drain_problems(i)):
            if k:
                await asyncio.sleep(NEXT_SYNC_DELAY)
            for _ in range(5):  # a 429 (cooldown not over yet) is retried after Retry-After
                t0 = time.perf_counter()
                resp = await client.post(
                    "/api/contests/sync", json={"roomId": "drain-room", "problemId": problem}, headers=headers
                )
                out.append((resp.status_code, time.perf_counter() - t0))
                if resp.status_code != 429:
                    break
                await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))

    async def burst(self) -> list[tuple[int, float]]:
        out: list = []
        limits = httpx.Limits(max_connections=self.args.players + 10)
        async with httpx.AsyncClient(base_url=self.api, timeout=60, limits=limits) as client:
            await asyncio.gather(*(self.player(client, i, out) for i in range(self.args.players)))
        return out

    def phase_drain(self) -> None:
        n = self.args.players
        print(f"\nphase 2: drain, {n} players at once, +{n // 3} 2nd and +{n // 6} 3rd problems {NEXT_SYNC_DELAY} s "
              f"after the previous POST (Sync cooldown set to {COOLDOWN} s for this bench; "
              f"60 s in production)")  # fmt: skip
        t_first = time.time()
        posts = asyncio.run(self.burst())
        accepted = sum(1 for code, _ in posts if code == 202)
        last = self.wait_room_settled("drain-room", accepted)
        t_done = time.time()
        drain = last.timestamp() - t_first if last else None
        with self.engine.connect() as conn:
            by_status = dict(conn.execute(sa.text(
                "SELECT status, count(*) FROM sync_requests WHERE room_id = 'drain-room' GROUP BY status"
            )).all())  # fmt: skip
            handles = conn.execute(sa.text(
                "SELECT count(DISTINCT lower(cf_handle)) FROM sync_requests WHERE room_id = 'drain-room'"
            )).scalar_one()  # fmt: skip
        calls = sorted(c.at for c in self.fake.calls_for("user.status") if t_first <= c.at <= t_done)
        gaps = [b - a for a, b in zip(calls, calls[1:])]
        short = [g for g in gaps if g < MIN_INTERVAL]
        runs = self.runs(t_first, t_done)
        floor = handles * MIN_INTERVAL
        put("drain_requests", "requests accepted (202)", accepted, note=f"of {len(posts)} POSTs")
        put("drain_429", "    429 answers (retried after Retry-After)", sum(1 for code, _ in posts if code == 429))
        put(
            "drain_post_p50_s", "    POST -> 202 p50 during the burst", pct([t for c, t in posts if c == 202], 50), "ms"
        )
        put(
            "drain_post_p99_s", "    POST -> 202 p99 during the burst", pct([t for c, t in posts if c == 202], 99), "ms"
        )
        put("drain_handles", "distinct handles", handles)
        put("drain_seconds", "time to drain (first POST -> last request settled)", drain, "s")
        put("cf_calls", "Codeforces user.status calls during the phase", len(calls))
        put("cf_calls_per_request", "    calls per request", ratio(len(calls), accepted), "x")
        put("cf_calls_per_handle", "    calls per distinct handle", ratio(len(calls), handles), "x")
        put("cf_gap_min_s", "    gap between consecutive calls: min", min(gaps, default=None), "s")
        put(
            "cf_gap_median_s",
            "    gap between consecutive calls: median",
            statistics.median(gaps) if gaps else None,
            "s",
        )
        put("cf_gaps_under_2s", "    gaps shorter than 2 s", len(short), note=f"of {len(gaps)}")
        put("pacing_respected", "pacing respected (every gap >= 2 s)", "yes" if gaps and not short else "no",
            note=f"worst gap short by {(MIN_INTERVAL - min(short)) * 1000:.1f} ms" if short else "")  # fmt: skip
        put("drain_floor_s", "floor: distinct handles x 2 s", floor, "s")
        put("drain_over_floor", "ratio drain / floor", ratio(drain, floor), "x")
        put("cf_calls_x_interval_s", "    calls made x 2 s", len(calls) * MIN_INTERVAL, "s")
        put("drain_status_counts", "requests by final status", by_status, note="(all should be detected)")
        put(
            "drain_runs",
            "cf_sync_job runs",
            len(runs),
            note=json.dumps(dict(Counter(r.dagster_run.status.value for _, r in runs.values()))),
        )
        put("drain_run_sizes", "    requests dispatched per run (sensor tag)",
            sorted((int(r.dagster_run.tags.get("sync/requests", 0)) for _, r in runs.values()),
                   reverse=True))  # fmt: skip

    def daemon_errors(self) -> None:
        log = getattr(self, "daemon_log", None)
        lines = log.read_text(errors="replace").splitlines() if log and log.exists() else []
        errors = [ln for ln in lines if "ERROR" in ln or "Traceback" in ln or "Exception" in ln]
        FIG["daemon_log_error_lines"] = len(errors)
        print(f"\ndaemon log: {len(lines)} lines, {len(errors)} with ERROR/Traceback/Exception")
        for ln in list(dict.fromkeys(errors))[:8]:
            print(f"  {ln[:200]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100, help="players in the drain phase (default 100)")
    parser.add_argument("--latency-samples", type=int, default=20, help="latency samples (default 20)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temp dir with the API and daemon logs")
    args = parser.parse_args()
    began = time.time()
    with ExitStack() as stack:  # cleanup runs on success, exceptions and Ctrl-C alike
        bench = Bench(args, stack)
        bench.load_players()
        bench.start_services()
        print(f"API {bench.api}, fake Codeforces {bench.fake.base_url}, Redis {bench.redis_url}, PostgreSQL db "
              f"{bench.app_db}; Codeforces pacing {MIN_INTERVAL} s per call (the real default)")  # fmt: skip
        try:
            bench.warm_up()
            bench.phase_latency()
            bench.phase_push()
            bench.phase_drain()
            bench.calls_before = len(bench.fake.calls_for("user.status"))
            bench.phase_dead_judge()
        finally:
            bench.daemon_errors()
            print("cleaning up: daemon, API, databases, Redis db 14, fake Codeforces")
    FIG["bench_seconds"] = round(time.time() - began, 1)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in FIG.items()}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
