"""Embedded default services: real PostgreSQL + Redis daemons under a tmp data dir (no mocks)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
import sqlalchemy

from contest_pipelines.embedded import (
    EmbeddedServices,
    create_database,
    drop_database,
    ensure_services,
    stop_services,
)
from tests.conftest import ROOT

REPO_ROOT = ROOT


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / ".data"
    yield path
    stop_services(path)


def _postgres_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])


def _redis_pid(data_dir: Path) -> int:
    return int((data_dir / "redis" / "redis.pid").read_text().strip())


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _gone(pid: int) -> bool:
    """Dead or a zombie (the daemons are re-parented to pid 1, which may not reap them)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not _gone(pid):
        assert time.monotonic() < deadline, f"pid {pid} still alive"
        time.sleep(0.05)


def _select_one(services: EmbeddedServices) -> None:
    for url in (services.database_url, services.dagster_postgres_url.replace("+psycopg2", "")):
        with psycopg.connect(url, connect_timeout=5) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    # Dagster's own driver (psycopg2) through SQLAlchemy, with the URL exactly as handed to Dagster.
    engine = sqlalchemy.create_engine(services.dagster_postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("select current_database()")).scalar() == "dagster"
    finally:
        engine.dispose()


def test_lifecycle_reuse_crash_recovery_and_stop(data_dir: Path) -> None:
    services = ensure_services(data_dir)
    assert services.database_url.startswith("postgresql://postgres@127.0.0.1:")
    assert services.database_url.endswith("/contest_pipelines")
    assert services.dagster_postgres_url.startswith("postgresql+psycopg2://postgres@127.0.0.1:")
    assert services.dagster_postgres_url.endswith("/dagster")
    assert services.redis_url.startswith("redis://127.0.0.1:") and services.redis_url.endswith("/0")
    assert (data_dir / "postgres" / "PG_VERSION").exists() and (data_dir / "redis").is_dir()

    _select_one(services)
    with psycopg.connect(services.database_url, autocommit=True) as conn:
        conn.execute("create table crash_probe (id int primary key, note text)")
        conn.execute("insert into crash_probe values (1, 'before crash')")
    client = redis.Redis.from_url(services.redis_url)
    try:
        assert client.set("probe", "before crash")
        assert client.get("probe") == b"before crash"
    finally:
        client.close()

    # Second call: same servers, same ports, no new process.
    pg_pid, redis_pid = _postgres_pid(data_dir), _redis_pid(data_dir)
    assert ensure_services(data_dir) == services
    assert (_postgres_pid(data_dir), _redis_pid(data_dir)) == (pg_pid, redis_pid)

    # Crash: SIGKILL both daemons; their pid files stay behind, stale.
    os.kill(pg_pid, signal.SIGKILL)
    os.kill(redis_pid, signal.SIGKILL)
    _wait_gone(pg_pid)
    _wait_gone(redis_pid)

    recovered = ensure_services(data_dir)
    assert recovered == services  # recorded ports were free again, so they are reused
    assert _postgres_pid(data_dir) != pg_pid and _redis_pid(data_dir) != redis_pid
    with psycopg.connect(recovered.database_url) as conn:
        assert conn.execute("select note from crash_probe where id = 1").fetchone() == ("before crash",)
    client = redis.Redis.from_url(recovered.redis_url)
    try:
        assert client.get("probe") == b"before crash"  # appendonly AOF survives SIGKILL
    finally:
        client.close()

    stop_services(data_dir)
    assert not _answers(_port(services.database_url))
    assert not _answers(_port(services.redis_url))
    stop_services(data_dir)  # idempotent


def test_recorded_ports_taken_by_someone_else(data_dir: Path) -> None:
    first = ensure_services(data_dir)
    stop_services(data_dir)
    squatters = []
    for url in (first.database_url, first.redis_url):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Connections the stopped server closed linger in TIME_WAIT on this port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", _port(url)))
        sock.listen()
        squatters.append(sock)
    try:
        second = ensure_services(data_dir)
        assert _port(second.database_url) != _port(first.database_url)
        assert _port(second.redis_url) != _port(first.redis_url)
        _select_one(second)
        client = redis.Redis.from_url(second.redis_url)
        try:
            assert client.ping()
        finally:
            client.close()
    finally:
        for sock in squatters:
            sock.close()
    assert (data_dir / "postgres.port").read_text().strip() == str(_port(second.database_url))


def test_foreign_servers_are_never_reused_or_signalled(tmp_path: Path) -> None:
    """Leftover pid/port files that now point at someone else's live servers (pid recycled after a reboot)."""
    ours, other = tmp_path / "ours", tmp_path / "other"
    try:
        theirs = ensure_services(other)
        ensure_services(ours)
        stop_services(ours)
        pg_pid, redis_pid = _postgres_pid(other), _redis_pid(other)
        (ours / "postgres" / "postmaster.pid").write_text((other / "postgres" / "postmaster.pid").read_text())
        (ours / "redis" / "redis.pid").write_text(f"{redis_pid}\n")
        (ours / "postgres.port").write_text(f"{_port(theirs.database_url)}\n")
        (ours / "redis.port").write_text(f"{_port(theirs.redis_url)}\n")

        stop_services(ours)
        assert not _gone(pg_pid) and not _gone(redis_pid)
        mine = ensure_services(ours)
        assert not _gone(pg_pid) and not _gone(redis_pid)
        assert _port(mine.database_url) != _port(theirs.database_url)
        assert _port(mine.redis_url) != _port(theirs.redis_url)
        _select_one(mine)
        _select_one(theirs)
    finally:
        stop_services(ours)
        stop_services(other)


def test_concurrent_starts_from_processes_that_exit(data_dir: Path) -> None:
    """Two processes start at once (flock), exit, and the daemons they started keep serving."""
    code = (
        "import dataclasses, json, sys; from pathlib import Path; "
        "from contest_pipelines.embedded import ensure_services; "
        "print(json.dumps(dataclasses.asdict(ensure_services(Path(sys.argv[1])))))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(data_dir)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    results = [json.loads(out) for out in outputs]
    assert results[0] == results[1]
    services = EmbeddedServices(**results[0])
    _select_one(services)
    client = redis.Redis.from_url(services.redis_url)
    try:
        assert client.ping()
    finally:
        client.close()


def test_import_has_no_side_effects(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import contest_pipelines.embedded"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "" and list(tmp_path.iterdir()) == []


def test_create_and_drop_database_on_the_test_server(pg_server_url: str) -> None:
    """The helpers work on any server URL: here the one the test session uses (CI: the machine's own)."""
    server_url = pg_server_url
    name = f"embedded_helper_test_{os.getpid()}"
    try:
        assert create_database(server_url, name) is True
        assert create_database(server_url, name) is False  # idempotent
        with psycopg.connect(server_url, dbname=name) as conn:
            assert conn.execute("select current_database()").fetchone() == (name,)
    finally:
        drop_database(server_url, name)
    drop_database(server_url, name)  # idempotent
    with psycopg.connect(server_url, dbname="postgres") as conn:
        assert conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is None
