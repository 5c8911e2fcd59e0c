"""Helpers the benchmark scripts share: the embedded servers' data dir, percentiles, ratios, ports, child processes.

Server URLs come from ``contest_pipelines.embedded`` (``postgres_server``, ``redis_server``, ``with_path``).
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

# The embedded PostgreSQL / Redis the benches use when DATABASE_URL / REDIS_URL are unset (the tests use .data/test).
DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "bench"

ROOT = Path(__file__).resolve().parent.parent


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (of 12 values, p95 and p99 are both the max; of 20, p99 is)."""
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)] if s else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, from /proc."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            pids.append(int(stat.parent.name))
    return pids


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM to the child's process group, SIGKILL after 30 s. Waits for the whole group, not just the child: a
    code server of the daemon was once seen alive minutes after the daemon had exited (its databases dropped)."""
    deadline = time.monotonic() + 30
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    while (proc.poll() is None or group_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def start_server(cmd: list[str], env: dict, log: Path, url: str) -> subprocess.Popen:
    """Starts a server process (its own session, output to `log`) and waits until `url` answers."""
    import httpx  # only the benches that start servers need it

    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    stop_process(proc)
    raise RuntimeError(f"{cmd[3]} did not start: {log.read_text()[-2000:]}")
