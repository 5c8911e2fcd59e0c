"""Benchmark: cached board page reads against the framework's floor, in one run.

It loads a room of N members in teams of five (settled prediction room, so the tournament board is
full), starts the API under uvicorn (one worker, page cache on: BOARD_CACHE_SECONDS=1) and, beside it,
a bare ASGI app that answers the same URLs with the same bytes and does nothing else (the floor). Then,
for each page (player board, team board, tournament board; 10 and 100 rows), it drives `wrk -t1 -c50`
against the API and against the bare app, alternately, and prints requests/s and latency percentiles,
with the ratios API / floor. Goal (issue 9): within 2x of the floor in throughput and p99.

    .venv/bin/python bench/board_reads.py [--members 1000] [--seconds 8] [--connections 50]

Needs `wrk` (Debian's package). PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set, else the embedded ones.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402

from bench._common import DATA_DIR, free_port, ratio, start_server, stop_process  # noqa: E402
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
from contest_pipelines.settlement.projection import settle_and_project  # noqa: E402

REDIS_DB = 13
PAGES = [
    ("player board, 10 rows", "/api/rooms/bench-room/scoreboard?limit=10"),
    ("player board, 100 rows", "/api/rooms/bench-room/scoreboard?limit=100"),
    ("team board, 10 rows", "/api/rooms/bench-room/scoreboard?by=team&limit=10"),
    ("team board, 100 rows", "/api/rooms/bench-room/scoreboard?by=team&limit=100"),
    ("tournament board, 10 rows", "/api/scoreboards/tournament/bench-t?limit=10"),
    ("tournament board, 100 rows", "/api/scoreboards/tournament/bench-t?limit=100"),
]
LATENCY_LINE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
RPS_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}
BARE_APP = """
import json, os
PAGES = {k.encode(): v.encode() for k, v in json.load(open(os.environ["BARE_PAGES"])).items()}
HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"public, max-age=1")]

async def app(scope, receive, send):
    body = PAGES[scope["path"].encode() + b"?" + scope["query_string"]]
    await send({"type": "http.response.start", "status": 200,
                "headers": HEADERS + [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
"""


def fixture(members: int) -> dict:
    now = datetime.now(UTC)
    users = [f"m{i:05d}" for i in range(members)]
    teams = [f"team{i // 5:04d}" for i in range(members)]
    return {
        "leagues": [{"leagueId": "bench-l", "name": "League"}],
        "tournaments": [{"tournamentId": "bench-t", "leagueId": "bench-l", "name": "Tournament"}],
        "players": [{"userId": u} for u in users],
        "teams": [{"teamId": t, "name": t, "members": [u for u, tt in zip(users, teams) if tt == t]}
                  for t in sorted(set(teams))],
        "rooms": [{"roomId": "bench-room", "name": "Room", "kind": "prediction", "tournamentId": "bench-t",
                   "startsAt": (now - timedelta(hours=3)).isoformat(), "endsAt": (now - timedelta(hours=1)).isoformat(),
                   "members": [{"userId": u, "teamId": t} for u, t in zip(users, teams)]}],
        "guesses": [{"roomId": "bench-room", "userId": u, "home": i % 4, "away": (i // 4) % 3,
                     "guessedAt": (now - timedelta(days=1, seconds=i)).isoformat()} for i, u in enumerate(users)],
    }  # fmt: skip


def wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout  # fmt: skip
    latency = {f"p{q}": float(v) * UNIT[u] for q, v, u in LATENCY_LINE.findall(out)}
    rps = RPS_LINE.search(out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(rps[1]) if rps else None, **latency, "non2xx": int(errors[1]) if errors else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk")
        return 2
    figures: dict[str, object] = {"members": args.members, "connections": args.connections, "cpus": os.cpu_count()}
    with ExitStack() as stack:
        pg, redis_base = postgres_server_url(DATA_DIR), redis_server_url(DATA_DIR)
        name = f"cp_bench_reads_{uuid.uuid4().hex[:8]}"
        create_database(pg, name)
        stack.callback(drop_database, pg, name)
        url = with_path(pg, f"/{name}")
        upgrade(url)
        engine = get_engine(url)
        stack.callback(engine.dispose)
        redis_url = with_path(redis_base, f"/{REDIS_DB}")
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        client.flushdb()
        stack.callback(client.flushdb)
        with engine.begin() as conn:
            load_fixture(conn, Fixture.model_validate(fixture(args.members)))
            conn.exec_driver_sql("INSERT INTO match_results (room_id, status, home_score, away_score) "
                                 "VALUES ('bench-room', 'ended', 2, 1)")  # fmt: skip
        settle_and_project(engine, client, "bench-room")
        tmp = Path(tempfile.mkdtemp(prefix="cp_bench_reads_"))
        stack.callback(shutil.rmtree, tmp, True)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "API_JWT_SECRET": "b" * 40,
               "ADMIN_TOKEN": uuid.uuid4().hex, "BOARD_CACHE_SECONDS": "1"}  # fmt: skip
        api_port, bare_port = free_port(), free_port()
        api = start_server([sys.executable, "-m", "uvicorn", "contest_pipelines.api.main:create_app", "--factory",
                     "--port", str(api_port), "--no-access-log", "--log-level", "warning"], env, tmp / "api.log",
                    f"http://127.0.0.1:{api_port}/healthz")  # fmt: skip
        stack.callback(stop_process, api)
        pages = {path: httpx.get(f"http://127.0.0.1:{api_port}{path}", timeout=10) for _, path in PAGES}
        for path, response in pages.items():
            assert response.status_code == 200, (path, response.text)
        (tmp / "pages.json").write_text(json.dumps({p: r.text for p, r in pages.items()}))
        (tmp / "bare_app.py").write_text(BARE_APP)
        bare = start_server([sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(tmp),
                             "--port", str(bare_port), "--no-access-log", "--log-level", "warning"],
                            {**env, "BARE_PAGES": str(tmp / "pages.json")}, tmp / "bare.log",
                            f"http://127.0.0.1:{bare_port}{PAGES[0][1]}")  # fmt: skip
        stack.callback(stop_process, bare)
        print(f"{args.members} members in teams of 5; wrk -t1 -c{args.connections} -d{args.seconds}s, one uvicorn "
              f"worker each; {os.cpu_count()} cores\n")  # fmt: skip
        print(f"{'page':<28}{'bytes':>7}{'API req/s':>11}{'floor req/s':>13}{'ratio':>7}"
              f"{'API p50':>9}{'API p99':>9}{'floor p99':>11}{'ratio':>7}   (ms)")  # fmt: skip
        for label, path in PAGES:
            api_fig = wrk(f"http://127.0.0.1:{api_port}{path}", args.seconds, args.connections)
            bare_fig = wrk(f"http://127.0.0.1:{bare_port}{path}", args.seconds, args.connections)
            rps_ratio = ratio(bare_fig["rps"], api_fig["rps"])
            p99_ratio = ratio(api_fig.get("p99"), bare_fig.get("p99"))
            key = re.sub(r"\W+", "_", label).strip("_")
            figures[key] = {"api": api_fig, "floor": bare_fig, "floor_over_api_rps": rps_ratio,
                            "api_over_floor_p99": p99_ratio, "bytes": len(pages[path].content)}  # fmt: skip
            print(f"{label:<28}{len(pages[path].content):>7}{api_fig['rps'] or 0:>11.0f}{bare_fig['rps'] or 0:>13.0f}"
                  f"{rps_ratio or 0:>7.2f}{api_fig.get('p50', 0):>9.2f}{api_fig.get('p99', 0):>9.2f}"
                  f"{bare_fig.get('p99', 0):>11.2f}{p99_ratio or 0:>7.2f}"
                  + (f"   non-2xx: {api_fig['non2xx']}" if api_fig["non2xx"] else ""))  # fmt: skip
        worst_rps = max(v["floor_over_api_rps"] or 99 for v in figures.values() if isinstance(v, dict))
        worst_p99 = max(v["api_over_floor_p99"] or 99 for v in figures.values() if isinstance(v, dict))
        verdict = "MET" if worst_rps <= 2 and worst_p99 <= 2 else "MISS"
        print(
            f"\nworst: floor/API throughput {worst_rps:.2f}x, API/floor p99 {worst_p99:.2f}x; target <= 2x: {verdict}"
        )
        figures.update(worst_rps_ratio=worst_rps, worst_p99_ratio=worst_p99, target=verdict)
    print(json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
