"""The production topology of docs/deploy.md actually runs: the code location as its own gRPC server,
the daemon and the webserver loading it from there (a workspace with `grpc_server`), the instance of
deploy/dagster.yaml (PostgreSQL storage, queued runs with tag limits, DefaultRunLauncher); a contest room
that ended is picked up by `room_status_sensor`, its run ends the room, and `match_ended_sensor` launches
its settlement: both runs complete, and the ledger has the room."""

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import yaml

from contest_pipelines.db.tables import settlement_ledger
from contest_pipelines.instance import write_instance_yaml
from contest_pipelines.settings import dagster_storage_url
from tests.conftest import ROOT, _with_path
from tests.e2e.conftest import stop_group
from tests.factories import load, room_fixture

BIN = Path(sys.executable).parent
RUNS = "{ runsOrError { ... on Runs { results { jobName status tags { key value } } } } }"
LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name displayMetadata { key value } } } } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, probe, seconds: float, logs: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if value := probe():
                return value
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.5)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in sorted(logs.glob("*.log")))
    raise AssertionError(f"{what} did not happen within {seconds} s\n{tails}")


@pytest.fixture
def topology(env, db, tmp_path: Path, pg_server_url: str):
    from contest_pipelines.embedded import create_database, drop_database

    dagster_db = f"cp_test_dagster_{uuid.uuid4().hex[:8]}"
    create_database(pg_server_url, dagster_db)
    home = tmp_path / "dagster_home"
    write_instance_yaml(home, use_postgres=True, template=ROOT / "deploy" / "dagster.yaml")
    grpc_port, web_port = free_port(), free_port()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(yaml.safe_dump({"load_from": [{"grpc_server": {
        "host": "127.0.0.1", "port": grpc_port, "location_name": "contest_pipelines"}}]}))  # fmt: skip
    proc_env = {**os.environ, **env, "DAGSTER_HOME": str(home),
                "DAGSTER_POSTGRES_URL": dagster_storage_url(_with_path(pg_server_url, f"/{dagster_db}"))}  # fmt: skip
    commands = {
        "code-server": [str(BIN / "dagster"), "api", "grpc", "-m", "contest_pipelines.definitions",
                        "-h", "127.0.0.1", "-p", str(grpc_port)],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        "webserver": [str(BIN / "dagster-webserver"), "-w", str(workspace), "-h", "127.0.0.1", "-p", str(web_port)],
    }  # fmt: skip
    processes, logs = [], []
    try:
        for name, command in commands.items():
            logs.append(open(tmp_path / f"{name}.log", "wb"))
            processes.append(subprocess.Popen(command, cwd=ROOT, env=proc_env, stdout=logs[-1],
                                              stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
            if name == "code-server":  # the others load the code from it
                wait_for("the code server listening", lambda: socket.create_connection(("127.0.0.1", grpc_port), 1),
                         90, tmp_path)  # fmt: skip
        url = f"http://127.0.0.1:{web_port}"
        wait_for("the webserver answering", lambda: httpx.get(f"{url}/server_info", timeout=2).status_code == 200,
                 120, tmp_path)  # fmt: skip
        yield url, grpc_port, tmp_path
    finally:
        for process in reversed(processes):
            stop_group(process)
        for log in logs:
            log.close()
        time.sleep(0.5)
        drop_database(pg_server_url, dagster_db)


def time_ago(**kwargs) -> datetime:
    return datetime.now(UTC) - timedelta(**kwargs)


def graphql(url: str, query: str) -> dict:
    return httpx.post(f"{url}/graphql", json={"query": query}, timeout=10).json()["data"]


def test_a_sensor_launched_run_completes_against_a_separate_code_server(db, topology):
    url, grpc_port, logs = topology
    [location] = graphql(url, LOCATIONS)["workspaceOrError"]["locationEntries"]
    assert location["name"] == "contest_pipelines"
    assert {"key": "port", "value": str(grpc_port)} in location["displayMetadata"]  # loaded from the gRPC server
    load(db, room_fixture(ends_at=time_ago(minutes=5), revealed_at=time_ago(hours=2)))

    def settlement_runs(runs: list[dict]) -> list[dict]:  # other schedules may run meanwhile (judges: no network)
        return [r for r in runs if r["jobName"] == "room_status_job" or "settlement" in r["jobName"]
                or any(t["key"] == "dagster/partition" and t["value"] == "room-1" for t in r["tags"])]  # fmt: skip

    def finished() -> set[str] | None:
        runs = settlement_runs(graphql(url, RUNS)["runsOrError"]["results"])
        done = {r["jobName"] for r in runs if r["status"] == "SUCCESS"}
        failed = [r for r in runs if r["status"] == "FAILURE"]
        assert not failed, failed
        return done if {"room_status_job"} <= done and any(j != "room_status_job" for j in done) else None

    done = wait_for("room_status_job and the settlement run succeeding", finished, 240, logs)
    assert "room_status_job" in done
    with db.connect() as conn:
        assert conn.execute(sa.select(settlement_ledger.c.room_id, settlement_ledger.c.status)).all() == [
            ("room-1", "applied")]  # fmt: skip
