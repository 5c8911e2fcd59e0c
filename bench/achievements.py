"""Benchmark of the achievement processors (issue 11): a full rebuild and an incremental tick, against one scan.

On a fresh database (migrated, dropped on exit) it generates a product's worth of sources with set-based SQL
(`generate_series`, `random()` after `setseed`), then VACUUM ANALYZE:
`--players` players (a Codeforces handle and a game platform id each, ~30% with a time zone, ~50% in a team, ~10%
with a calendar feed), 1 league, 10 tournaments and `--rooms` settled rooms over the last 20 weeks (500 members with
room results and one applied ledger row each), `--verified` verified solves (detections, some problems verified in
two rooms), `--ctf-solves` CTF solves (challenge_solves, skewed: a few players solve far more), 50 Flash CTF events
of 10% of the players each. Then, warm, against baselines measured in the same run:

1. floor: one scan of every source table the processors read (`count(*)`, a hash of the key and a max over every
   row, one query per table), best of 3 after one untimed run; and the floor of the solve tables alone
   (detections + challenge_solves), which is all most processors read.
2. rebuild from empty: achievement_progress, achievement_completions and achievement_checkpoints truncated, then
   `reconcile(engine, p, rebuild=True)` for each processor in REGISTRY order: seconds, players, rows changed, and the
   ratio to the floors, then `achievement_progress` vacuumed once (as `reconcile_all(rebuild=True)` does). Goal
   (issue 11): a rebuild <= 3x one scan of the source tables. Also printed: the floor of writing the rebuilt rows
   (one INSERT ... SELECT of them into an empty copy of the table), which no derivation can go under.
3. incremental tick: `--tick-solves` new solves (90% CTF, 10% verified, dated within the last day) of 80% as many
   players, committed; then one `reconcile_all(engine)`: per processor its own `duration_ms` and the wall time of its
   transaction (pool check-ins), and the total. Goals: a tick < 1 s and >= 20x cheaper than the rebuild. Then a tick
   with nothing new, and the next tick after as many new solves again (other players; the first tick follows a
   rebuild, which leaves the caches and the progress table's pages as no running system has them). Correctness
   (printed; exit code 1 when it fails): the progress after the ticks equals a rebuild from empty of the same
   sources.

It prints figures and never asserts a timing; the last line is one JSON object with every figure. `--explain ID`
prints EXPLAIN (ANALYZE, BUFFERS) of that processor's derive + upsert as the tick sent it (statement and keys
captured from the tick, re-run after it in a transaction rolled back; the upsert then finds nothing to change).

    .venv/bin/python bench/achievements.py --quick                  # 1/20 of every size: a smoke run
    .venv/bin/python bench/achievements.py [--players 20000] [--ctf-solves 5000000] [--verified 500000] [--rooms 200]
    .venv/bin/python bench/achievements.py --quick --explain streak_7
    .venv/bin/python bench/achievements.py --keep-db cp_bench_kept   # load once, re-run the phases (drop it after)

PostgreSQL: the server of DATABASE_URL when set, else the embedded one under .data/bench. No Redis (nothing is
announced).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench._common import DATA_DIR, pct, ratio  # noqa: E402
from contest_pipelines.achievements import processors, rollup  # noqa: E402
from contest_pipelines.achievements.processors import REGISTRY, TickReport, reconcile, reconcile_all  # noqa: E402
from contest_pipelines.db.engine import get_engine  # noqa: E402
from contest_pipelines.db.migrate import upgrade  # noqa: E402
from contest_pipelines.embedded import create_database, drop_database, postgres_server, with_path  # noqa: E402

GOAL_REBUILD_X = 3.0  # a rebuild costs at most 3 scans of the source tables
GOAL_TICK_S = 1.0  # an incremental tick under a second...
GOAL_TICK_CHEAPER_X = 20.0  # ...and at least 20x cheaper than the rebuild
FLOOR_RUNS = 3
QUICK = 20  # --quick divides every size by this
ZONES = ("Asia/Kolkata", "America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo")
CATEGORIES = ("web", "pwn", "crypto", "rev", "forensics", "misc", "osint", "stego")
TOURNAMENTS, FLASH_EVENTS = 10, 50
SOLVE_TABLES = ("detections", "challenge_solves")
# (table, key hashed, column maxed): one query per source table touching every row is the floor.
SCANS = (
    ("detections", "user_id", "cf_timestamp"),
    ("challenge_solves", "syned_user_id", "solved_at"),
    ("flash_ctf_events", "syned_user_id", "starts_at"),
    ("room_results", "user_id", "points"),
    ("settlement_ledger", "room_id", "created_at"),
    ("players", "user_id", "time_zone"),
    ("team_members", "user_id", "joined_at"),
    ("calendar_feed_tokens", "user_id", "created_at"),
    ("rooms", "room_id", "ends_at"),
)
STATE_TABLES = ", ".join(("achievement_progress", "achievement_completions", "achievement_checkpoints", *rollup.TABLES,
                           "achievement_solve_changes", "achievement_solve_consumed"))  # fmt: skip
SNAPSHOT = "achievement_id, specifier, current_step, complete, completed_at, amount, detail::text AS detail"
FIG: dict[str, object] = {}  # every figure, printed as one JSON line at the end


def fig(key: str, label: str, value: object, unit: str = "", note: str = "") -> None:
    """Keep a figure and print it on one line (seconds with 3 decimals, ratios with 2)."""
    FIG[key] = round(value, 4) if isinstance(value, float) else value
    if value is None:
        text = "n/a"
    elif unit == "s":
        text = f"{value:.3f} s"
    elif unit == "ms":
        text = f"{value:.0f} ms"
    elif unit == "x":
        text = f"{value:.2f}x"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    print(f"  {label:<56}{text:>16}  {note}".rstrip(), flush=True)


def goal(key: str, met: bool | None, text: str) -> None:
    FIG[key] = met
    print(f"  goal {text}: {'n/a' if met is None else 'met' if met else 'NOT met'}", flush=True)


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


# ---------------------------------------------------------------------------------------------- sizes and data


@dataclass(frozen=True)
class Sizes:
    players: int
    verified: int
    ctf: int
    rooms: int
    members: int  # per room
    per_event: int  # Flash CTF participants per event
    tick_solves: int
    tick_players: int


def sizes(args: argparse.Namespace) -> Sizes:
    div = QUICK if args.quick else 1

    def pick(given: int | None, default: int) -> int:
        return given if given is not None else max(1, default // div)

    players = pick(args.players, 20_000)
    tick = pick(args.tick_solves, 10_000)
    return Sizes(
        players=players,
        verified=pick(args.verified, 500_000),
        ctf=pick(args.ctf_solves, 5_000_000),
        rooms=pick(args.rooms, 200),
        members=min(players, max(1, 500 // div)),
        per_event=max(1, players // 10),
        tick_solves=tick,
        tick_players=min(players, max(1, tick * 4 // 5)),
    )


def player(n: str) -> str:
    return f"'p' || lpad(({n})::int::text, 6, '0')"


def platform(n: str) -> str:
    return f"'g' || lpad(({n})::int::text, 6, '0')"


def room(n: str) -> str:
    return f"'r' || lpad(({n})::int::text, 4, '0')"


def text_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def load_statements(s: Sizes) -> list[tuple[str, str]]:
    """(table, INSERT ... SELECT) in dependency order; all random draws follow one setseed."""
    teams = max(1, s.players // 10)
    return [
        ("players", f"""
            INSERT INTO players (user_id, cf_handle, display_name, game_platform_id, time_zone, created_at)
            SELECT {player("i")}, 'cf_' || i, 'Player ' || i, {platform("i")},
                   CASE WHEN random() < 0.3 THEN ({text_array(ZONES)})[1 + floor(random() * {len(ZONES)})::int] END,
                   now() - random() * interval '500 days'
            FROM generate_series(1, {s.players}) i"""),
        ("teams", f"""
            INSERT INTO teams (team_id, name) SELECT 't' || i, 'Team ' || i FROM generate_series(1, {teams}) i"""),
        ("team_members", f"""
            INSERT INTO team_members (team_id, user_id, joined_at)
            SELECT 't' || (1 + floor(random() * {teams})::int), user_id, now() - random() * interval '400 days'
            FROM players WHERE random() < 0.5"""),
        ("calendar_feed_tokens", """
            INSERT INTO calendar_feed_tokens (user_id, token, created_at)
            SELECT user_id, md5(user_id || random()::text), now() - random() * interval '200 days'
            FROM players WHERE random() < 0.1"""),
        ("leagues", "INSERT INTO leagues (league_id, name) VALUES ('L1', 'Bench league')"),
        ("tournaments", f"""
            INSERT INTO tournaments (tournament_id, league_id, name)
            SELECT 'T' || i, 'L1', 'Tournament ' || i FROM generate_series(1, {TOURNAMENTS}) i"""),
        ("rooms", f"""
            INSERT INTO rooms (room_id, name, starts_at, ends_at, status, tournament_id, kind)
            SELECT {room("i")}, 'Room ' || i, ends_at - interval '2 hours', ends_at, 'settled',
                   'T' || (1 + i % {TOURNAMENTS}), CASE WHEN i % 2 = 0 THEN 'prediction' ELSE 'contest' END
            FROM (SELECT i, now() - interval '1 hour' - (i - 1)::float8 / {s.rooms} * interval '140 days' AS ends_at
                  FROM generate_series(1, {s.rooms}) i) r"""),
        ("room_members", f"""
            INSERT INTO room_members (room_id, user_id)
            SELECT r.room_id, p.user_id FROM rooms r CROSS JOIN players p
            WHERE random() < {s.members / s.players}"""),
        ("room_results", """
            INSERT INTO room_results (room_id, user_id, points, last_scored_at, version)
            SELECT m.room_id, m.user_id, floor(random() * 11)::int, r.ends_at - random() * interval '2 hours', 1
            FROM room_members m JOIN rooms r USING (room_id)"""),
        ("settlement_ledger", """
            INSERT INTO settlement_ledger (room_id, version, idempotency_key, result_hash, status, members,
                                           points_total, created_at, winners)
            SELECT r.room_id, 1, 'bench-' || r.room_id || '-v1', md5(r.room_id), 'applied', t.members, t.points,
                   r.ends_at + interval '5 minutes', w.users
            FROM rooms r
            CROSS JOIN LATERAL (SELECT count(*) AS members, coalesce(sum(points), 0) AS points
                                FROM room_results WHERE room_id = r.room_id) t
            CROSS JOIN LATERAL (
                SELECT array_agg(user_id ORDER BY user_id) AS users
                FROM (SELECT user_id, points,
                             rank() OVER (ORDER BY points DESC, last_scored_at ASC NULLS LAST) AS place
                      FROM room_results WHERE room_id = r.room_id) ranked
                WHERE place = 1 AND points > 0) w"""),
        ("detections", f"""
            INSERT INTO detections (room_id, user_id, problem_id, cf_submission_id, cf_timestamp)
            SELECT {room(f"1 + floor(random() * {s.rooms})")}, {player(f"1 + floor(random() * {s.players})")},
                   (1000 + floor(random() * 1000))::int || chr(65 + floor(random() * 6)::int), i,
                   extract(epoch FROM now())::bigint - floor(random() * 400 * 86400)::bigint
            FROM generate_series(1, {s.verified}) i
            ON CONFLICT DO NOTHING"""),
        ("challenge_solves", f"""
            INSERT INTO challenge_solves (syned_user_id, challenge_solve_id, source, challenge_id, category, points,
                                          solved_at)
            SELECT {platform(f"1 + floor({s.players} * power(random(), 1.5))")}, i::text, 'odl', 'c' || i % 5000,
                   ({text_array(CATEGORIES)})[1 + floor(random() * {len(CATEGORIES)})::int], 100,
                   now() - random() * interval '400 days'
            FROM generate_series(1, {s.ctf}) i"""),
        ("flash_ctf_events", f"""
            INSERT INTO flash_ctf_events (syned_user_id, event_id, name, challenges_solved, points_earned, rank,
                                          starts_at, ends_at, synced_at)
            SELECT p.game_platform_id, 'flash-' || e, 'Flash CTF ' || e, floor(random() * 10)::int,
                   floor(random() * 1000)::int, 1 + floor(random() * {s.per_event})::int,
                   now() - e * interval '7 days', now() - e * interval '7 days' + interval '3 hours', now()
            FROM generate_series(1, {FLASH_EVENTS}) e CROSS JOIN players p
            WHERE random() < {s.per_event / s.players}"""),
    ]  # fmt: skip


def load(engine: sa.Engine, s: Sizes, seed: float) -> None:
    heading("data (set-based SQL, one transaction), then VACUUM ANALYZE")
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        conn.execute(sa.text("SELECT setseed(:seed)"), {"seed": seed})
        for table, sql in load_statements(s):
            t0 = time.perf_counter()
            rows = conn.execute(sa.text(sql)).rowcount
            fig(f"rows_{table}", f"{table}", rows, note=f"{time.perf_counter() - t0:.1f} s")
    loaded = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
        size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    fig("load_s", "load", loaded - started, "s")
    fig("vacuum_analyze_s", "VACUUM ANALYZE", time.perf_counter() - loaded, "s")
    fig("database_mb", "database size (MB)", round(size / 2**20))
    describe_solves(engine)


def describe_solves(engine: sa.Engine) -> None:
    """Solves per player (verified + CTF): how skewed the load is."""
    with engine.connect() as conn:
        counts = conn.execute(sa.text("""
            SELECT count(*) FROM (SELECT user_id FROM detections
                                  UNION ALL SELECT p.user_id FROM challenge_solves s
                                  JOIN players p ON p.game_platform_id = s.syned_user_id) s
            GROUP BY user_id""")).scalars().all()  # fmt: skip
    fig("solvers", "players with a solve", len(counts))
    for q in (50, 90, 99):
        fig(f"solves_per_player_p{q}", f"solves per player p{q}", pct(counts, q))
    fig("solves_per_player_max", "solves per player max", max(counts, default=None))


# ---------------------------------------------------------------------------------------------- 1. floor


def floor(engine: sa.Engine) -> tuple[float, float]:
    """Best of FLOOR_RUNS (after one warm-up) of one full scan per source table; (all tables, solve tables)."""
    heading(f"1. floor: one scan of each source table (best of {FLOOR_RUNS}, warm)")
    best: dict[str, float] = {}
    with engine.connect() as conn:
        for table, key, col in SCANS:
            sql = sa.text(f"SELECT count(*), sum(hashtext({key})), max({col}) FROM {table}")
            rows = conn.execute(sql).first()[0]  # warm-up, untimed
            times = []
            for _ in range(FLOOR_RUNS):
                t0 = time.perf_counter()
                conn.execute(sql).first()
                times.append(time.perf_counter() - t0)
            best[table] = min(times)
            fig(f"floor_{table}_s", f"{table} ({rows:,} rows)", best[table], "s")
    everything = sum(best.values())
    solves = sum(best[t] for t in SOLVE_TABLES)
    fig("floor_s", "floor: all source tables", everything, "s")
    fig("floor_solves_s", "floor: solve tables (detections + challenge_solves)", solves, "s")
    return everything, solves


# ---------------------------------------------------------------------------------------------- 2. rebuild


def truncate_state(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {STATE_TABLES}"))


def rebuild(engine: sa.Engine, done: Callable[[TickReport, float], None] | None = None) -> float:
    """The solve rollup, then every processor, rebuilt from empty, in registry order; `done(report, wall seconds)`
    after each. The total."""
    truncate_state(engine)
    t0 = time.perf_counter()
    refreshed = processors.refresh_rollup(engine, rebuild=True)
    total = time.perf_counter() - t0
    if done:
        done(TickReport(rollup.CHECKPOINT, refreshed.players, refreshed.players, [], refreshed.duration_ms), total)
    for p in REGISTRY:
        t0 = time.perf_counter()
        report = reconcile(engine, p, rebuild=True, refresh=False, settle=False)
        wall = time.perf_counter() - t0
        total += wall
        if done:
            done(report, wall)
    t0 = time.perf_counter()
    processors.settle_after_rebuild(engine)  # once, as reconcile_all(rebuild=True) does
    wall = time.perf_counter() - t0
    if done:
        done(TickReport("vacuum_progress", 0, 0, [], int(wall * 1000)), wall)
    return wall + total


def phase_rebuild(engine: sa.Engine, floor_all: float, floor_solves: float) -> float:
    heading(
        "2. rebuild from empty (TRUNCATE progress, completions, checkpoints, the rollup; the rollup rebuilt, then"
        " reconcile(rebuild=True) each)"
    )
    print(f"  {'processor':<24}{'seconds':>9}{'players':>9}{'changed':>9}{'completed':>10}"
          f"{'x solves floor':>16}{'x floor':>9}")  # fmt: skip
    over: list[str] = []

    def row(report: TickReport, wall: float) -> None:
        name = report.processor
        FIG[f"rebuild_{name}_s"] = round(wall, 4)
        FIG[f"rebuild_{name}_players"], FIG[f"rebuild_{name}_changed"] = report.players, report.changed
        if wall > GOAL_REBUILD_X * floor_solves:
            over.append(name)
        print(f"  {name:<24}{wall:>9.3f}{report.players:>9,}{report.changed:>9,}{len(report.completed):>10,}"
              f"{ratio(wall, floor_solves):>15.2f}x{ratio(wall, floor_all):>8.2f}x", flush=True)  # fmt: skip

    total = rebuild(engine, row)
    fig("rebuild_s", "rebuild, every processor", total, "s")
    fig("rebuild_x_floor", "rebuild / floor (all source tables)", ratio(total, floor_all), "x")
    fig("rebuild_progress_rows", "progress rows after the rebuild", progress_rows(engine))
    written = write_floor(engine)
    fig("write_floor_s", "floor of writing them (one INSERT ... SELECT into an empty copy, same indexes)", written, "s")
    both = ratio(total, floor_all + written)
    fig("rebuild_x_scan_and_write_floor", "rebuild / (scan floor + write floor)", both, "x")
    goal("goal_rebuild_met", total <= GOAL_REBUILD_X * floor_all, f"rebuild <= {GOAL_REBUILD_X:g}x the floor")
    FIG["rebuild_processors_over_goal"] = over
    steps = len(REGISTRY) + 2  # the rollup, every processor, the vacuum
    goal("goal_rebuild_each_met", not over,
         f"each step <= {GOAL_REBUILD_X:g}x the solve tables' floor ({steps - len(over)}/{steps}"
         f" are; over: {', '.join(over) or 'none'})")  # fmt: skip
    return total


def write_floor(engine: sa.Engine) -> float:
    """Writing the rebuild's output however it is derived: every progress row inserted by one INSERT ... SELECT
    into an empty copy of the table with the same indexes (logged like it; no foreign keys). Dropped after."""
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS bench_write_floor"))
        conn.execute(sa.text("CREATE TABLE bench_write_floor (LIKE achievement_progress INCLUDING ALL)"))
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO bench_write_floor SELECT * FROM achievement_progress"))
    wall = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE bench_write_floor"))
    return wall


def progress_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM achievement_progress")).scalar_one()


# ---------------------------------------------------------------------------------------------- 3. tick

TICK_SQL = """
    WITH picked AS (
        SELECT user_id, game_platform_id, row_number() OVER () AS k
        FROM (SELECT user_id, game_platform_id FROM players ORDER BY random() LIMIT {tick_players}) p
    ),
    ctf AS (
        INSERT INTO challenge_solves (syned_user_id, challenge_solve_id, source, challenge_id, category, points,
                                      solved_at)
        SELECT p.game_platform_id, '{prefix}' || i, 'odl', 'c' || i % 5000,
               ({categories})[1 + floor(random() * {n_categories})::int], 100, now() - random() * interval '1 day'
        FROM generate_series(1, {ctf_rows}) i JOIN picked p ON p.k = 1 + (i - 1) % {tick_players}
        RETURNING syned_user_id
    ),
    verified AS (
        INSERT INTO detections (room_id, user_id, problem_id, cf_submission_id, cf_timestamp)
        SELECT {room}, p.user_id, '{prefix}' || i, {submissions} + i,
               extract(epoch FROM now())::bigint - floor(random() * 86400)::bigint
        FROM generate_series({ctf_rows} + 1, {tick_solves}) i JOIN picked p ON p.k = 1 + (i - 1) % {tick_players}
        ON CONFLICT DO NOTHING
        RETURNING user_id
    )
    SELECT (SELECT count(*) FROM ctf), (SELECT count(*) FROM verified),
           (SELECT count(DISTINCT user_id) FROM (SELECT p.user_id FROM ctf JOIN players p
                                                 ON p.game_platform_id = ctf.syned_user_id
                                                 UNION ALL SELECT user_id FROM verified) u)
"""


def insert_tick_solves(engine: sa.Engine, s: Sizes, batch: int = 1) -> None:
    """Batch 1 is the tick's; batch 2 the steady tick's (other ids, other players)."""
    sql = TICK_SQL.format(
        prefix=f"tick{batch}-", submissions=1_000_000_000 * batch,
        tick_players=s.tick_players, tick_solves=s.tick_solves, ctf_rows=s.tick_solves * 9 // 10,
        categories=text_array(CATEGORIES), n_categories=len(CATEGORIES), room=room(f"1 + floor(random() * {s.rooms})"),
    )  # fmt: skip
    with engine.begin() as conn:
        ctf, verified, touched = conn.execute(sa.text(sql)).one()
    key = "tick" if batch == 1 else "steady_tick"
    fig(f"{key}_new_ctf_solves", "new CTF solves (committed)", ctf)
    fig(f"{key}_new_verified_solves", "new verified solves (committed)", verified)
    fig(f"{key}_players_touched", "players they belong to", touched)


def rows_since_checkpoint(engine: sa.Engine) -> int:
    """Solve rows at or above the lowest checkpoint: what the dirty scans will read. Far more than the new solves
    means a transaction somewhere on the server held the horizon down when the rebuild ran (xmin is cluster-wide)."""
    with engine.connect() as conn:
        return conn.execute(sa.text("""
            WITH lo AS (SELECT min(lower_xid) AS x FROM achievement_checkpoints)
            SELECT (SELECT count(*) FROM detections, lo WHERE write_xid >= lo.x)
                 + (SELECT count(*) FROM challenge_solves, lo WHERE write_xid >= lo.x)""")).scalar_one()  # fmt: skip


class CheckIns:
    """When each pooled connection goes back to the pool: a reconcile's transaction has then committed."""

    def __init__(self, engine: sa.Engine):
        self.times: list[float] = []
        event.listen(engine, "checkin", self._on_checkin)

    def _on_checkin(self, dbapi_connection, connection_record) -> None:
        self.times.append(time.perf_counter())


class Captured:
    """The statement and parameters one processor's derive + upsert is sent with during the tick (cursor events):
    what `--explain` re-runs, exactly as `processors._tick` built it."""

    def __init__(self, engine: sa.Engine, processor_id: str):
        processor = processors.PROCESSORS[processor_id]
        derive = processor.rollup or processor.derive
        self.wanted = str(sa.text(processors.UPSERT_SQL.format(derive=derive)).compile(dialect=engine.dialect))
        self.statement: str | None = None
        self.parameters: dict | None = None
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement == self.wanted and self.statement is None:  # the tick's, not the idle tick's after it
            self.statement, self.parameters = statement, parameters


def explain(engine: sa.Engine, processor_id: str, captured: Captured) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the processor's derive + upsert with the tick's keys, rolled back. It runs after
    the tick: the derivation reads what the tick read; the upsert finds the tick's writes already there."""
    heading(f"EXPLAIN (ANALYZE, BUFFERS) of {processor_id}'s derive + upsert with the tick's keys (rolled back)")
    if captured.statement is None:
        print("  the tick ran no derivation for it (no keys)")
        return
    print(f"  {len(captured.parameters.get('keys', [])):,} keys")
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + captured.statement, captured.parameters)
        for line in plan.scalars():
            print(f"  | {line}")
        conn.rollback()


def timed_tick(engine: sa.Engine, clock: CheckIns) -> tuple[list, list[float | None], float]:
    """One reconcile_all: (reports, wall seconds of the rollup's refresh and then of each processor, from the
    check-ins, total wall seconds)."""
    clock.times.clear()
    t0 = time.perf_counter()
    reports = reconcile_all(engine)
    total = time.perf_counter() - t0
    marks = [t0, *clock.times]
    if len(clock.times) != len(reports) + 1:  # a failed tick records its error in a second transaction
        return reports, [None] * (len(reports) + 1), total
    return reports, [b - a for a, b in zip(marks, marks[1:], strict=False)], total


def phase_tick(engine: sa.Engine, s: Sizes, rebuild_total: float, explain_id: str | None) -> bool:
    heading("3. incremental tick (new solves committed, then one reconcile_all)")
    insert_tick_solves(engine, s)
    reread = rows_since_checkpoint(engine)
    held = "more than the new solves: a transaction held the horizon down"
    fig("tick_rows_since_checkpoint", "solve rows at or above the checkpoints", reread,
        note="" if reread <= s.tick_solves else held)  # fmt: skip
    captured = Captured(engine, explain_id) if explain_id else None
    clock = CheckIns(engine)
    reports, walls, total = timed_tick(engine, clock)
    failed = [r for r in reports if isinstance(r, Exception)]
    print(f"  {'processor':<24}{'wall ms':>9}{'own ms':>8}{'players':>9}{'changed':>9}{'completed':>10}")
    refresh_wall, walls = walls[0], walls[1:]
    FIG["tick_solve_rollup_ms"] = None if refresh_wall is None else round(refresh_wall * 1000, 1)
    print(f"  {rollup.CHECKPOINT:<24}{'n/a' if refresh_wall is None else f'{refresh_wall * 1000:.0f}':>9}")
    for p, report, wall in zip(REGISTRY, reports, walls, strict=True):
        name = p.achievement_id
        if isinstance(report, Exception):
            print(f"  {name:<24} FAILED: {type(report).__name__}: {report}")
            continue
        FIG[f"tick_{name}_ms"] = None if wall is None else round(wall * 1000, 1)
        FIG[f"tick_{name}_own_ms"], FIG[f"tick_{name}_players"] = report.duration_ms, report.players
        shown = "n/a" if wall is None else f"{wall * 1000:.0f}"
        print(f"  {name:<24}{shown:>9}{report.duration_ms:>8}{report.players:>9,}{report.changed:>9,}"
              f"{len(report.completed):>10,}")  # fmt: skip
    fig("tick_s", "tick, every processor (reconcile_all)", total, "s")
    fig("rebuild_over_tick_x", "rebuild / tick", ratio(rebuild_total, total), "x")
    fig("tick_failures", "processors that failed", len(failed))
    goal("goal_tick_met", total < GOAL_TICK_S, f"tick < {GOAL_TICK_S:g} s")
    goal("goal_tick_cheaper_met", (ratio(rebuild_total, total) or 0) >= GOAL_TICK_CHEAPER_X,
         f"tick >= {GOAL_TICK_CHEAPER_X:g}x cheaper than the rebuild")  # fmt: skip
    idle_reports, idle_walls, idle = timed_tick(engine, clock)
    busy = [(r.processor, r.players, w) for r, w in zip(idle_reports, idle_walls[1:], strict=True)
            if isinstance(r, TickReport) and r.players]  # fmt: skip
    FIG["idle_tick_busy"] = {name: players for name, players, _ in busy}
    note = "; ".join(f"{n} re-derived {k:,} players" + (f" ({w * 1000:.0f} ms)" if w else "") for n, k, w in busy)
    fig("idle_tick_s", "tick with nothing new", idle, "s", note)
    insert_tick_solves(engine, s, batch=2)  # the same again: a tick that does not follow a rebuild
    steady_reports, _, steady = timed_tick(engine, clock)
    failed += [r for r in steady_reports if isinstance(r, Exception)]
    fig("steady_tick_s", "the next tick after as many new solves (not the first after a rebuild)", steady, "s",
        "; ".join(f"FAILED: {type(r).__name__}: {r}" for r in failed))  # fmt: skip
    if captured:
        explain(engine, explain_id, captured)
    return not failed


def snapshot(engine: sa.Engine, table: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE UNLOGGED TABLE {table} AS SELECT {SNAPSHOT} FROM achievement_progress"))


def differences(engine: sa.Engine, limit: int = 5) -> tuple[int, list]:
    """Rows in one snapshot and not the other, both ways: (count, a few of them)."""
    with engine.connect() as conn:
        conn.execute(sa.text("""
            CREATE TEMP TABLE bench_diff AS
            SELECT 'tick only' AS side, * FROM (TABLE bench_after_tick EXCEPT ALL TABLE bench_after_rebuild) a
            UNION ALL
            SELECT 'rebuild only', * FROM (TABLE bench_after_rebuild EXCEPT ALL TABLE bench_after_tick) b
        """))  # fmt: skip
        count = conn.execute(sa.text("SELECT count(*) FROM bench_diff")).scalar_one()
        sample = conn.execute(sa.text(f"SELECT * FROM bench_diff ORDER BY 2, 3, 1 LIMIT {limit}")).all()
        conn.rollback()
    return count, sample


def phase_verify(engine: sa.Engine) -> bool:
    heading("3b. the tick's progress equals a rebuild from empty")
    snapshot(engine, "bench_after_tick")
    fig("rebuild_again_s", "rebuild from empty again (after the tick)", rebuild(engine), "s")
    snapshot(engine, "bench_after_rebuild")
    count, sample = differences(engine)
    fig("tick_vs_rebuild_differences", "progress rows that differ", count)
    for row in sample:
        print(f"    {tuple(row)}")
    FIG["tick_equals_rebuild"] = count == 0
    print(f"  tick == rebuild: {'yes' if count == 0 else 'NO'}", flush=True)
    return count == 0


# ---------------------------------------------------------------------------------------------- main


def open_database(stack: ExitStack, keep: str | None = None) -> tuple[sa.Engine, bool]:
    """A fresh, migrated database on the server of DATABASE_URL (else the embedded one), dropped on exit; with
    `keep`, that database, created (and loaded by the caller) the first time and kept. (engine, needs loading)."""
    server = postgres_server(DATA_DIR)
    name = keep or f"cp_bench_achievements_{uuid.uuid4().hex[:8]}"
    fresh = True
    if keep:
        admin = get_engine(server.url)
        with admin.connect() as conn:
            fresh = not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        admin.dispose()
    if fresh:
        create_database(server.url, name)
    if not keep:
        stack.callback(print, f"dropped database {name}")
        stack.callback(drop_database, server.url, name)
    url = with_path(server.url, f"/{name}")
    upgrade(url)
    engine = get_engine(url)
    stack.callback(engine.dispose)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar_one()
        settings = {k: conn.execute(sa.text(f"SHOW {k}")).scalar_one() for k in ("shared_buffers", "work_mem")}
    print(f"PostgreSQL {version} from {server.source} (database {name}), {settings}, {os.cpu_count()} CPUs")
    FIG.update(postgres=version, cpus=os.cpu_count())
    return engine, fresh


def forget_last_run(engine: sa.Engine) -> None:
    """A kept database: the previous run's tick solves and snapshots go (the rebuild that follows re-derives
    everything from the sources)."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM challenge_solves WHERE challenge_solve_id LIKE 'tick%'"))
        conn.execute(sa.text("DELETE FROM detections WHERE problem_id LIKE 'tick%'"))
        conn.execute(sa.text("DROP TABLE IF EXISTS bench_after_tick, bench_after_rebuild"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, help="players (20000)")
    parser.add_argument("--ctf-solves", type=int, help="CTF solves, challenge_solves (5000000)")
    parser.add_argument("--verified", type=int, help="verified solves, detections (500000)")
    parser.add_argument("--rooms", type=int, help="settled rooms of 500 members (200)")
    parser.add_argument("--tick-solves", type=int, help="new solves before the incremental tick (10000)")
    parser.add_argument("--quick", action="store_true", help=f"1/{QUICK} of every default size: a smoke run")
    parser.add_argument("--explain", metavar="ID", choices=sorted(processors.PROCESSORS),
                        help="EXPLAIN ANALYZE this processor's derive + upsert during the tick")  # fmt: skip
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() of the data (-1..1)")
    parser.add_argument("--keep-db", metavar="NAME",
                        help="load into database NAME once and keep it; later runs with the same NAME skip the load"
                             " (~7 min at full size; pass the same sizes)")  # fmt: skip
    args = parser.parse_args()
    s = sizes(args)
    FIG.update(asdict(s))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still drops the database
    started, ok = time.perf_counter(), False
    try:
        with ExitStack() as stack:  # the database is dropped on success, errors and Ctrl-C alike
            engine, fresh = open_database(stack, args.keep_db)
            if fresh:
                load(engine, s, args.seed)
            else:
                print(f"kept database {args.keep_db}: not loaded again", flush=True)
                forget_last_run(engine)
            floor_all, floor_solves = floor(engine)
            rebuild_total = phase_rebuild(engine, floor_all, floor_solves)
            ticked = phase_tick(engine, s, rebuild_total, args.explain)
            ok = phase_verify(engine) and ticked
    except BaseException as exc:
        FIG["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        FIG["bench_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(FIG, default=str), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
