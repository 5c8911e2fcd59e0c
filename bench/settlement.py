"""Benchmark of room settlement (PostgreSQL transaction + Redis projection) and of the scoreboard read path.

On a fresh database (dropped at the end) and a flushed Redis db 13 it builds one league and one tournament whose
standings already hold every member (3 earlier prediction rooms of the same members, settled, plus a 0-point row for
members who never scored), then measures. On a server with autovacuum off (this machine's) it VACUUMs standings and
room_results between timed runs, untimed, as autovacuum would.

1. settlement: `--runs` times, a FRESH prediction room of `--members` members (random guesses, loaded with the
   loader, match result set, its room/tournament/league boards built in Redis beforehand; none of that is timed),
   then `settle_and_project` for it: wall time, `outcome.db_ms` and `redis_ms`; p50/p95/p99/max. Per-statement
   times of the transaction come from SQLAlchemy cursor events, with what else the server was running at the start.
2. baseline (a), same run, same engine: the same work row by row (per member in ONE transaction: scoring through
   `prediction_points`; for each member who scored, an upsert of room_results, an upsert of the tournament and of
   the league standing; then the ledger row; after commit one ZADD per changed member per board, no pipeline). If a
   50k run takes more than ~3 min the other runs use 10k members and the figure is scaled linearly (said in the output).
3. floor (b): in one transaction COPY of the rows into a temp table, one set-based UPDATE of the tournament
   standings, one pipeline of 10k-member ZADD chunks into a scratch key (pre-filled, so members are updated as in
   a projection). Rolled back, so the standings stay true; its COMMIT is therefore not in the floor.
4. `scoreboards.rebuild` of the tournament board (5 runs) and the top-100 read through the HTTP API (uvicorn, one
   worker), with the page cache off (BOARD_CACHE_SECONDS=0, the baseline) and then as configured by default:
   sequential (500 requests), then 200 and 10 concurrent clients for ~10 s each from a minimal asyncio-streams
   HTTP/1.1 client (httpx's own pool saturates a core at this concurrency), with the CPU each side used (+ `wrk`
   when installed).
5. if settlement is far from the floor: one more settlement with auto_explain (EXPLAIN ANALYZE of every statement,
   sent to the client as NOTICEs) and the plans of the statements that dominate.

It prints figures and never asserts timing; the last line is `RESULT {json}` with every figure.

    .venv/bin/python bench/settlement.py [--members 50000] [--runs 12]

PostgreSQL and Redis: the servers of DATABASE_URL / REDIS_URL when set, else the embedded ones under .data/bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench._common import DATA_DIR, free_port, pct, ratio, stop_process  # noqa: E402
from contest_pipelines import scoreboards  # noqa: E402
from contest_pipelines.db.boards import bump_versions, current_version  # noqa: E402
from contest_pipelines.db.engine import get_engine, hash_joins  # noqa: E402
from contest_pipelines.db.fixtures import Fixture, load_fixture  # noqa: E402
from contest_pipelines.db.migrate import upgrade  # noqa: E402
from contest_pipelines.db.tables import match_results, rooms, settlement_ledger  # noqa: E402
from contest_pipelines.domain.ranking import encode  # noqa: E402
from contest_pipelines.domain.scoring import MemberResult, prediction_points, whole_seconds  # noqa: E402
from contest_pipelines.domain.settlement import result_hash  # noqa: E402
from contest_pipelines.embedded import (  # noqa: E402
    create_database,
    drop_database,
    postgres_server_url,
    redis_server_url,
    with_path,
)
from contest_pipelines.settings import sqlalchemy_url  # noqa: E402
from contest_pipelines.settlement.ledger import ledger_mismatches, settle_room  # noqa: E402
from contest_pipelines.settlement.projection import settle_and_project  # noqa: E402
from contest_pipelines.settlement.reference import room_result  # noqa: E402
from tests.factories import prediction_fixture, set_match_result  # noqa: E402

LEAGUE, TOURNAMENT = "bench-league", "bench-tournament"
PRIOR_ROOMS = 3
REDIS_DB = 13
REDIS_DB_LOCK = f"contest_pipelines:test-db:{REDIS_DB}"  # how test sessions claim a Redis db (tests/conftest.py)
SECRET = "bench-secret-" + uuid.uuid4().hex  # >= 32 chars
ROW_BY_ROW_LIMIT_S = 180.0  # a full-size row-by-row run longer than this: measure on SCALED_MEMBERS and scale
SCALED_MEMBERS = 10_000
FLOOR_RUNS, REBUILD_RUNS = 5, 5
HTTP_CONCURRENCY, HTTP_SECONDS, HTTP_WARMUP_SECONDS, HTTP_SEQUENTIAL = 200, 10.0, 2.0, 500
HTTP_LOW_CONCURRENCY = 10  # where one worker can meet a 10 ms p99, for comparison
PHASES = ("settle", "baseline", "floor", "rebuild", "http")
SCORES = [(2, 1), (1, 1), (0, 2), (3, 1), (1, 0), (2, 2), (0, 1), (2, 0)]
FIG: dict[str, object] = {}  # every figure, printed as one JSON line at the end


def verdict(ok: bool, text: str) -> str:
    return f"target {text}: {'PASS' if ok else 'MISS'}"


def put(key: str, label: str, value: object, unit: str = "", note: str = "") -> None:
    """Record a figure and print it as one table row. Times are kept in ms."""
    FIG[key] = round(value, 3) if isinstance(value, float) else value
    if value is None:
        shown = "n/a"
    elif unit == "ms":
        shown = f"{value:.1f} ms"
    elif unit == "s":
        shown = f"{value:.2f} s"
    elif unit == "x":
        shown = f"{value:.2f} x"
    elif unit == "/s":
        shown = f"{value:.0f} /s"
    else:
        shown = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    print(f"  {label:<58} {shown:>14}   {note}", flush=True)


class StatementTimer:
    """Server round trip of every statement SQLAlchemy executes while enabled (execute only, not row fetching)."""

    def __init__(self, engine: sa.Engine):
        self.enabled, self.records, self._t0 = False, [], {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.enabled:
            self._t0[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = self._t0.pop(id(cursor), None)
        if self.enabled and started is not None:
            self.records.append((label(statement), (time.perf_counter() - started) * 1000))

    def run(self):
        self.records = []
        self.enabled = True
        return self

    def stop(self) -> dict[str, float]:
        self.enabled = False
        out: dict[str, float] = defaultdict(float)
        for name, ms in self.records:
            out[name] += ms
        return dict(out)


def label(statement: str) -> str:
    s = re.sub(r"\s+", " ", statement).strip()
    s = re.sub(r"%\(\w+\)s|\$\d+", "?", s)
    if s.startswith("UPDATE standings s SET last_scored_at"):
        scope = "league" if "league_id" in s else "tournament"
        return f"UPDATE standings SET last_scored_at (recompute over the {scope}'s rooms)"
    if s.startswith("INSERT INTO standings"):
        return "INSERT INTO standings ... ON CONFLICT DO UPDATE (points += delta)"
    return s[:95]


class Bench:
    def __init__(self, args: argparse.Namespace, stack: ExitStack):
        self.args, self.stack = args, stack
        self.rng = random.Random(args.seed)
        self.n = args.members
        self.users = [f"u{i:06d}" for i in range(self.n)]
        self.pg = postgres_server_url(DATA_DIR)
        redis_base = redis_server_url(DATA_DIR)
        self.tmp = Path(tempfile.mkdtemp(prefix="cp_bench_settle_"))
        stack.callback(shutil.rmtree, self.tmp, True)
        # Redis first: refuse to flush a db a test session has claimed.
        admin = redis.Redis.from_url(with_path(redis_base, "/0"))
        if not admin.set(REDIS_DB_LOCK, f"bench/settlement {os.getpid()}", nx=True, ex=6 * 3600):
            raise SystemExit(
                f"Redis db {REDIS_DB} is claimed by {admin.get(REDIS_DB_LOCK)!r} (a test session?); not flushing it"
            )
        stack.callback(admin.delete, REDIS_DB_LOCK)
        self.redis_url = with_path(redis_base, f"/{REDIS_DB}")
        self.r = redis.Redis.from_url(self.redis_url, decode_responses=True)
        self.r.flushdb()
        stack.callback(self.r.flushdb)
        self.db_name = f"cp_bench_settle_{uuid.uuid4().hex[:10]}"
        create_database(self.pg, self.db_name)
        stack.callback(drop_database, self.pg, self.db_name)
        self.url = with_path(self.pg, f"/{self.db_name}")
        upgrade(self.url)
        self.engine = get_engine(self.url)
        stack.callback(self.engine.dispose)
        self.timer = StatementTimer(self.engine)
        self.rooms_loaded = 0
        print(f"database {self.db_name} on {self.pg}, Redis db {REDIS_DB} on {redis_base}")
        with self.engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar_one()
            conf = {
                k: conn.execute(sa.text(f"SHOW {k}")).scalar_one()
                for k in ("shared_buffers", "work_mem", "synchronous_commit")
            }
        print(f"PostgreSQL {version} {conf}, Redis {self.r.info('server')['redis_version']}, {os.cpu_count()} CPUs")
        with self.engine.connect() as conn:
            self.autovacuum_off = conn.execute(sa.text("SHOW autovacuum")).scalar_one() == "off"
        if self.autovacuum_off:
            print(
                "  the server runs with autovacuum = off: "
                "the bench VACUUMs standings and room_results between timed runs"
            )
        FIG["autovacuum_off"] = self.autovacuum_off
        FIG.update(members=self.n, runs=args.runs, postgres=version, cpus=os.cpu_count())

    # ------------------------------------------------------------------ data

    def guesses(self, users: list[str]) -> dict[str, tuple[int, int]]:
        return {u: (self.rng.randint(0, 4), self.rng.randint(0, 4)) for u in users}

    def load_rooms(self, room_ids: list[str], users: list[str], *, with_players: bool = False) -> float:
        """Prediction rooms of `users` in the bench tournament, through the loader, with a final score each."""
        t0 = time.perf_counter()
        fixture = prediction_fixture(
            rooms={rid: self.guesses(users) for rid in room_ids}, tournament=TOURNAMENT, league=LEAGUE
        )
        if not with_players:
            fixture.pop("players")
        with self.engine.begin() as conn:
            load_fixture(conn, Fixture.model_validate(fixture))
        for rid in room_ids:
            set_match_result(self.engine, rid, *self.rng.choice(SCORES))
        self.rooms_loaded += len(room_ids)
        return time.perf_counter() - t0

    def build_boards(self, room_id: str) -> None:
        """Every board the settlement projects onto is current in Redis (rebuilt by a read if not)."""
        for scope, sid in (("room", room_id), ("tournament", TOURNAMENT), ("league", LEAGUE)):
            board = scoreboards.read(self.engine, self.r, scope, sid, limit=1)
            if board.source != "redis":
                print(f"  !! {scope} board {sid} read from {board.source}")

    def check_boards(self, when: str) -> bool:
        """Redis holds exactly the PostgreSQL board order and scores, at the current version."""
        ok = True
        for scope, sid in (("tournament", TOURNAMENT), ("league", LEAGUE)):
            with self.engine.connect() as conn:
                rows = scoreboards.all_rows(conn, scope, sid)
                version = current_version(conn, scope, sid)
            expected = [(x.user_id, encode(x.points, x.last_scored_at)) for x in rows]
            actual = self.r.zrange(scoreboards.board_key(scope, sid), 0, -1, withscores=True)
            built = self.r.get(f"{scoreboards.board_key(scope, sid)}:built")
            if expected != [(u, s) for u, s in actual] or built != str(version):
                ok = False
                diff = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != tuple(b)), None)
                print(f"  !! {when}: Redis {scope} board differs from PostgreSQL: "
                      f"{len(expected)} vs {len(actual)} rows, first difference at {diff}, "
                      f"built {built} vs version {version}")  # fmt: skip
        return ok

    def setup(self) -> None:
        print(
            f"\nsetup: league {LEAGUE}, tournament {TOURNAMENT}, "
            f"{PRIOR_ROOMS} earlier rooms of the same {self.n} members"
        )
        prior = [f"prior-{i}" for i in range(PRIOR_ROOMS)]
        put(
            "setup_load_s",
            f"load {self.n} players + {PRIOR_ROOMS} rooms (loader)",
            self.load_rooms(prior, self.users, with_players=True),
            "s",
        )
        for rid in prior:
            outcome = settle_room(self.engine, rid)
            put(f"setup_settle_{rid}_db_ms",
                f"settle {rid} (not measured; standings rows {'created' if rid == prior[0] else 'updated'})",
                outcome.db_ms, "ms", outcome.status)  # fmt: skip
        with self.engine.begin() as conn:
            # Settlement writes no row for a member who never scored; "existing standings" here means
            # every member has one, so the floor's UPDATE and the settlement's upserts meet 50k rows.
            conn.execute(sa.text(
                "INSERT INTO standings (scope, scope_id, user_id, points)"
                " SELECT s.scope, s.id, p.user_id, 0 FROM players p"
                " CROSS JOIN (VALUES ('tournament', :t), ('league', :l)) AS s(scope, id) ON CONFLICT DO NOTHING"
            ), {"t": TOURNAMENT, "l": LEAGUE})  # fmt: skip
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
            counts = conn.execute(sa.text(
                "SELECT scope, count(*) FROM standings WHERE scope_id IN (:t, :l) GROUP BY scope ORDER BY scope"
            ), {"t": TOURNAMENT, "l": LEAGUE}).all()  # fmt: skip
        put("setup_standings_rows", "standings rows (league, tournament)", {s: c for s, c in counts})
        print("  (VACUUM ANALYZE once after setup; afterwards autovacuum, or its stand-in between runs)")

    # ------------------------------------------------------------------ 1. settlement

    def phase_settle(self) -> None:
        n, runs = self.n, self.args.runs
        print(f"\n1. settle_and_project: {runs} runs, each a fresh prediction room of {n} members "
              f"(boards built first; load/build not timed)")  # fmt: skip
        totals, dbs, rediss, others, statements = [], [], [], [], defaultdict(list)
        problems = []
        for i in range(runs):
            rid = f"bench-{i:02d}"
            load_s = self.load_rooms([rid], self.users)
            self.build_boards(rid)
            background = self.background()
            self.timer.run()
            t0 = time.perf_counter()
            settled = settle_and_project(self.engine, self.r, rid)
            total = (time.perf_counter() - t0) * 1000
            per_statement = self.timer.stop()
            o = settled.outcome
            top = ", ".join(
                f"{name[:28]} {ms:.0f}" for name, ms in sorted(per_statement.items(), key=lambda x: -x[1])[:3]
            )
            print(f"      background at start: {background or 'none'}; slowest: {top}")
            (
                totals.append(total),
                dbs.append(o.db_ms),
                rediss.append(settled.redis_ms),
                others.append(total - o.db_ms - settled.redis_ms),
            )
            for name, ms in per_statement.items():
                statements[name].append(ms)
            statements["(not seen by cursor events: Python row conversion, Delta objects)"].append(
                o.db_ms
                - sum(ms for name, ms in per_statement.items() if not name.startswith("INSERT INTO settlement_ledger"))
            )
            with self.engine.connect() as conn:
                mismatches = ledger_mismatches(conn, rid)
            bad = []
            if o.status != "applied":
                bad.append(f"status {o.status}")
            with self.engine.connect() as conn:  # the pure-Python reference: every scoring member changed
                room = conn.execute(sa.select(rooms).where(rooms.c.room_id == rid)).one()
                scoring = sum(1 for r in room_result(conn, room).values() if r.points)
            if o.members != n or len(o.deltas) != scoring:
                bad.append(f"members {o.members}, changes {len(o.deltas)} (expected {n}, {scoring})")
            if settled.projected != 3:
                bad.append(f"{settled.projected} of 3 boards projected")
            bad += mismatches
            problems += [f"{rid}: {b}" for b in bad]
            self.autovacuum()
            print(f"  run {i + 1:2}/{runs} {rid}: total {total:7.1f} ms = db {o.db_ms:7.1f} "
                  f"+ redis {settled.redis_ms:6.1f} + ledger insert/commit {total - o.db_ms - settled.redis_ms:5.1f}; "
                  f"{o.status}, {o.members} members, "
                  f"{settled.projected} boards projected (load {load_s:.1f} s)"
                  f"{' !! ' + '; '.join(bad) if bad else ''}", flush=True)  # fmt: skip
        self.settle = {"total": totals, "db": dbs, "redis": rediss}
        for key, values, name in (("total", totals, "total (settle_and_project wall)"),
                                  ("db", dbs, "DB (outcome.db_ms)"),
                                  ("redis", rediss, "Redis (redis_ms)")):  # fmt: skip
            for q in (50, 95, 99):
                put(f"settle_{key}_p{q}_ms", f"{name} p{q}", pct(values, q), "ms")
            put(f"settle_{key}_max_ms", f"{name} max", max(values), "ms")
        put(
            "settle_other_p50_ms",
            "rest of total p50 (ledger INSERT + COMMIT, after db_ms stops)",
            pct(others, 50),
            "ms",
        )
        put("settle_checks_ok", "all runs applied, members right, 3 boards projected, ledger agrees", not problems)
        for p in problems:
            print(f"  !! {p}")
        print("  per-statement time inside the transaction, p50 over the runs (cursor execute, server round trip):")
        breakdown = sorted(((pct(v, 50), k) for k, v in statements.items()), reverse=True)
        for ms, name in breakdown:
            print(f"    {ms:8.1f} ms  {name}")
        FIG["settle_statements_p50_ms"] = {k: round(ms, 1) for ms, k in breakdown}
        put(
            "boards_match_after_settle",
            "Redis boards == PostgreSQL (order, scores, version)",
            self.check_boards("after settlement"),
        )

    def autovacuum(self) -> None:
        """Where the server runs without autovacuum (this machine's has `autovacuum = off`), do its
        work between runs, untimed: VACUUM the tables a settlement rewrites, as autovacuum would after
        a settlement left 20k+ dead rows. Without it every run inherits the previous runs' dead rows
        and bloated indexes (seen: the later half of the runs up to twice as slow)."""
        if not self.autovacuum_off:
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM standings, room_results"))

    def background(self) -> str:
        """What else the server is doing (autovacuum after the room's load, say): timings are not taken in a lab."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT backend_type, left(query, 60) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND state = 'active'"
                " AND backend_type IN ('autovacuum worker', 'client backend')"
            )).all()  # fmt: skip
        return "; ".join(f"{kind}: {query}" for kind, query in rows)

    # ------------------------------------------------------------------ 2. baseline: row by row

    def row_by_row(self, room_id: str) -> tuple[float, float, int]:
        """The same settlement, one statement per member and board; returns (db ms, redis ms, members)."""
        upsert_room = sa.text(
            "INSERT INTO room_results (room_id, user_id, points, last_scored_at, version) VALUES (:r, :u, :p, :t, 1)"
            " ON CONFLICT (room_id, user_id) DO UPDATE SET points = excluded.points,"
            " last_scored_at = excluded.last_scored_at, version = excluded.version"
        )  # fmt: skip
        upsert_standing = sa.text(
            "INSERT INTO standings (scope, scope_id, user_id, points, last_scored_at) VALUES (:s, :i, :u, :p, :t)"
            " ON CONFLICT (scope, scope_id, user_id) DO UPDATE SET points = standings.points + excluded.points,"
            " last_scored_at = greatest(standings.last_scored_at, excluded.last_scored_at)"
            " RETURNING points, last_scored_at"
        )  # fmt: skip
        t0 = time.perf_counter()
        results: dict[str, MemberResult] = {}
        board_rows: dict[str, list[tuple[str, float]]] = {"room": [], "tournament": [], "league": []}
        with self.engine.begin() as conn:
            conn.execute(sa.select(rooms.c.room_id).where(rooms.c.room_id == room_id).with_for_update()).one()
            final = conn.execute(sa.select(match_results).where(match_results.c.room_id == room_id)).one()
            with hash_joins(conn):  # the plan settle_room gets: a fresh room's statistics would pick a quadratic one
                members = conn.execute(sa.text(
                    "SELECT m.user_id, g.home, g.away, g.guessed_at FROM room_members m"
                    " LEFT JOIN guesses g ON g.room_id = m.room_id AND g.user_id = m.user_id WHERE m.room_id = :r"
                ), {"r": room_id}).all()  # fmt: skip
            for user, home, away, at in members:
                points = 0 if home is None else prediction_points(home, away, final.home_score, final.away_score)
                last = whole_seconds(at) if points > 0 else None
                results[user] = MemberResult(points, last)
                if points == 0:  # a fresh room: an unscored member changes nothing (as in settle_room)
                    continue
                conn.execute(upsert_room, {"r": room_id, "u": user, "p": points, "t": last})
                board_rows["room"].append((user, encode(points, last)))
                for scope, sid in (("tournament", TOURNAMENT), ("league", LEAGUE)):
                    total, latest = conn.execute(
                        upsert_standing, {"s": scope, "i": sid, "u": user, "p": points, "t": last}
                    ).one()
                    board_rows[scope].append((user, encode(total, whole_seconds(latest))))
            versions = bump_versions(conn, [("room", room_id), ("tournament", TOURNAMENT), ("league", LEAGUE)])
            points_total = sum(x.points for x in results.values())
            conn.execute(settlement_ledger.insert().values(
                room_id=room_id, version=1, idempotency_key=f"{room_id}:v1", result_hash=result_hash(results),
                status="applied", members=len(results), changed_members=len(results), points_total=points_total,
                points_delta=points_total,
            ))  # fmt: skip
        t1 = time.perf_counter()
        for scope, sid in (("room", room_id), ("tournament", TOURNAMENT), ("league", LEAGUE)):
            key = scoreboards.board_key(scope, sid)
            for user, score in board_rows[scope]:
                self.r.zadd(key, {user: score})
            self.r.set(f"{key}:built", versions[(scope, sid)])
        t2 = time.perf_counter()
        return (t1 - t0) * 1000, (t2 - t1) * 1000, len(results)

    def phase_baseline(self) -> None:
        runs = max(2, self.args.baseline_runs)
        size = self.n
        print(f"\n2. baseline (a): row-by-row settlement, {runs} runs on fresh rooms (same engine; "
              f"SQLAlchemy Core text statements, one per member and table; ZADD one per member and board, "
              f"no pipeline)")  # fmt: skip
        full, scaled = [], []
        for k in range(runs + 1):
            if k == runs and not (full and scaled):
                break  # one extra run only when the first full-size run sent the others to SCALED_MEMBERS
            rid = f"rowwise-{k:02d}"
            self.autovacuum()
            self.load_rooms([rid], self.users[:size])
            self.build_boards(rid)
            db_ms, redis_ms, members = self.row_by_row(rid)
            total = db_ms + redis_ms
            with self.engine.connect() as conn:
                mismatches = ledger_mismatches(conn, rid)
            print(f"  run {k + 1} {rid}: {members} members: total {total / 1000:7.1f} s = db {db_ms / 1000:6.1f} s "
                  f"+ redis {redis_ms / 1000:5.1f} s"
                  f"{' !! ' + '; '.join(mismatches) if mismatches else ''}", flush=True)  # fmt: skip
            if members == self.n:
                full.append((total, db_ms, redis_ms))
            else:
                scaled.append(tuple(x * self.n / members for x in (total, db_ms, redis_ms)))
            if members == self.n and total > ROW_BY_ROW_LIMIT_S * 1000 and self.n > SCALED_MEMBERS:
                size = SCALED_MEMBERS
                print(f"  a {self.n}-member run takes > {ROW_BY_ROW_LIMIT_S:.0f} s: "
                      f"the next runs use {SCALED_MEMBERS} members, "
                      f"scaled linearly x{self.n / SCALED_MEMBERS:g}")  # fmt: skip
        measured = scaled if len(scaled) >= 2 else full + scaled
        how = (f"measured on {SCALED_MEMBERS} members, scaled x{self.n / SCALED_MEMBERS:g}" if len(scaled) >= 2
               else f"measured on {self.n} members")  # fmt: skip
        FIG["rowwise_basis"] = how
        put("rowwise_total_p50_ms", "row-by-row total p50", pct([m[0] for m in measured], 50), "ms", how)
        put(
            "rowwise_db_p50_ms", "row-by-row DB transaction p50 (incl. commit)", pct([m[1] for m in measured], 50), "ms"
        )
        put("rowwise_redis_p50_ms", "row-by-row Redis (3 ZADD per member) p50", pct([m[2] for m in measured], 50), "ms")
        put(
            "boards_match_after_rowwise",
            "Redis boards == PostgreSQL after the baseline",
            self.check_boards("after row-by-row"),
        )

    # ------------------------------------------------------------------ 3. floor

    def phase_floor(self) -> None:
        print(f"\n3. floor (b): COPY {self.n} rows into a temp table + one UPDATE of the tournament standings "
              f"+ ZADD of {self.n} members (pipeline of 10k chunks), one transaction, rolled back; "
              f"{FLOOR_RUNS} runs")  # fmt: skip
        base = 1_750_000_000
        rows = []
        for u in self.users:
            pts = self.rng.choice((0, 0, 1, 1, 1, 3))
            rows.append((u, pts, pts, None if pts == 0 else _ts(base + self.rng.randint(0, 86_400))))
        scratch = "bench:floor:scratch"
        self.r.zadd(scratch, {u: encode(0, None) for u, *_ in rows})  # members exist: the timed ZADD updates them
        copies, updates, zadds, totals = [], [], [], []
        for _ in range(FLOOR_RUNS):
            self.autovacuum()  # the rolled-back UPDATE left 50k dead rows
            with self.engine.connect() as conn:
                tx = conn.begin()
                t0 = time.perf_counter()
                conn.execute(sa.text("CREATE TEMP TABLE floor_stage (user_id text, delta bigint, points integer,"
                                     " last_scored_at timestamptz) ON COMMIT DROP"))  # fmt: skip
                raw = conn.connection.driver_connection
                with (
                    raw.cursor() as cur,
                    cur.copy("COPY floor_stage (user_id, delta, points, last_scored_at) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
                t1 = time.perf_counter()
                updated = conn.execute(sa.text(
                    "UPDATE standings s SET points = s.points + t.delta FROM floor_stage t"
                    " WHERE s.scope = 'tournament' AND s.scope_id = :tid AND s.user_id = t.user_id"
                ), {"tid": TOURNAMENT}).rowcount  # fmt: skip
                t2 = time.perf_counter()
                pipe = self.r.pipeline(transaction=False)
                for start in range(0, len(rows), 10_000):
                    pipe.zadd(scratch, {u: encode(p, at) for u, _, p, at in rows[start : start + 10_000]})
                pipe.execute()
                t3 = time.perf_counter()
                tx.rollback()
            if updated != self.n:
                print(f"  !! floor UPDATE touched {updated} rows, expected {self.n}")
            (
                copies.append((t1 - t0) * 1000),
                updates.append((t2 - t1) * 1000),
                zadds.append((t3 - t2) * 1000),
                totals.append((t3 - t0) * 1000),
            )
        self.r.delete(scratch)
        put("floor_copy_p50_ms", "(1) CREATE TEMP + COPY p50", pct(copies, 50), "ms")
        put("floor_update_p50_ms", "(2) UPDATE standings FROM temp (1 scope) p50", pct(updates, 50), "ms")
        put("floor_zadd_p50_ms", "(3) ZADD pipeline p50", pct(zadds, 50), "ms")
        put("floor_p50_ms", "floor (1)+(2)+(3) p50", pct(totals, 50), "ms")
        put("floor_max_ms", "floor max", max(totals), "ms")

    def ratios(self) -> None:
        print("\nratios")
        p95, p50 = FIG["settle_total_p95_ms"], FIG["settle_total_p50_ms"]
        over_floor = ratio(p95, FIG["floor_p50_ms"])
        speedup = ratio(FIG.get("rowwise_total_p50_ms"), p50)
        put(
            "settle_p95_over_floor_p50",
            "settlement p95 / floor p50",
            over_floor,
            "x",
            verdict(over_floor is not None and over_floor <= 2, "<= 2x"),
        )
        put(
            "rowwise_p50_over_settle_p50",
            "row-by-row p50 / settlement p50",
            speedup,
            "x",
            verdict(speedup is not None and speedup >= 5, ">= 5x"),
        )
        put("settle_db_p50_over_floor_db_p50", "  settlement DB p50 / floor (COPY+UPDATE) p50",
            ratio(FIG["settle_db_p50_ms"], FIG["floor_copy_p50_ms"] + FIG["floor_update_p50_ms"]), "x")  # fmt: skip
        put("settle_redis_p50_over_floor_zadd_p50", "  settlement Redis p50 / floor ZADD p50 (3 boards vs 1)",
            ratio(FIG["settle_redis_p50_ms"], FIG["floor_zadd_p50_ms"]), "x")  # fmt: skip

    # ------------------------------------------------------------------ 4. rebuild and the HTTP read

    def phase_rebuild(self) -> None:
        print(f"\n4a. scoreboards.rebuild(tournament) x{REBUILD_RUNS}")
        times, sizes = [], set()
        for _ in range(REBUILD_RUNS):
            t0 = time.perf_counter()
            sizes.add(scoreboards.rebuild(self.r, self.engine, "tournament", TOURNAMENT))
            times.append((time.perf_counter() - t0) * 1000)
        put("rebuild_board_size", "board size", sorted(sizes, key=str))
        put("rebuild_rooms_in_tournament", "rooms in the tournament (its member query unions them)", self.rooms_loaded)
        put("rebuild_p50_ms", "rebuild p50", pct(times, 50), "ms")
        put("rebuild_max_ms", "rebuild max", max(times), "ms")

    def start_api(self, extra_env: dict[str, str]) -> tuple[subprocess.Popen, str]:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "REDIS_URL": self.redis_url,
            "API_JWT_SECRET": SECRET,
            **extra_env,
        }
        log = self.tmp / "api.log"
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "contest_pipelines.api.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            "1",
        ]
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.stack.callback(stop_process, proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    return proc, base
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"API not ready: {log.read_text()[-2000:]}")
            time.sleep(0.2)

    async def raw_hammer(self, url: str, concurrency: int, seconds: float) -> tuple[list[float], Counter, float]:
        """`concurrency` clients looping GETs, each on its own HTTP/1.1 keep-alive connection (asyncio streams):
        httpx's connection pool costs a whole CPU at this concurrency (encode/httpx#3215)."""
        parts = urlsplit(url)
        request = f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
        latencies: list[float] = []
        codes: Counter = Counter()
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                try:
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                except OSError as exc:
                    codes[type(exc).__name__] += 1
                    await asyncio.sleep(0.01)
                    continue
                try:
                    while time.perf_counter() < deadline:
                        t0 = time.perf_counter()
                        writer.write(request)
                        head = await reader.readuntil(b"\r\n\r\n")
                        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                        if length is None:
                            raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
                        await reader.readexactly(int(length[1]))
                        latencies.append((time.perf_counter() - t0) * 1000)
                        codes[int(head.split(b" ", 2)[1])] += 1
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                    codes[type(exc).__name__] += 1  # reconnect
                finally:
                    writer.close()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, codes, time.perf_counter() - started

    def load_run(self, key: str, name: str, hammer, url: str, server_pid: int, c: int) -> None:
        """Warm-up (not counted), then HTTP_SECONDS of `hammer` at concurrency `c`; prints and records figures."""
        asyncio.run(hammer(url, c, HTTP_WARMUP_SECONDS))
        server0, client0 = process_cpu(server_pid), own_cpu()
        latencies, codes, elapsed = asyncio.run(hammer(url, c, HTTP_SECONDS))
        server1, client1 = process_cpu(server_pid), own_cpu()
        rps = len(latencies) / elapsed
        print(f"  {name}:")
        put(f"{key}_status", f"  responses by status ({elapsed:.1f} s)", dict(codes))
        put(f"{key}_rps", "  requests/s", rps, "/s")
        for q in (50, 95):
            put(f"{key}_p{q}_ms", f"  latency p{q}", pct(latencies, q), "ms")
        p99 = pct(latencies, 99)
        put(f"{key}_p99_ms", "  latency p99", p99, "ms", verdict(p99 is not None and p99 < 10, "< 10 ms"))
        put(f"{key}_littles_law_ms", f"  Little's law: {c} clients / throughput", 1000 * c / rps if rps else None, "ms",
            f"(p99 < 10 ms at c={c} needs >= {c * 100} req/s)")  # fmt: skip
        put(f"{key}_cpu", "  CPU used (cores): API server, load generator",
            {"server": None if server0 is None else round((server1 - server0) / elapsed, 2),
             "client": round((client1 - client0) / elapsed, 2)})  # fmt: skip

    def phase_http(self) -> None:
        print(f"\n4b. GET /api/scoreboards/tournament/{TOURNAMENT}?limit=100 through the API "
              "(uvicorn, --workers 1, same machine as the load generator), first with the page cache off "
              "(BOARD_CACHE_SECONDS=0: every request reads the board version and the page), "
              "then as configured by default")  # fmt: skip
        for key, cache in (("http_uncached", "0"), ("http", None)):
            self.http_round(key, cache)

    def http_round(self, key: str, cache_seconds: str | None) -> None:
        print(f"\n  -- BOARD_CACHE_SECONDS={cache_seconds or 'default (1)'}")
        proc, base = self.start_api({} if cache_seconds is None else {"BOARD_CACHE_SECONDS": cache_seconds})
        url = f"{base}/api/scoreboards/tournament/{TOURNAMENT}?limit=100"
        body = httpx.get(url, timeout=30).json()
        put(f"{key}_page_check", "page: source, rows, total",
            {"source": body["source"], "rows": len(body["rows"]), "total": body["total"]},
            note="expected redis, 100, the board size")  # fmt: skip
        seq = []
        with httpx.Client(timeout=30) as client:
            for _ in range(HTTP_SEQUENTIAL):
                t0 = time.perf_counter()
                client.get(url).raise_for_status()
                seq.append((time.perf_counter() - t0) * 1000)
        for q in (50, 95, 99):
            put(f"{key}_seq_p{q}_ms", f"concurrency 1 ({HTTP_SEQUENTIAL} sequential requests) p{q}", pct(seq, q), "ms")
        put(f"{key}_seq_rps", "concurrency 1 requests/s", 1000 * len(seq) / sum(seq), "/s")
        for c in (HTTP_CONCURRENCY, HTTP_LOW_CONCURRENCY):
            self.load_run(
                f"{key}_c{c}_raw", f"concurrency {c}, minimal asyncio-streams client", self.raw_hammer, url, proc.pid, c
            )
        wrk = shutil.which("wrk")
        if wrk:
            out = subprocess.run(
                [wrk, "-t1", f"-c{HTTP_CONCURRENCY}", "-d10s", "--latency", url],
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            print(f"  wrk -t1 -c{HTTP_CONCURRENCY} -d10s --latency (one load thread: the other core is the server's):")
            for line in out.splitlines():
                print(f"    {line}")
            FIG[f"{key}_wrk"] = out
        else:
            put(f"{key}_wrk", "wrk", None, note="not installed (`which wrk` empty): skipped")
        stop_process(proc)

    # ------------------------------------------------------------------ 5. explain

    def phase_explain(self) -> None:
        print("\n5. settlement p50 > 2x the floor (or --explain always): one more settlement with auto_explain "
              "(ANALYZE, BUFFERS; timings inflated by instrumentation), plans of the slowest statements")  # fmt: skip
        rid = "bench-explain"
        self.load_rooms([rid], self.users)
        self.build_boards(rid)
        notices: list[str] = []
        explain_engine = sa.create_engine(sqlalchemy_url(self.url), poolclass=sa.NullPool)

        @event.listens_for(explain_engine, "connect")
        def _auto_explain(dbapi_conn, _record):
            dbapi_conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
            with dbapi_conn.cursor() as cur:
                cur.execute("LOAD 'auto_explain'")
                for setting in ("log_min_duration = 0", "log_analyze = on", "log_buffers = on", "log_level = 'notice'"):
                    cur.execute(f"SET auto_explain.{setting}")
            dbapi_conn.commit()

        try:
            t0 = time.perf_counter()
            settled = settle_and_project(explain_engine, self.r, rid)
            print(f"  instrumented settlement: {(time.perf_counter() - t0) * 1000:.0f} ms, "
                  f"db_ms {settled.outcome.db_ms:.0f}, {settled.outcome.status}")  # fmt: skip
        except Exception as exc:  # auto_explain missing (embedded server) or not allowed
            print(f"  auto_explain unavailable: {type(exc).__name__}: {exc}")
            return
        finally:
            explain_engine.dispose()
        plans = []
        for text in notices:
            m = re.match(r"duration: ([\d.]+) ms", text)
            if m:
                plans.append((float(m[1]), text))
        plans.sort(reverse=True)
        FIG["explain_top_ms"] = {}
        for ms, text in plans[:4]:
            query = re.search(r"Query Text: (.*)", text)
            name = label(query[1]) if query else "?"
            FIG["explain_top_ms"][name] = ms
            print(f"\n  ---- {ms:.1f} ms: {name}")
            for line in text.splitlines()[1:]:
                print(f"    {line}")
        self.check_boards("after the explain run")


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ts(seconds: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--baseline-runs", type=int, default=2, help="row-by-row runs (at least 2)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--only", default="", help=f"comma-separated phases to run (default all: {','.join(PHASES)})")
    parser.add_argument("--explain", choices=("auto", "always", "never"), default="auto",
                        help="auto: when settlement p50 > 2x the floor p50")  # fmt: skip
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still drops the database and frees the Redis db
    started = time.time()
    try:
        with ExitStack() as stack:
            bench = Bench(args, stack)
            bench.setup()
            only = set(args.only.split(",")) if args.only else set(PHASES)
            if unknown := only - set(PHASES):
                raise SystemExit(f"--only: unknown phases {sorted(unknown)} (known: {', '.join(PHASES)})")
            for phase in PHASES:
                if phase in only:
                    getattr(bench, f"phase_{phase}")()
            if {"settle", "floor"} <= only:
                bench.ratios()
            far = (ratio(FIG.get("settle_total_p50_ms"), FIG.get("floor_p50_ms")) or 0) > 2
            if args.explain == "always" or (args.explain == "auto" and far):
                bench.phase_explain()
            print("\ncleanup: dropping the database, flushing Redis db 13")
    except BaseException as exc:
        FIG["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        FIG["wall_s"] = round(time.time() - started, 1)
        print("RESULT " + json.dumps(FIG, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
