"""The push path: a run launched through the Dagster webserver's GraphQL API the moment a request is
accepted, with the sensor as the safety net."""

import json

import httpx
import pytest
import sqlalchemy as sa

from contest_pipelines.clients.dagster_webserver import DagsterWebserverClient, LaunchFailed
from contest_pipelines.db.tables import sync_requests
from contest_pipelines.player_sync import queue
from contest_pipelines.player_sync.push import push
from tests.factories import load, room_fixture


def graphql(answer: dict | None = None, status: int = 200, seen: list | None = None) -> httpx.MockTransport:
    """The webserver's answer to `launchRun` (the shapes Dagster's GraphQL schema gives)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(json.loads(request.content))
        return httpx.Response(status, json=answer) if answer is not None else httpx.Response(status, text="<html>")

    return httpx.MockTransport(handle)


SUCCESS = {"data": {"launchRun": {"__typename": "LaunchRunSuccess", "run": {"runId": "run-123"}}}}


def test_launch_run_sends_the_job_selector_config_and_tags():
    seen: list = []
    client = DagsterWebserverClient(
        "http://dagster:3000", location="contest_pipelines", transport=graphql(SUCCESS, seen=seen)
    )
    assert client.launch_run("cf_sync_job", {"ops": {"x": {}}}, {"sync/path": "push"}) == "run-123"
    params = seen[0]["variables"]["executionParams"]
    assert params["selector"] == {
        "repositoryLocationName": "contest_pipelines",
        "repositoryName": "__repository__",
        "jobName": "cf_sync_job",
    }
    assert params["runConfigData"] == {"ops": {"x": {}}}
    assert params["executionMetadata"]["tags"] == [{"key": "sync/path", "value": "push"}]


@pytest.mark.parametrize(
    ("transport", "reason"),
    [
        (graphql({"data": {"launchRun": {"__typename": "PipelineNotFoundError", "message": "no cf_sync_job"}}}),
         "PipelineNotFoundError: no cf_sync_job"),
        (graphql(status=502), "HTTP 502"),
        (graphql({"errors": [{"message": "bad query"}]}), "HTTP 200"),
    ],
)  # fmt: skip
def test_a_refused_launch_says_why(transport, reason):
    client = DagsterWebserverClient("http://dagster:3000", location="contest_pipelines", transport=transport)
    with pytest.raises(LaunchFailed, match=reason):
        client.launch_run("cf_sync_job", {}, {})


def test_an_unreachable_webserver_is_a_launch_failure():
    client = DagsterWebserverClient("http://127.0.0.1:1", location="contest_pipelines", timeout_seconds=0.5)
    with pytest.raises(LaunchFailed, match="unreachable"):
        client.launch_run("cf_sync_job", {}, {})


def test_a_pushed_request_is_left_to_its_run_then_the_sensor_takes_it(db, enqueue):
    load(db, room_fixture())
    request_id = enqueue()
    client = DagsterWebserverClient("http://dagster:3000", location="contest_pipelines", transport=graphql(SUCCESS))
    assert push(db, client, request_id) == "run-123"
    with db.connect() as conn:
        assert conn.execute(sa.select(sync_requests.c.dagster_run_id)).scalar_one() == "run-123"
        assert queue.due_requests(conn, 10, push_grace_seconds=60) == []  # its run is on the way
        assert [rid for rid, _ in queue.due_requests(conn, 10, push_grace_seconds=0)] == [request_id]  # grace over
    with db.begin() as conn:  # the pushed run claims it by id
        [claimed] = queue.claim(conn, [request_id], "run-123")
    assert claimed.id == request_id


def test_a_failed_push_leaves_the_request_to_the_sensor_at_once(db, enqueue, caplog):
    load(db, room_fixture())
    request_id = enqueue()
    client = DagsterWebserverClient("http://127.0.0.1:1", location="contest_pipelines", timeout_seconds=0.5)
    assert push(db, client, request_id) is None
    assert "not pushed" in caplog.text
    with db.connect() as conn:
        assert [rid for rid, _ in queue.due_requests(conn, 10, push_grace_seconds=60)] == [request_id]


class RecordingLauncher:
    """Stands in for the webserver client: records each launch."""

    def __init__(self):
        self.launched: list[dict] = []

    def launch_run(self, job_name: str, run_config: dict, tags: dict) -> str:
        self.launched.append(run_config)
        return f"run-{len(self.launched)}"


def test_the_api_pushes_a_lone_request_and_leaves_a_burst_to_the_sensor(env, db, monkeypatch):
    from fastapi.testclient import TestClient

    from contest_pipelines.api.auth import issue_token
    from contest_pipelines.api.deps import sync_launcher
    from contest_pipelines.api.main import create_app
    from contest_pipelines.settings import get_settings
    from tests.conftest import TEST_JWT_SECRET

    monkeypatch.setenv("SYNC_PUSH_MAX_POSITION", "2")
    get_settings.cache_clear()
    players = {f"u{i}": f"h{i}" for i in range(4)}
    load(db, room_fixture(players=players))
    launcher = RecordingLauncher()
    app = create_app()
    app.dependency_overrides[sync_launcher] = lambda: launcher

    def sync(user: str) -> dict:
        response = TestClient(app).post(
            "/api/contests/sync",
            json={"roomId": "room-1", "problemId": "1843A"},
            headers={"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, user)}"},
        )
        assert response.status_code == 202
        return response.json()

    first, second, third = sync("u0"), sync("u1"), sync("u2")
    assert [c["ops"]["process_sync_requests"]["config"]["request_ids"] for c in launcher.launched] == [
        [first["requestId"]],
        [second["requestId"]],
    ]  # the third waits behind two: the sensor batches it
    assert third["position"] == 3
    with db.connect() as conn:
        pushed = dict(conn.execute(sa.select(sync_requests.c.id, sync_requests.c.dagster_run_id)).all())
    assert pushed == {first["requestId"]: "run-1", second["requestId"]: "run-2", third["requestId"]: None}
