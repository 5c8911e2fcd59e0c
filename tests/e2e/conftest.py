"""A real Dagster daemon (sensors + run queue) on a fresh instance, for end-to-end tests."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from contest_pipelines.instance import write_instance_yaml
from contest_pipelines.settings import dagster_storage_url
from tests.conftest import ROOT, _with_path


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the child's process group (its code servers too), SIGKILL after 30 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def dagster_daemon(env, db, fake_cf, tmp_path: Path, pg_server_url: str, monkeypatch) -> Iterator[dict[str, str]]:
    """Starts `dagster-daemon run` against the test services; Dagster's own storage in a PostgreSQL db."""
    from contest_pipelines.embedded import create_database, drop_database

    dagster_db = f"cp_test_dagster_{uuid.uuid4().hex[:8]}"
    create_database(pg_server_url, dagster_db)
    home = tmp_path / "dagster_home"
    write_instance_yaml(home, use_postgres=True)
    daemon_env = {
        **os.environ,
        **env,
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_URL": dagster_storage_url(_with_path(pg_server_url, f"/{dagster_db}")),
        "CODEFORCES_API_URL": fake_cf.base_url,
        "CODEFORCES_MIN_INTERVAL_SECONDS": "0.05",
        "CODEFORCES_CIRCUIT_SECONDS": "2",
        "SYNC_RECHECK_SECONDS": "1",
    }
    log = open(tmp_path / "daemon.log", "wb")
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT,
        env=daemon_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield daemon_env
    finally:
        stop_group(daemon)
        log.close()
        if daemon.returncode not in (0, -signal.SIGTERM, 143):
            sys.stderr.write((tmp_path / "daemon.log").read_text()[-4000:])
        time.sleep(0.5)
        drop_database(pg_server_url, dagster_db)


@pytest.fixture
def dagster_webserver(dagster_daemon, tmp_path: Path) -> Iterator[str]:
    """`dagster-webserver` on the daemon's instance: the GraphQL API the push path launches runs through."""
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(tmp_path / "webserver.log", "wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-w", str(ROOT / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=dagster_daemon, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/server_info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError(
                f"dagster-webserver did not start:\n{(tmp_path / 'webserver.log').read_text()[-3000:]}"
            )
        yield url
    finally:
        stop_group(server)
        log.close()
