"""`contest-pipelines dev` on a bare machine: embedded services start, migrate, Dagster and the API serve."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
HANG_GUARD_SECONDS = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, deadline: float) -> httpx.Response:
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer 200 in time")


def test_dev_starts_everything_on_embedded_services_and_stops_on_ctrl_c(tmp_path: Path):
    from contest_pipelines.embedded import stop_services

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DAGSTER_POSTGRES_URL")}
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    api_port, ui_port = free_port(), free_port()
    data_dir = tmp_path / "data"
    log = open(tmp_path / "dev.log", "wb")
    dev = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "contest-pipelines"),
            "dev",
            "--data-dir",
            str(data_dir),
            "--api-port",
            str(api_port),
            "--dagster-port",
            str(ui_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        ready = wait_for(f"http://127.0.0.1:{api_port}/readyz", deadline)
        assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}
        wait_for(f"http://127.0.0.1:{ui_port}/server_info", deadline)
        # Migrated: the API answers a real query (404 for an unknown room, not a 500).
        from contest_pipelines.api.auth import issue_token
        from contest_pipelines.settings import Settings

        token = issue_token(Settings().api_jwt_secret.get_secret_value(), "nobody")
        response = httpx.post(
            f"http://127.0.0.1:{api_port}/api/contests/sync",
            json={"roomId": "none", "problemId": "1843A"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 404
        assert (tmp_path / "dagster_home" / "dagster.yaml").read_text().count("DAGSTER_POSTGRES_URL") == 1

        os.killpg(dev.pid, signal.SIGINT)
        assert dev.wait(timeout=90) is not None
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=2)
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()
        log.close()
        stop_services(data_dir)


def test_embedded_servers_ignore_a_ctrl_c_sent_to_the_starting_process_group(tmp_path: Path):
    """Ctrl-C signals the whole foreground group; the embedded PostgreSQL and Redis must survive it."""
    import psycopg
    import redis

    from contest_pipelines.embedded import stop_services

    data_dir = tmp_path / "data"
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from contest_pipelines.embedded import ensure_services;"
            " s = ensure_services(Path(sys.argv[1])); print(s.database_url); print(s.redis_url)",
            str(data_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        database_url, redis_url = starter.communicate(timeout=120)[0].split()
        try:
            os.killpg(starter.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        except ProcessLookupError:
            pass  # nobody is left in the group: the servers run in sessions of their own
        time.sleep(1.0)
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        assert redis.Redis.from_url(redis_url).ping()
    finally:
        stop_services(data_dir)
