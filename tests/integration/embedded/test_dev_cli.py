"""The CLI next to a `dev` session: it finds the embedded servers by itself, `stop` stops them, and `dev` fails fast.

Real daemons and processes on temporary data dirs: one embedded PostgreSQL + Redis for the module, in a directory
laid out like a checkout where `make dev` ran (`.data/`), stopped and removed at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from typer.testing import CliRunner

from contest_pipelines.cli import app
from contest_pipelines.db.engine import get_engine
from contest_pipelines.embedded import EmbeddedServices, ensure_services, stop_services
from tests.conftest import ROOT
from tests.factories import prediction_fixture, set_match_result
from tests.integration.embedded.test_embedded import _answers, _port

CLI = str(Path(sys.executable).parent / "contest-pipelines")
runner = CliRunner()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the commands run; its `.data/` holds the embedded servers (stopped, and everything removed, after)."""
    path = tmp_path_factory.mktemp("checkout")
    yield path
    stop_services(path / ".data")
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def services(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedServices]:
    """The embedded servers of `checkout/.data` (started once, then reused) and a shell in `checkout` where
    DATABASE_URL / REDIS_URL are unset: the second shell of README's "Try it"."""
    monkeypatch.chdir(checkout)
    for name in ("DATABASE_URL", "REDIS_URL", "DAGSTER_POSTGRES_URL"):
        monkeypatch.delenv(name, raising=False)
    running = ensure_services(checkout / ".data")
    yield running
    get_engine(running.database_url).dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pids(data_dir: Path) -> tuple[int, int]:
    postgres = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
    return postgres, int((data_dir / "redis" / "redis.pid").read_text())


def test_commands_use_the_embedded_services_when_the_urls_are_unset(services: EmbeddedServices, tmp_path: Path):
    migrated = runner.invoke(app, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert migrated.stdout.strip() == "migrated to head"
    assert f"DATABASE_URL is unset: using the embedded PostgreSQL under .data/ ({services.database_url})" in (
        migrated.stderr
    )
    with psycopg.connect(services.database_url) as conn:
        assert conn.execute("select count(*) from alembic_version").fetchone() == (1,)

    # Both servers: load a room (PostgreSQL), settle it and project its boards (Redis).
    fixture = tmp_path / "rooms.json"
    fixture.write_text(json.dumps(prediction_fixture(rooms={"p1": {"ann": (1, 0)}})))
    assert runner.invoke(app, ["load", str(fixture)]).exit_code == 0
    set_match_result(get_engine(services.database_url), "p1", 1, 0)
    client = redis.Redis.from_url(services.redis_url)
    try:
        connections = client.info("stats")["total_connections_received"]
        settled = runner.invoke(app, ["settle", "p1"])
        assert settled.exit_code == 0, settled.output
        assert json.loads(settled.stdout)["status"] == "applied"
        assert f"REDIS_URL is unset: using the embedded Redis under .data/ ({services.redis_url})" in settled.stderr
        assert client.info("stats")["total_connections_received"] > connections  # it projected through this Redis
    finally:
        client.close()


def test_a_set_url_wins_over_the_embedded_services(services: EmbeddedServices, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", services.database_url)
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0 and "is unset" not in result.stderr


def test_stop_stops_the_embedded_servers_and_then_has_nothing_to_stop(services: EmbeddedServices, checkout: Path):
    pg_pid, redis_pid = _pids(checkout / ".data")
    pg_port, redis_port = _port(services.database_url), _port(services.redis_url)
    get_engine(services.database_url).dispose()

    stopped = runner.invoke(app, ["stop"])
    assert stopped.exit_code == 0, stopped.output
    assert stopped.stdout.splitlines() == [
        f"stopped the embedded PostgreSQL under .data/ (pid {pg_pid}, port {pg_port})",
        f"stopped the embedded Redis under .data/ (pid {redis_pid}, port {redis_port})",
    ]
    assert not _answers(pg_port) and not _answers(redis_port)
    assert not (checkout / ".data" / "postgres" / "postmaster.pid").exists()
    assert not (checkout / ".data" / "redis" / "redis.pid").exists()

    again = runner.invoke(app, ["stop", "--data-dir", ".data"])
    assert again.exit_code == 0
    assert again.stdout.strip() == "no embedded PostgreSQL or Redis runs under .data/: nothing to stop"
    nothing = runner.invoke(app, ["migrate"])
    assert nothing.exit_code == 2
    assert "DATABASE_URL is not set and no embedded PostgreSQL runs under .data/" in nothing.stderr


def test_stop_removes_the_pid_files_of_servers_that_died(services: EmbeddedServices, checkout: Path):
    data_dir = checkout / ".data"
    for pid in _pids(data_dir):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _answers(_port(services.database_url)) or _answers(_port(services.redis_url)):
        assert time.monotonic() < deadline
        time.sleep(0.05)

    result = runner.invoke(app, ["stop"])
    assert result.stdout.strip() == "no embedded PostgreSQL or Redis runs under .data/: nothing to stop"
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert not (data_dir / "redis" / "redis.pid").exists()
    assert ensure_services(data_dir) == services  # and the next start is clean, on the same ports


def _dev_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DAGSTER_POSTGRES_URL")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env | {"DAGSTER_HOME": str(tmp_path / "dagster_home"), "TMPDIR": str(tmp_path / "tmp")} | extra


@pytest.mark.parametrize("option", ["--api-port", "--dagster-port"])
def test_dev_fails_at_once_when_its_port_is_taken(tmp_path: Path, option: str):
    other = "--dagster-port" if option == "--api-port" else "--api-port"
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        started = time.monotonic()
        dev = subprocess.run(
            [CLI, "dev", "--data-dir", str(tmp_path / "data"), option, str(busy), other, str(_free_port())],
            cwd=ROOT,
            env=_dev_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    assert dev.returncode == 1, dev.stderr
    assert elapsed < 10
    assert f"port {busy} is already in use on 127.0.0.1" in dev.stderr
    assert f"contest-pipelines dev {option} PORT" in dev.stderr
    assert not (tmp_path / "data").exists()  # checked before anything started


def test_dev_exits_non_zero_when_a_child_dies_while_starting(services: EmbeddedServices, tmp_path: Path):
    """The API refuses a bad setting at start-up: `dev` says so, stops Dagster, leaves no temporary files."""
    api_port, dagster_port = _free_port(), _free_port()
    env = _dev_env(tmp_path, DATABASE_URL=services.database_url, REDIS_URL=services.redis_url, SYNC_BATCH_SIZE="many")
    dev = subprocess.run(
        [CLI, "dev", "--api-port", str(api_port), "--dagster-port", str(dagster_port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dev.returncode == 1, dev.stderr[-3000:]
    assert "dev: the API exited while starting with code 1" in dev.stderr
    assert "dev: stopped in" in dev.stderr
    assert not _answers(dagster_port) and not _answers(api_port)
    assert list((tmp_path / "tmp").iterdir()) == []  # the children's TMPDIR of this run is gone
