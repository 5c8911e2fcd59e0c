"""Benchmark: one simulated day of game-platform sync (seed 001, sections 19-22) on a controllable clock.

A population of competitors (10% active, 30% moderate, 60% inactive by their last solve) lives on the
in-process fake platform (real local HTTP) with its solve history and one known Flash CTF event. The
day starts at T0, an aligned UTC midnight two days ago; a warm-up sync (and sweep) at T0 - 30 min gives
every competitor a tier and a cursor, then every 30 simulated minutes the solves made by then are put
on the platform and `incremental_sync(now=step)` runs (48 runs), with `totals_sweep` every hour (24
sweeps). A new Flash CTF event appears for everyone at a random hour of the day.

It measures the API calls of the day per endpoint and per tier, the staleness of every solve made
during the day (simulated time of the run that ingested it - solve time) and the gaps between a
competitor's consecutive syncs, per tier; then the seed's naive baseline (every competitor's ODL
scores and Flash CTF progress at every step), run for real or extrapolated from one timed step.

At real vendor latency (issue 12), `--latency-ms 150` makes the fake answer every call after that delay
and runs the same day once per `--concurrency` level (default `1,8` then: serial, then concurrent), each
on a fresh database and a fresh fake with the same population. It compares the wall time of single runs
(the first sync of every competitor with its Flash CTF fan-out, a full run of every competitor without
one, the day's slowest run) and of the whole day, and checks that the calls of the day are the same at
every level; the detailed report is the last level's.

It prints figures and ratios and never asserts (no timing is a test); targets are printed PASS/MISS for
information. The last line is `RESULT {json}`.

    .venv/bin/python bench/game_platform_day.py [--competitors 300] [--seed 1]
    .venv/bin/python bench/game_platform_day.py --latency-ms 150 [--concurrency 1,8] [--calls-per-second 40]

PostgreSQL: the server of DATABASE_URL when set, else the embedded one under .data/bench; a fresh
database is created, migrated and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench._common import DATA_DIR, pct  # noqa: E402
from contest_pipelines.clients.game_platform import GamePlatformClient  # noqa: E402
from contest_pipelines.clients.game_platform.client import (  # noqa: E402
    DEFAULT_MAX_CALLS_PER_SECOND,
    DEFAULT_MAX_CONCURRENCY,
)
from contest_pipelines.clients.game_platform.limits import WINDOW_GUARD  # noqa: E402
from contest_pipelines.db.engine import get_engine  # noqa: E402
from contest_pipelines.db.fixtures import Fixture, load_fixture  # noqa: E402
from contest_pipelines.db.migrate import upgrade  # noqa: E402
from contest_pipelines.db.tables import challenge_solves, flash_ctf_events, sync_state  # noqa: E402
from contest_pipelines.domain.tiers import SYNC_INTERVAL  # noqa: E402
from contest_pipelines.embedded import create_database, drop_database, postgres_server, with_path  # noqa: E402
from contest_pipelines.game_platform.solves_sync import incremental_sync  # noqa: E402
from contest_pipelines.game_platform.totals_sweep import totals_sweep  # noqa: E402
from tests.fakes.game_platform import FakeGamePlatform  # noqa: E402

STEP = timedelta(minutes=30)
STEPS = 48  # runs of the day: T0, T0 + 30 min, ..., T0 + 23 h 30
MAX_DRAIN_STEPS = 17  # uncounted runs after the day, so late solves still get a staleness (8 h 30)
TARGET_CALLS = 350  # the seed's optimised figure, per day
ODL = "GET /scores/get_odl_scores"
FLASH = "GET /scores/get_flash_ctf_progress"
TIERS = ("active", "moderate", "inactive")
NAIVE_BUDGET_S = 120.0
TARGET_RUN_S = 10.0  # seed 001 s20.5: 5-10 s per sync (issue 12: 300 competitors at concurrency 8)
FIG: dict[str, object] = {}


def mins(td_seconds: float | None) -> str:
    if td_seconds is None:
        return "n/a"
    return f"{td_seconds / 60:7.1f} min"


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def unix(dt: datetime) -> int:
    return int(dt.timestamp())


# ---------------------------------------------------------------------------------------------- population


def population(n: int, t0: datetime, rng: random.Random) -> dict:
    """Classes, history solves (before the day) and day solves, as unix timestamps."""
    ids = [f"syned-{i:04d}" for i in range(n)]
    shuffled = ids[:]
    rng.shuffle(shuffled)
    n_active, n_moderate = round(0.10 * n), round(0.30 * n)
    klass = {}
    for i, uid in enumerate(shuffled):
        klass[uid] = "active" if i < n_active else "moderate" if i < n_active + n_moderate else "inactive"
    day0, day_s = unix(t0), 86_400
    history: dict[str, list[int]] = defaultdict(list)
    day: dict[str, list[int]] = defaultdict(list)
    by_class = {t: [u for u in ids if klass[u] == t] for t in TIERS}

    for uid in by_class["active"]:
        # a recent solve 1-5 days before the day (stays "active" all day), a few older ones
        history[uid].append(day0 - rng.randint(1 * 86_400, 5 * 86_400))
        history[uid] += [day0 - rng.randint(6 * 86_400, 90 * 86_400) for _ in range(rng.randint(1, 6))]
        t = day0 + rng.randint(0, 3 * 3600)  # then a solve every few hours during the day
        while t < day0 + day_s:
            day[uid].append(t)
            t += rng.randint(int(1.5 * 3600), 4 * 3600)
    for uid in by_class["moderate"]:
        # last solve 8-28 days ago (so it stays "moderate" through the day), older ones before
        last = day0 - rng.randint(8 * 86_400, 28 * 86_400)
        history[uid].append(last)
        history[uid] += [last - rng.randint(86_400, 120 * 86_400) for _ in range(rng.randint(0, 5))]
    for uid in rng.sample(by_class["moderate"], round(0.10 * len(by_class["moderate"]))):
        day[uid].append(day0 + rng.randint(0, day_s - 1))
    for uid in by_class["inactive"]:
        if rng.random() < 0.7:  # 30% never solved anything
            last = day0 - rng.randint(35 * 86_400, 365 * 86_400)
            history[uid].append(last)
            history[uid] += [last - rng.randint(86_400, 200 * 86_400) for _ in range(rng.randint(0, 3))]
    for uid in rng.sample(by_class["inactive"], round(0.02 * len(by_class["inactive"]))):
        day[uid].append(day0 + rng.randint(0, day_s - 1))
    flash_hour = rng.randint(1, 22)
    return {"ids": ids, "klass": klass, "history": history, "day": day, "by_class": by_class, "flash_hour": flash_hour}


# ---------------------------------------------------------------------------------------------- helpers


def tiers_now(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(sync_state.c.syned_user_id, sync_state.c.activity_tier)).all())


def synced_at(engine: sa.Engine, at: datetime) -> dict[str, str]:
    """Competitors whose last attempt is the run at `at`, with the tier that run gave them."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(sync_state.c.syned_user_id, sync_state.c.activity_tier).where(sync_state.c.last_attempt_at == at)
        ).all()
    return {r.syned_user_id: r.activity_tier for r in rows}


def stored_solve_ids(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(challenge_solves.c.challenge_solve_id)).scalars())


def delta(after: Counter, before: Counter) -> Counter:
    return Counter({k: after[k] - before[k] for k in after if after[k] - before[k]})


# ---------------------------------------------------------------------------------------------- bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--competitors", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the fake answers every call after this delay")
    parser.add_argument(
        "--concurrency",
        help=f"comma-separated levels, one day each (default: 1,8 with --latency-ms, else {DEFAULT_MAX_CONCURRENCY})",
    )
    parser.add_argument("--calls-per-second", type=float, default=DEFAULT_MAX_CALLS_PER_SECOND)
    args = parser.parse_args()
    n, rng = args.competitors, random.Random(args.seed)
    levels = [
        int(c) for c in (args.concurrency or ("1,8" if args.latency_ms else str(DEFAULT_MAX_CONCURRENCY))).split(",")
    ]

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    t0 = today - timedelta(days=2)
    pop = population(n, t0, rng)
    flash_at = t0 + timedelta(hours=pop["flash_hour"])
    print(f"game platform day: {n} competitors, seed {args.seed}, T0 = {t0.isoformat()} (simulated), "
          f"new Flash CTF event at {flash_at:%H:%M}")  # fmt: skip
    for t in TIERS:
        movers = sum(1 for u in pop["by_class"][t] if pop["day"].get(u))
        solves = sum(len(pop["day"].get(u, [])) for u in pop["by_class"][t])
        print(
            f"  class {t:9s}: {len(pop['by_class'][t]):4d} competitors, {movers:3d} solve during the day, "
            f"{solves:4d} day solves"
        )
    FIG.update(competitors=n, seed=args.seed, t0=t0.isoformat(), flash_event_at=flash_at.isoformat(),
               day_solves=sum(len(v) for v in pop["day"].values()), latency_ms=args.latency_ms,
               calls_per_second=args.calls_per_second, concurrency=levels)  # fmt: skip
    print(f"fake latency {args.latency_ms:g} ms per call; client limits: concurrency {', '.join(map(str, levels))} "
          f"(one day each), {args.calls_per_second:g} calls/s")  # fmt: skip

    pg = postgres_server(DATA_DIR)
    server, FIG["postgres"] = pg.url, pg.source
    by_level = {}
    for i, level in enumerate(levels):
        last = i == len(levels) - 1
        if len(levels) > 1:
            print(
                f"\n======== concurrency {level}{'' if last else ' (summary only; the full report is the last level)'}"
            )
        name = f"cp_bench_gpday_{uuid.uuid4().hex[:8]}"
        create_database(server, name)
        url = with_path(server, f"/{name}")
        engine = None
        try:
            upgrade(url)
            engine = get_engine(url)
            with FakeGamePlatform(max_calls=None, latency_ms=args.latency_ms) as fake:
                client = GamePlatformClient(fake.base_url, fake.token, backoff_seconds=0, max_concurrency=level,
                                            max_calls_per_second=args.calls_per_second)  # fmt: skip
                with client:
                    by_level[level] = run_day(engine, client, fake, pop, t0, flash_at, args.batch_size, report=last)
        finally:
            if engine is not None:
                engine.dispose()
            get_engine.cache_clear()
            drop_database(server, name)
        if not last:
            summary(level, by_level[level])
    if len(levels) > 1:
        compare(by_level, args.latency_ms, args.calls_per_second)
    print("RESULT " + json.dumps(FIG, sort_keys=True, default=str))
    return 0


def run_day(
    engine: sa.Engine,
    client: GamePlatformClient,
    fake: FakeGamePlatform,
    pop: dict,
    t0: datetime,
    flash_at: datetime,
    batch_size: int,
    *,
    report: bool = True,
) -> dict:
    """One simulated day; returns its wall times and calls (and prints the full report when `report`)."""
    ids, klass = pop["ids"], pop["klass"]
    with engine.begin() as conn:
        load_fixture(conn, Fixture.model_validate({
            "coaches": [{"coachId": "coach-bench", "name": "Bench Coach"}],
            "players": [{"userId": f"u-{uid}", "coachId": "coach-bench", "status": "complete", "gamePlatformId": uid}
                        for uid in ids],
        }))  # fmt: skip
    for uid in ids:
        fake.add_user(uid)
        for ts in sorted(pop["history"].get(uid, [])):
            fake.add_solve(uid, timestamp_unix=ts)
        fake.add_flash_ctf_event(uid, "flash-before", points_earned=rng_points(uid), start_unix=unix(t0) - 10 * 86_400,
                                 end_unix=unix(t0) - 10 * 86_400 + 7_200)  # fmt: skip

    # day solves: (time, uid), put on the platform only once the simulated clock reaches them
    pending = sorted((ts, uid) for uid, tss in pop["day"].items() for ts in tss)
    solve_of: dict[str, tuple[str, int]] = {}  # challenge_solve_id -> (uid, solve time)
    tier_at_solve: dict[str, str] = {}  # challenge_solve_id -> tier the competitor had when it solved

    # --- warm-up (not counted): every competitor gets a tier and a cursor; the backlog of totals is swept
    warm_at = t0 - STEP
    wall = time.perf_counter()
    warm = incremental_sync(engine, client, now=warm_at, batch_size=batch_size)
    first_sync = {"seconds": time.perf_counter() - wall, "calls": warm.api_calls, "processed": warm.processed,
                  "flash": warm.flash_sentinel}  # fmt: skip
    warm_sweep = totals_sweep(engine, client, batch_size=batch_size)
    print(f"\nwarm-up at {warm_at:%m-%d %H:%M} (not counted): processed {warm.processed}, "
          f"new solves {warm.new_solves}, flash '{warm.flash_sentinel}' ({warm.flash_events_synced} rows), "
          f"{warm.api_calls} calls in {first_sync['seconds']:.1f}s; sweep {warm_sweep.processed} "
          f"({warm_sweep.api_calls} calls); {time.perf_counter() - wall:.1f}s wall")  # fmt: skip
    start_tiers = tiers_now(engine)
    mismatch = {u: (klass[u], start_tiers.get(u)) for u in ids if start_tiers.get(u) != klass[u]}
    print(f"tiers after warm-up: {dict(Counter(start_tiers.values()))}; class != tier for {len(mismatch)} competitors")
    FIG["warmup"] = {
        "sync_calls": warm.api_calls,
        "sweep_calls": warm_sweep.api_calls,
        "tiers": dict(Counter(start_tiers.values())),
    }
    sync_times: dict[str, list[tuple[datetime, str]]] = defaultdict(list)  # uid -> [(run time, tier it gave)]
    for uid, tier in synced_at(engine, warm_at).items():
        sync_times[uid].append((warm_at, tier))
    seen = stored_solve_ids(engine)

    calls_before_day = Counter(client.calls)
    fake_before_day = Counter(fake.call_counts)
    odl_by_tier: Counter = Counter()  # incremental ODL calls by the tier the competitor had before the run
    sweep_calls = Counter()
    sync_calls = Counter()
    flash_fanout = 0
    ingested_at_run: dict[str, datetime] = {}
    run_rows = []
    wall_day = time.perf_counter()
    flash_added = False
    sweep_after_flash: int | None = None  # ODL calls of the first sweep after the Flash CTF fan-out

    def one_run(now: datetime, counted: bool) -> dict:
        nonlocal flash_added, flash_fanout, seen
        while pending and pending[0][0] <= unix(now):
            ts, uid = pending.pop(0)
            solve = fake.add_solve(uid, timestamp_unix=ts)
            solve_of[str(solve["challenge_solve_id"])] = (uid, ts)
        if not flash_added and now >= flash_at:
            for uid in ids:
                fake.add_flash_ctf_event(uid, "flash-day", points_earned=rng_points(uid) * 2,
                                         start_unix=unix(flash_at), end_unix=unix(flash_at) + 7_200)  # fmt: skip
            flash_added = True
        before_tiers = tiers_now(engine)  # the tiers between the previous run and this one
        before = Counter(client.calls)
        started = time.perf_counter()
        tel = incremental_sync(engine, client, now=now, batch_size=batch_size)
        seconds = time.perf_counter() - started
        used = delta(Counter(client.calls), before)
        synced = synced_at(engine, now)
        for uid, tier in synced.items():
            sync_times[uid].append((now, tier))
        stored = stored_solve_ids(engine)
        for sid in stored - seen:
            if sid in solve_of:
                ingested_at_run[sid] = now
                tier_at_solve[sid] = before_tiers[solve_of[sid][0]]
        seen = stored
        row = {"at": now, "processed": tel.processed, "new": tel.new_solves, "errors": tel.errors,
               "flash": tel.flash_sentinel, "odl": used[ODL], "flash_calls": used[FLASH],
               "sweep": None, "seconds": seconds}  # fmt: skip
        if counted:
            sync_calls.update(used)
            by_tier = Counter(before_tiers[u] for u in synced)
            odl_by_tier.update(by_tier)
            if tel.flash_sentinel.startswith("new event"):
                flash_fanout += used[FLASH] - 1
            row["by_tier"] = by_tier
        return row

    for k in range(STEPS):
        now = t0 + k * STEP
        row = one_run(now, counted=True)
        if now.minute == 0:
            before = Counter(client.calls)
            sw = totals_sweep(engine, client, batch_size=batch_size)
            used = delta(Counter(client.calls), before)
            sweep_calls.update(used)
            row["sweep"] = sw.processed
            if flash_fanout and sweep_after_flash is None:
                sweep_after_flash = used[ODL]
        run_rows.append(row)
    wall_day = time.perf_counter() - wall_day
    day_calls = delta(Counter(client.calls), calls_before_day)
    fake_day_calls = delta(Counter(fake.call_counts), fake_before_day)
    unfinished = len(pending)

    # --- drain (not counted): later runs until every solve of the day is ingested
    drain_runs = 0
    while (pending or set(solve_of) - set(ingested_at_run)) and drain_runs < MAX_DRAIN_STEPS:
        one_run(t0 + (STEPS + drain_runs) * STEP, counted=False)
        drain_runs += 1
    never = set(solve_of) - set(ingested_at_run)

    # --- one full run (not counted): every competitor due at once, no new Flash CTF event
    full_at = t0 + (STEPS + drain_runs) * STEP
    with engine.begin() as conn:
        conn.execute(sync_state.update().values(next_due_at=full_at - timedelta(seconds=1)))
    started = time.perf_counter()
    full = incremental_sync(engine, client, now=full_at, batch_size=batch_size)
    full_run = {"seconds": time.perf_counter() - started, "calls": full.api_calls, "processed": full.processed,
                "flash": full.flash_sentinel}  # fmt: skip

    slowest = max(run_rows, key=lambda r: r["seconds"])
    figures = {
        "first_sync": first_sync,
        "full_run": full_run,
        "slowest_run": {"seconds": slowest["seconds"], "calls": slowest["odl"] + slowest["flash_calls"],
                        "at": f"{slowest['at']:%H:%M}", "processed": slowest["processed"]},
        "day": {"seconds": wall_day, "calls": sum(day_calls.values())},
        "day_calls": dict(day_calls),
    }  # fmt: skip
    if report:
        report_runs(run_rows, wall_day)
        report_calls(
            day_calls, fake_day_calls, sync_calls, sweep_calls, odl_by_tier, flash_fanout, sweep_after_flash, pop
        )
        report_staleness(solve_of, ingested_at_run, tier_at_solve, klass, t0, drain_runs, unfinished, never)
        report_gaps(sync_times, warm_at, t0)
        report_real_clock(engine, solve_of, t0)
        naive(client, fake, ids, t0, day_calls)
        summary(client.max_concurrency, figures)
    return figures


def summary(level: int, fig: dict) -> None:
    first, full, slow, day = fig["first_sync"], fig["full_run"], fig["slowest_run"], fig["day"]
    print(f"\nwall times at concurrency {level}:")
    for label, figure in (
        (f"first sync, {first['processed']} competitors + Flash CTF fan-out", first),
        (f"full run, {full['processed']} competitors, no fan-out", full),
        (f"slowest run of the day ({slow['at']}, {slow['processed']} due)", slow),
        ("the day (48 runs + 24 sweeps)", day),
    ):
        print(f"  {label:52s} {figure['seconds']:7.1f}s  ({figure['calls']} calls)")


def compare(by_level: dict[int, dict], latency_ms: float, per_second: float) -> None:
    """Serial vs concurrent, side by side: wall times with their ratio, and the calls of the day."""
    base_level, top_level = min(by_level), max(by_level)
    base, top = by_level[base_level], by_level[top_level]
    print(f"\nconcurrency {base_level} vs {top_level} at {latency_ms:g} ms per call ({per_second:g} calls/s limit):")
    print(f"  {'':52s} {'calls':>6s} {f'c={base_level}':>9s} {f'c={top_level}':>9s} {'ratio':>7s}")
    out = {}
    for key, label in (
        ("first_sync", "first sync, every competitor + Flash CTF fan-out"),
        ("full_run", "full run, every competitor, no fan-out"),
        ("slowest_run", "slowest run of the day"),
        ("day", "the day (48 runs + 24 sweeps)"),
    ):
        a, b = base[key]["seconds"], top[key]["seconds"]
        calls = "/".join(sorted({str(base[key]["calls"]), str(top[key]["calls"])}))
        print(f"  {label:52s} {calls:>6s} {a:8.1f}s {b:8.1f}s {ratio(b, a)!s:>7s}")
        out[key] = {"calls": top[key]["calls"], f"seconds_c{base_level}": round(a, 2),
                    f"seconds_c{top_level}": round(b, 2), "ratio": ratio(b, a)}  # fmt: skip
    same = all(f["day_calls"] == top["day_calls"] for f in by_level.values())
    per_level = ", ".join(f"c={level}: {sum(f['day_calls'].values())}" for level, f in sorted(by_level.items()))
    print(f"  calls of the day: {per_level}; per endpoint: {'same' if same else 'DIFFERENT'}")
    full = top["full_run"]["seconds"]
    print(f"  target: a run of every competitor (no fan-out) <= {TARGET_RUN_S:g}s at concurrency {top_level}: "
          f"{'PASS' if full <= TARGET_RUN_S else 'MISS'} ({full:.1f}s); with the fan-out: "
          f"{top['first_sync']['seconds']:.1f}s")  # fmt: skip
    if latency_ms:
        # The pacer spaces starts WINDOW_GUARD / limit apart; in flight, each call holds its slot `latency_ms`.
        rate = min(per_second / WINDOW_GUARD, top_level / (latency_ms / 1000))
        print(f"  (floor of the first sync: {top['first_sync']['calls']} calls at min({per_second:g}/s paced "
              f"x1/{WINDOW_GUARD}, {top_level} in flight / {latency_ms:g} ms) = {rate:.1f}/s: "
              f"{top['first_sync']['calls'] / rate:.1f}s)")  # fmt: skip
    FIG["latency"] = {"levels": sorted(by_level), "runs": out, "day_calls_same": same,
                      "day_calls": {level: f["day_calls"] for level, f in by_level.items()},
                      "target_run_s": TARGET_RUN_S, "target_pass": full <= TARGET_RUN_S}  # fmt: skip


def rng_points(uid: str) -> int:
    return 10 * (sum(map(ord, uid)) % 17)


# ---------------------------------------------------------------------------------------------- reports


def report_runs(rows: list[dict], wall: float) -> None:
    print(
        f"\nthe day's runs ({len(rows)} incremental runs, {sum(r['sweep'] is not None for r in rows)} sweeps; "
        f"{wall:.1f}s wall):"
    )
    print("  time   due  new  ODL flash  active/moderate/inactive  sweep   wall  sentinel")
    for r in rows:
        bt = r["by_tier"]
        sweep = "" if r["sweep"] is None else f"{r['sweep']:5d}"
        print(f"  {r['at']:%H:%M} {r['processed']:5d} {r['new']:4d} {r['odl']:4d} {r['flash_calls']:5d}  "
              f"{bt['active']:6d}/{bt['moderate']:3d}/{bt['inactive']:3d}            "
              f"{sweep:>5s} {r['seconds']:5.1f}s  {r['flash']}")  # fmt: skip
    FIG["wall_s_day"] = round(wall, 2)


def report_calls(day: Counter, fake_day: Counter, sync: Counter, sweep: Counter, odl_by_tier: Counter, fanout: int,
                 sweep_after_flash: int | None, pop: dict) -> None:  # fmt: skip
    total = sum(day.values())
    print("\nAPI calls of the day (48 incremental runs + 24 totals sweeps; warm-up and drain excluded):")
    for endpoint, count in sorted(day.items()):
        print(f"  {endpoint:40s} {count:6d}")
    print(
        f"  {'total':40s} {total:6d}   (the fake counted {sum(fake_day.values())}: "
        f"{'same' if fake_day == day else 'DIFFERENT ' + str(dict(fake_day))})"
    )
    sentinel = sync[FLASH] - fanout
    print("  where they go:")
    breakdown = {
        "incremental ODL, active tier": odl_by_tier["active"],
        "incremental ODL, moderate tier": odl_by_tier["moderate"],
        "incremental ODL, inactive tier": odl_by_tier["inactive"],
        "Flash CTF sentinel (1 per run with someone due)": sentinel,
        "Flash CTF fan-out (new event: everyone else)": fanout,
        "totals sweep ODL (flagged competitors)": sweep[ODL],
    }
    for label, count in breakdown.items():
        print(f"    {label:50s} {count:6d}  {100 * count / total if total else 0:5.1f}%")
    print(
        f"    (the sweep right after the Flash CTF fan-out made {sweep_after_flash} ODL calls: "
        "the fan-out flags every competitor\n"
        "     for a totals refresh; the other sweep calls re-fetch totals that the incremental ODL answer already "
        "carried)"
    )
    other = total - sum(breakdown.values())
    if other:
        print(f"    {'other (retries...)':50s} {other:6d}")
    n_active = len(pop["by_class"]["active"])
    print(f"  target: total <= {TARGET_CALLS}/day: {'PASS' if total <= TARGET_CALLS else 'MISS'} ({total})")
    print(f"  NOTE: the call target and the active-tier SLA are in tension: {n_active} active competitors "
          f"synced every 30 min\n        alone make {n_active} x {STEPS} = {n_active * STEPS} ODL calls/day, "
          f"{n_active * STEPS / TARGET_CALLS:.1f}x the {TARGET_CALLS}-call target, before moderate/inactive tiers, "
          f"Flash CTF and totals.")  # fmt: skip
    FIG["calls"] = {"total": total, "per_endpoint": dict(day), "fake_per_endpoint": dict(fake_day),
                    "breakdown": breakdown, "target": TARGET_CALLS, "target_pass": total <= TARGET_CALLS,
                    "active_tier_floor": n_active * STEPS,
                    "sweep_calls_after_flash_fanout": sweep_after_flash}  # fmt: skip


def report_staleness(solve_of, ingested_at_run, tier_at_solve, klass, t0, drain_runs, unfinished, never) -> None:
    print(f"\nstaleness of the day's solves (simulated run time that ingested it - solve time; "
          f"{drain_runs} uncounted runs after the day for the late ones):")  # fmt: skip
    per_tier: dict[str, list[float]] = defaultdict(list)
    after_day: Counter = Counter()
    for sid, (uid, ts) in solve_of.items():
        if sid not in ingested_at_run:
            continue
        tier = tier_at_solve[sid]
        per_tier[tier].append(unix(ingested_at_run[sid]) - ts)
        if ingested_at_run[sid] >= t0 + STEPS * STEP:
            after_day[tier] += 1
    moved = sum(1 for sid in tier_at_solve if tier_at_solve[sid] != klass[solve_of[sid][0]])
    out = {}
    for tier in TIERS:
        vals = per_tier.get(tier, [])
        sla = SYNC_INTERVAL[tier].total_seconds()
        worst, p95 = (max(vals) if vals else None), pct(vals, 95)
        verdict = "n/a " if worst is None else ("PASS" if worst <= sla else "MISS")
        print(f"  {tier:9s}: {len(vals):4d} solves ({after_day[tier]} ingested after the day), worst {mins(worst)}, "
              f"p95 {mins(p95)}, mean {mins(sum(vals) / len(vals) if vals else None)}; "
              f"SLA <= {sla / 60:.0f} min: {verdict}")  # fmt: skip
        out[tier] = {"solves": len(vals), "worst_min": None if worst is None else round(worst / 60, 2),
                     "p95_min": None if p95 is None else round(p95 / 60, 2), "sla_min": sla / 60,
                     "sla_pass": None if worst is None else worst <= sla,
                     "ingested_after_day": after_day[tier]}  # fmt: skip
    print(f"  (tier = the competitor's tier when it solved; it differs from its population class for {moved} solves)")
    if unfinished or never:
        print(
            f"  {unfinished} solves were after the last run of the day; "
            f"{len(never)} never ingested even after the drain"
        )
    FIG["staleness"] = out | {"never_ingested": len(never)}


def report_gaps(sync_times, warm_at, t0) -> None:
    print(
        "\ngaps between a competitor's consecutive syncs "
        "(from the warm-up to the last run of the day; tier = the tier the earlier sync gave):"
    )
    end = t0 + STEPS * STEP
    gaps: dict[str, list[float]] = defaultdict(list)
    for uid, runs in sync_times.items():
        runs = [r for r in runs if r[0] < end]
        for (a, tier), (b, _) in zip(runs, runs[1:]):
            gaps[tier].append((b - a).total_seconds())
    out = {}
    for tier in TIERS:
        vals = gaps.get(tier, [])
        sla = SYNC_INTERVAL[tier].total_seconds()
        worst = max(vals) if vals else None
        verdict = "n/a " if worst is None else ("PASS" if worst <= sla else "MISS")
        print(
            f"  {tier:9s}: {len(vals):5d} gaps, worst {mins(worst)}, p95 {mins(pct(vals, 95))}; "
            f"<= {sla / 60:.0f} min: {verdict}"
        )
        out[tier] = {
            "gaps": len(vals),
            "worst_min": None if worst is None else round(worst / 60, 2),
            "sla_pass": None if worst is None else worst <= sla,
        }
    FIG["sync_gaps"] = out


def report_real_clock(engine: sa.Engine, solve_of, t0) -> None:
    """What the product stamps with the real clock instead of the `now` it was given."""
    with engine.connect() as conn:
        lag = conn.execute(
            sa.select(sa.func.min(challenge_solves.c.ingested_at - challenge_solves.c.solved_at),
                      sa.func.max(challenge_solves.c.ingested_at - challenge_solves.c.solved_at))
            .where(challenge_solves.c.challenge_solve_id.in_(list(solve_of)))
        ).one()  # fmt: skip
        flash = conn.execute(
            sa.select(sa.func.min(sync_state.c.last_flash_synced_at), sa.func.max(sync_state.c.last_attempt_at))
        ).one()
        synced = conn.execute(sa.select(sa.func.min(flash_ctf_events.c.synced_at))).scalar_one()
    print("\nreal clock vs simulated clock:")
    print(f"  challenge_solves.ingested_at (DB now()) - solved_at for the day's solves: {lag[0]} .. {lag[1]} "
          f"(real wall-clock, meaningless here; staleness above is taken from the simulated run times "
          f"instead)")  # fmt: skip
    print(f"  sync_state.last_flash_synced_at (datetime.now in _flash_sentinel) earliest {flash[0]:%Y-%m-%d %H:%M} "
          f"while last_attempt_at (simulated) latest {flash[1]:%Y-%m-%d %H:%M}; "
          f"flash_ctf_events.synced_at {synced:%Y-%m-%d %H:%M}")  # fmt: skip
    print(
        "  also real clock: player_totals.refreshed_at (DB now(); totals_sweep takes no `now`). "
        "Tiers, due times, cursors and\n"
        "  last_attempt_at follow the simulated `now`, so the call counts, tiers, gaps and staleness above are "
        "unaffected;\n"
        "  only those stamps (and any figure read from them) are wall-clock."
    )
    FIG["real_clock"] = {"ingested_minus_solved_min_s": lag[0].total_seconds() if lag[0] else None,
                         "ingested_minus_solved_max_s": lag[1].total_seconds() if lag[1] else None}  # fmt: skip


def naive(client: GamePlatformClient, fake: FakeGamePlatform, ids: list[str], t0: datetime, day_calls: Counter) -> None:
    """The seed's naive baseline: every competitor's ODL scores and Flash CTF progress at every step."""
    n = len(ids)
    analytic = {ODL: STEPS * n, FLASH: STEPS * n}
    before = Counter(client.calls)
    started = time.perf_counter()
    for uid in ids:  # one step, timed
        client.get_odl_scores(uid, after_time_unix=unix(t0) - 1800)
        client.get_flash_ctf_progress(uid)
    step_s = time.perf_counter() - started
    projected = step_s * STEPS
    if projected <= NAIVE_BUDGET_S:
        for k in range(1, STEPS):
            for uid in ids:
                client.get_odl_scores(uid, after_time_unix=unix(t0 + (k - 1) * STEP))
                client.get_flash_ctf_progress(uid)
        measured = delta(Counter(client.calls), before)
        how, total_s = "measured: ran the naive loop for all 48 steps", time.perf_counter() - started
    else:
        measured = Counter(analytic)
        how, total_s = f"analytic: one step timed ({step_s:.2f}s), 48 steps extrapolated", projected
    naive_total = sum(measured.values())
    opt_total = sum(day_calls.values())
    print(
        "\nnaive baseline (every competitor's ODL scores + Flash CTF progress every 30 min; "
        f"totals come with the ODL call) — {how}:"
    )
    for endpoint in (ODL, FLASH):
        print(f"  {endpoint:40s} naive {measured[endpoint]:6d} (analytic {analytic[endpoint]})   "
              f"optimised {day_calls[endpoint]:5d}   "
              f"ratio {ratio(day_calls[endpoint], measured[endpoint])}")  # fmt: skip
    print(
        f"  {'total':40s} naive {naive_total:6d}   optimised {opt_total:5d}   "
        f"ratio optimised/naive {ratio(opt_total, naive_total)}"
    )
    print(f"  naive client time: {total_s:.1f}s for 48 steps "
          f"({1000 * step_s / (2 * n):.2f} ms per call over one step of {2 * n} calls); "
          f"naive staleness: <= 30 min for every tier by construction")  # fmt: skip
    FIG["naive"] = {"method": how.split(":")[0], "per_endpoint": dict(measured), "total": naive_total,
                    "seconds": round(total_s, 2), "ms_per_call": round(1000 * step_s / (2 * n), 3),
                    "ratio_total": ratio(opt_total, naive_total), "ratio_odl": ratio(day_calls[ODL], measured[ODL]),
                    "ratio_flash": ratio(day_calls[FLASH], measured[FLASH])}  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
