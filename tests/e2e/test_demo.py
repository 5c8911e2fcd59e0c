"""`contest-pipelines dev --demo` (README, Demo): the stand-ins start, a Sync detects the seeded solve, the seeded
match settles into the boards, and Ctrl-C stops every child, the stand-ins included."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from contest_pipelines import demo
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
START_SECONDS = 180  # embedded PostgreSQL's first initdb, Dagster's code location and the stand-ins
DETECTED_SECONDS = 60
SETTLED_SECONDS = 120  # room_status_sensor and match_ended_sensor tick every 30 s, each then launches a run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _output(log: Path) -> str:
    return log.read_text(errors="replace")


def _wait_for_ready_block(dev: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        text = _output(log)
        if "demo ready:" in text and "/api/achievements/first_ctf_solve" in text:
            return text[text.index("demo ready:") :]
        if dev.poll() is not None:
            pytest.fail(f"dev --demo exited with code {dev.returncode}:\n{text[-4000:]}")
        time.sleep(0.5)
    pytest.fail(f"no 'demo ready' within {START_SECONDS}s:\n{_output(log)[-4000:]}")


def _detected_event(api: str, token: str) -> dict:
    """The first `sync.detected` on the player's stream (replayed from its start), within DETECTED_SECONDS."""
    deadline = time.monotonic() + DETECTED_SECONDS
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream(
        "GET", f"{api}/api/events", params={"since": "0"}, headers=headers, timeout=DETECTED_SECONDS
    ) as r:
        assert r.status_code == 200
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "sync.detected":
                return json.loads(line.removeprefix("data: "))
            elif line.startswith("data: ") and event == "sync.failed":
                pytest.fail(f"the demo's sync failed: {line}")
            if time.monotonic() > deadline:
                break
    pytest.fail(f"no sync.detected within {DETECTED_SECONDS}s")


def _settled_board(api: str) -> dict[str, int]:
    deadline = time.monotonic() + SETTLED_SECONDS
    while time.monotonic() < deadline:
        board = httpx.get(f"{api}/api/scoreboards/tournament/{demo.TOURNAMENT}", timeout=5).json()
        points = {row["userId"]: row["points"] for row in board["rows"]}
        if points.get("alice"):
            return points
        time.sleep(2)
    pytest.fail(f"the prediction room did not settle within {SETTLED_SECONDS}s")


def test_demo_detects_a_solve_settles_a_match_and_stops_every_child(tmp_path: Path):
    from contest_pipelines.embedded import stop_services

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DAGSTER_POSTGRES_URL")}
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    api_port, ui_port, data_dir = free_port(), free_port(), tmp_path / "data"
    log = tmp_path / "dev.log"
    command = [str(Path(sys.executable).parent / "contest-pipelines"), "dev", "--demo", "--data-dir", str(data_dir),
               "--api-port", str(api_port), "--dagster-port", str(ui_port)]  # fmt: skip
    with open(log, "wb") as out:
        dev = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{api_port}"
    groups: set[int] = set()
    try:
        block = _wait_for_ready_block(dev, log)
        # Each child leads a process group of its own; remember them all to check that Ctrl-C leaves none behind.
        children = psutil.Process(dev.pid).children()
        groups.update(child.pid for child in children)
        commands = [" ".join(child.cmdline()) for child in children]
        for stand_in in demo.STAND_INS:
            assert any(f"-m {stand_in.module} " in c for c in commands), (stand_in.module, commands)

        # The token the block prints is the player's: the Sync of the seeded problem is accepted and detected.
        token = re.search(r"export TOKEN=(\S+)", block).group(1)
        queued = httpx.post(
            f"{api}/api/contests/sync",
            json={"roomId": demo.ROOM, "problemId": demo.PROBLEM},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert queued.status_code == 202, queued.text
        detected = _detected_event(api, token)
        assert (detected["userId"], detected["problemId"], detected["pointsAwarded"]) == ("alice", demo.PROBLEM, 100)

        # The match the provider stand-in reports as ended 2:1: exact guess 3, right outcome 1, a miss 0.
        assert _settled_board(api) == {"alice": 3, "bob": 1, "carol": 0}
        room = httpx.get(f"{api}/api/rooms/{demo.PREDICTION_ROOM}/scoreboard", timeout=5).json()
        assert [(row["userId"], row["points"]) for row in room["rows"]] == [("alice", 3), ("bob", 1), ("carol", 0)]

        os.killpg(dev.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
        assert dev.wait(timeout=60) == 0, _output(log)[-4000:]
        left = [p for p in psutil.process_iter(["status", "cmdline"]) if _group_of(p.pid) in groups and _alive(p)]
        assert not left, [(p.pid, p.info["cmdline"]) for p in left]
        groups.clear()  # all gone: nothing for the clean-up below to kill
        assert "dev: stopped in" in _output(log)
    finally:
        for group in ({dev.pid} if dev.poll() is None else set()) | groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        dev.wait()
        stop_services(data_dir)


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _alive(process: psutil.Process) -> bool:
    """Still running: a zombie (killed, its parent not yet told) has stopped already."""
    return process.info["status"] != psutil.STATUS_ZOMBIE and process.is_running()
