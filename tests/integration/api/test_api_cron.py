"""The cron console through the API, against a real Dagster: `dagster-daemon run` and `dagster-webserver`
on this repository's definitions (one pair for the module, on a fresh instance and a fresh database),
read and switched over the webserver's GraphQL API as in production."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from contest_pipelines.api.auth import issue_token
from contest_pipelines.api.cron_console import judge_daemons
from contest_pipelines.api.main import create_app
from contest_pipelines.clients.dagster_webserver import DaemonStatus, DagsterUnavailable, DagsterWebserverClient
from contest_pipelines.db.migrate import upgrade
from contest_pipelines.embedded import create_database, drop_database
from contest_pipelines.instance import write_instance_yaml
from contest_pipelines.settings import dagster_storage_url, get_settings
from tests.conftest import ROOT, TEST_JWT_SECRET, _with_path
from tests.e2e.conftest import stop_group

ADMIN = {"Authorization": "Bearer test-admin-token"}
LOCATION = "contest_pipelines"
# Nothing the daemon runs here may reach the real judges: every external URL points at a closed port.
NOWHERE = "http://127.0.0.1:9"
UNSET = ("DAGSTER_WEBSERVER_URL", "GAME_PLATFORM_API_URL", "GAME_PLATFORM_API_TOKEN", "MATCH_PROVIDER_URL",
         "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "CALENDAR_TOKEN_KEYS")  # fmt: skip
JUDGES = ("LEETCODE", "CODECHEF", "ATCODER", "HACKERRANK", "GEEKSFORGEEKS", "CODE360")
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
e2e = pytest.mark.e2e


def wait_for(predicate: Callable, timeout: float = 120, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    try:
        stop_group(process)
    except ProcessLookupError:  # the group is already gone
        process.wait()


@dataclass
class DagsterStack:
    url: str
    daemon: subprocess.Popen
    home: Path

    def stop_daemon(self) -> None:
        _stop(self.daemon)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / command[0]), *command[1:]],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _ready(client: DagsterWebserverClient) -> bool:
    """The code location is loaded and every daemon has sent a heartbeat."""
    try:
        client.instigators()
        statuses = client.daemon_statuses()
    except DagsterUnavailable:
        return False
    return bool(statuses) and all(s.last_heartbeat for s in statuses)


@pytest.fixture(scope="module")
def dagster_stack(pg_server_url: str, redis_url: str) -> Iterator[DagsterStack]:
    """A daemon and a webserver sharing a temporary DAGSTER_HOME and Dagster database, running the code
    location on a database of their own (migrated, empty): nothing other tests leave behind is ticked."""
    suffix = uuid.uuid4().hex[:8]
    app_db, dagster_db = f"cp_test_cron_{suffix}", f"cp_test_cron_dagster_{suffix}"
    tmp = Path(tempfile.mkdtemp(prefix="cp_cron_"))
    processes: list[subprocess.Popen] = []
    create_database(pg_server_url, app_db)
    create_database(pg_server_url, dagster_db)
    try:
        upgrade(_with_path(pg_server_url, f"/{app_db}"))
        write_instance_yaml(tmp / "home", use_postgres=True)
        env = {key: value for key, value in os.environ.items() if key not in UNSET}
        env |= {
            "DAGSTER_HOME": str(tmp / "home"),
            "DAGSTER_POSTGRES_URL": dagster_storage_url(_with_path(pg_server_url, f"/{dagster_db}")),
            "DATABASE_URL": _with_path(pg_server_url, f"/{app_db}"),
            "REDIS_URL": redis_url,
            "CODEFORCES_API_URL": NOWHERE,
            **{f"{judge}_URL": NOWHERE for judge in JUDGES},
        }
        processes.append(_start(["dagster-daemon", "run", "-w", str(ROOT / "workspace.yaml")], env, tmp / "daemon.log"))
        port = _free_port()
        webserver = ["dagster-webserver", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)]
        processes.append(_start(webserver, env, tmp / "webserver.log"))
        stack = DagsterStack(f"http://127.0.0.1:{port}", processes[0], tmp / "home")
        client = DagsterWebserverClient(stack.url, location=LOCATION)
        try:
            wait_for(lambda: _ready(client), timeout=180, every=1)
        except AssertionError:
            logs = "\n".join(f"{p.name}:\n{p.read_text()[-3000:]}" for p in tmp.glob("*.log"))
            raise AssertionError(f"Dagster did not come up:\n{logs}") from None
        finally:
            client.close()
        yield stack
    finally:
        for process in processes:
            _stop(process)
        time.sleep(0.5)  # the webserver's code server lets go of the databases
        drop_database(pg_server_url, dagster_db)
        drop_database(pg_server_url, app_db)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def api(env, monkeypatch) -> Callable[..., TestClient]:
    """The API with the given settings (DAGSTER_WEBSERVER_URL, the heartbeat threshold, ...)."""

    def make(**settings: str) -> TestClient:
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return TestClient(create_app())

    return make


@pytest.fixture
def console(api, dagster_stack) -> TestClient:
    return api(DAGSTER_WEBSERVER_URL=dagster_stack.url)


def listed(client: TestClient) -> dict[str, dict]:
    response = client.get("/api/admin/cron", headers=ADMIN)
    assert response.status_code == 200, response.text
    return {entry["name"]: entry for entry in response.json()}


def graphql(stack: DagsterStack, query: str, **variables) -> dict:
    """Dagster's own answer, asked directly (not through the API under test)."""
    body = httpx.post(f"{stack.url}/graphql", json={"query": query, "variables": variables}, timeout=30).json()
    return body["data"]


SELECTORS = {  # kind: (query field, argument, selector type, name key, state field)
    "schedule": ("scheduleOrError", "scheduleSelector", "ScheduleSelector", "scheduleName", "scheduleState"),
    "sensor": ("sensorOrError", "sensorSelector", "SensorSelector", "sensorName", "sensorState"),
}


def dagster_status(stack: DagsterStack, name: str, kind: str) -> str:
    field, arg, selector, key, state = SELECTORS[kind]
    query = f"query($s: {selector}!) {{ {field}({arg}: $s) {{ ... on {kind.title()} {{ {state} {{ status }} }} }} }}"
    selected = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", key: name}
    return graphql(stack, query, s=selected)[field][state]["status"]


def dagster_run(stack: DagsterStack, run_id: str) -> dict:
    query = "query($id: ID!) { runOrError(runId: $id) { ... on Run { jobName status tags { key value } } } }"
    return graphql(stack, query, id=run_id)["runOrError"]


def finished_run(stack: DagsterStack, run_id: str) -> dict:
    return wait_for(lambda: (run := dagster_run(stack, run_id)) and run["status"] in FINISHED and run, timeout=180)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@e2e
def test_the_console_lists_every_schedule_and_sensor_as_dagster_reports_them(console, env):
    from contest_pipelines.definitions import defs

    repo = defs().get_repository_def()
    expected = {s.name: "schedule" for s in repo.schedule_defs} | {s.name: "sensor" for s in repo.sensor_defs}

    # The daemon ticks every sensor once it starts: wait until the 30 s sensor has a finished tick to show
    # (a tick in progress reads `started`).
    def ticked():
        entries = listed(console)
        tick = entries and entries["roster_change_sensor"]["lastTick"]
        return entries if tick and tick["status"] != "started" else None

    entries = wait_for(ticked, timeout=90)
    assert {name: entry["kind"] for name, entry in entries.items()} == expected
    assert list(entries)[: len(repo.schedule_defs)] == sorted(s.name for s in repo.schedule_defs)

    achievements = entries["achievements_schedule"]
    assert (achievements["cron"], achievements["timezone"], achievements["jobs"]) == (
        "* * * * *",
        "UTC",
        ["achievements_job"],
    )
    assert achievements["status"] == "running" and achievements["minIntervalSeconds"] is None
    next_minute = at(achievements["nextTick"])
    assert next_minute.second == 0 and timedelta(0) < next_minute - datetime.now(next_minute.tzinfo) <= timedelta(
        seconds=61
    )
    assert (entries["cleanup_schedule"]["cron"], entries["cleanup_schedule"]["jobs"]) == ("15 3 * * *", ["cleanup_job"])

    sync = entries["sync_request_sensor"]
    assert (sync["kind"], sync["minIntervalSeconds"], sync["jobs"], sync["cron"]) == (
        "sensor",
        2,
        ["cf_sync_job"],
        None,
    )
    assert sync["status"] == "running" and sync["sensorType"] == "standard"
    roster = entries["roster_change_sensor"]
    assert roster["lastTick"]["status"] == "skipped" and roster["lastTick"]["error"] is None
    assert roster["lastTick"]["skipReason"].startswith("GAME_PLATFORM_API_URL / GAME_PLATFORM_API_TOKEN are not set")
    assert at(roster["nextTick"]) - at(roster["lastTick"]["at"]) == timedelta(seconds=30)
    failure_sensor = entries["sync_run_failure_sensor"]
    assert failure_sensor["jobs"] == [] and failure_sensor["sensorType"] == "run_status"


@e2e
@pytest.mark.parametrize(("name", "kind"), [("cleanup_schedule", "schedule"), ("roster_change_sensor", "sensor")])
def test_stop_then_start_flips_the_state_dagster_reports(console, dagster_stack, name, kind):
    stopped = console.post(f"/api/admin/cron/{name}/stop", headers=ADMIN)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "stopped" and stopped.json()["nextTick"] is None
    assert dagster_status(dagster_stack, name, kind) == "STOPPED"
    assert listed(console)[name]["status"] == "stopped"
    again = console.post(f"/api/admin/cron/{name}/stop", headers=ADMIN)
    assert again.status_code == 200 and again.json()["status"] == "stopped"

    started = console.post(f"/api/admin/cron/{name}/start", headers=ADMIN)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "running"
    assert dagster_status(dagster_stack, name, kind) == "RUNNING"
    assert listed(console)[name]["status"] == "running"
    if kind == "schedule":
        assert at(started.json()["nextTick"]).strftime("%H:%M") == "03:15"


@e2e
def test_run_now_launches_the_job_as_the_schedules_run_and_it_becomes_the_last_run(console, dagster_stack):
    # Stopped first, so that no minute tick races the run we launch for "last run".
    assert console.post("/api/admin/cron/achievements_schedule/stop", headers=ADMIN).status_code == 200
    try:
        launched = console.post("/api/admin/cron/achievements_schedule/run", headers=ADMIN)
        assert launched.status_code == 202, launched.text
        run_id = launched.json()["runId"]
        url = f"{dagster_stack.url}/runs/{run_id}"
        assert launched.json() == {"runId": run_id, "job": "achievements_job", "url": url}

        run = finished_run(dagster_stack, run_id)
        assert (run["jobName"], run["status"]) == ("achievements_job", "SUCCESS")
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert tags["dagster/schedule_name"] == "achievements_schedule"
        assert tags["contest_pipelines/launched_by"] == "cron-console"

        last = listed(console)["achievements_schedule"]["lastRun"]
        assert (last["runId"], last["job"], last["status"], last["url"]) == (run_id, "achievements_job", "success", url)
        assert last["error"] is None and last["durationSeconds"] > 0
        assert at(last["startedAt"]) <= at(last["endedAt"])
    finally:
        console.post("/api/admin/cron/achievements_schedule/start", headers=ADMIN)


@e2e
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("sync_run_failure_sensor", "launches no job (a run_status sensor)"),
        ("match_ended_sensor", "requests asset materializations"),
        ("game_platform_sync_schedule", "game_platform_sync_job, which is partitioned"),
        # cf_sync_job needs the request ids its sensor computes: Dagster refuses the launch.
        ("sync_request_sensor", "RunConfigValidationInvalid"),
    ],
)
def test_run_now_refuses_what_it_cannot_launch_as_is(console, name, reason):
    response = console.post(f"/api/admin/cron/{name}/run", headers=ADMIN)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "conflict" and reason in response.json()["detail"]


@e2e
def test_a_failed_last_run_says_why(console, dagster_stack):
    # What run now refuses (a partitioned job without a partition), launched straight through Dagster.
    client = DagsterWebserverClient(dagster_stack.url, location=LOCATION)
    try:
        run_id = client.launch_run(
            "game_platform_sync_job", {}, {"dagster/schedule_name": "game_platform_sync_schedule"}
        )
    finally:
        client.close()
    assert finished_run(dagster_stack, run_id)["status"] == "FAILURE"
    last = listed(console)["game_platform_sync_schedule"]["lastRun"]
    assert (last["runId"], last["status"]) == (run_id, "failure")
    assert last["error"].startswith("challenge_solves: ") and "partition" in last["error"]


@e2e
@pytest.mark.parametrize("action", ["run", "start", "stop"])
def test_an_unknown_name_is_404_and_named(console, action):
    response = console.post(f"/api/admin/cron/no_such_schedule/{action}", headers=ADMIN)
    assert response.status_code == 404
    detail = "no schedule or sensor named 'no_such_schedule' in the code location"
    assert response.json() == {"error": "not_found", "detail": detail}


ROUTES = [("GET", "/api/admin/cron"), ("POST", "/api/admin/cron/cleanup_schedule/run"),
          ("POST", "/api/admin/cron/cleanup_schedule/start"), ("POST", "/api/admin/cron/cleanup_schedule/stop"),
          ("GET", "/api/admin/health/daemons")]  # fmt: skip


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_the_admin_token(api, method, path):
    client = api(DAGSTER_WEBSERVER_URL=NOWHERE)
    player = {"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, 'u1')}"}
    assert client.request(method, path).status_code == 401
    assert client.request(method, path, headers=player).status_code == 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_without_a_webserver_the_console_is_503_and_says_why(api, monkeypatch, method, path):
    monkeypatch.delenv("DAGSTER_WEBSERVER_URL", raising=False)
    unset = api().request(method, path, headers=ADMIN)
    assert unset.status_code == 503 and "DAGSTER_WEBSERVER_URL is not set" in unset.json()["detail"]
    down = api(DAGSTER_WEBSERVER_URL=NOWHERE).request(method, path, headers=ADMIN)
    assert down.status_code == 503 and "unreachable at http://127.0.0.1:9" in down.json()["detail"]


def test_a_daemon_is_healthy_up_to_the_threshold_and_only_required_ones_count():
    statuses = [
        DaemonStatus("SCHEDULER", True, 1000.0, ()),
        DaemonStatus("SENSOR", True, 990.0, ("boom",)),
        DaemonStatus("ASSET", False, None, ()),
    ]
    health = judge_daemons(statuses, max_age_seconds=10, now=1010.0)
    assert [(d.daemonType, d.ageSeconds, d.healthy) for d in health.daemons] == [
        ("SCHEDULER", 10.0, True),
        ("SENSOR", 20.0, False),
        ("ASSET", None, False),
    ]
    assert health.daemons[1].errors == ["boom"] and not health.healthy
    assert judge_daemons(statuses[:1] + statuses[2:], 10, 1010.0).healthy  # the unhealthy one is not required
    assert not judge_daemons([], 10, 1010.0).healthy  # no daemon known: none runs


# Last in the module: it stops the module's daemon.
@e2e
def test_daemon_heartbeats_turn_unhealthy_once_the_daemon_dies(api, dagster_stack):
    def health(max_age: float) -> dict:
        client = api(DAGSTER_WEBSERVER_URL=dagster_stack.url, DAEMON_HEARTBEAT_MAX_AGE_SECONDS=str(max_age))
        response = client.get("/api/admin/health/daemons", headers=ADMIN)
        assert response.status_code == 200, response.text
        return response.json()

    # Daemons beat every 30 s and the scheduler once a minute: above that, a running daemon is healthy.
    running = health(75)
    types = {d["daemonType"] for d in running["daemons"]}
    assert {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR", "BACKFILL", "MONITORING"} <= types
    assert running["healthy"] and all(d["healthy"] and 0 <= d["ageSeconds"] <= 75 for d in running["daemons"])
    # At 5 s, a daemon is healthy right after it beats (one beats within 30 s).
    wait_for(lambda: any(d["healthy"] for d in health(5)["daemons"]), timeout=45, every=1)

    dagster_stack.stop_daemon()
    beats = {d["daemonType"]: d["lastHeartbeatAt"] for d in health(5)["daemons"]}
    last_beat = max(at(b) for b in beats.values())
    time.sleep(max(0.0, (last_beat + timedelta(seconds=6) - datetime.now(last_beat.tzinfo)).total_seconds()))
    dead = health(5)
    assert not dead["healthy"] and dead["maxAgeSeconds"] == 5
    assert all(not d["healthy"] and d["ageSeconds"] > 5 for d in dead["daemons"])
    assert {d["daemonType"]: d["lastHeartbeatAt"] for d in dead["daemons"]} == beats  # no beat since it died
