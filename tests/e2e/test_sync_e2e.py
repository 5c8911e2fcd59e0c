"""End to end: a player clicks Sync, the real Dagster daemon runs cf_sync_job, SSE says detected."""

import json
import queue
import threading
import time

import httpx
import pytest

from contest_pipelines import events
from contest_pipelines.api.auth import issue_token
from tests.conftest import TEST_JWT_SECRET
from tests.factories import load, room_fixture

pytestmark = pytest.mark.e2e
# Generous: the daemon's sensor loop ticks every 5 s and each run spawns a fresh interpreter.
HANG_GUARD_SECONDS = 40


def listen(live_api: str, token: str, sink: queue.Queue, ready: threading.Event) -> None:
    event: dict = {}
    with httpx.stream(
        "GET", f"{live_api}/api/events", headers={"Authorization": f"Bearer {token}"}, timeout=HANG_GUARD_SECONDS
    ) as response:
        ready.set()
        for line in response.iter_lines():
            if line == "" and event:
                sink.put(event)
                event = {}
            elif line and not line.startswith(":"):
                field, _, value = line.partition(":")
                event[field] = value.lstrip(" ")


def sync_and_wait(live_api: str, token: str, redis_client) -> tuple[httpx.Response, dict]:
    """Subscribe, POST a sync of 1843A in room-1, see sync.queued, then wait for sync.detected."""
    received: queue.Queue = queue.Queue()
    ready = threading.Event()
    threading.Thread(target=listen, args=(live_api, token, received, ready), daemon=True).start()
    assert ready.wait(10)
    response = httpx.post(
        f"{live_api}/api/contests/sync",
        json={"roomId": "room-1", "problemId": "1843A"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202
    queued = received.get(timeout=10)
    assert queued["event"] == "sync.queued" and json.loads(queued["data"]) == {"position": 1}
    try:
        detected = received.get(timeout=HANG_GUARD_SECONDS)
    except queue.Empty:
        pytest.fail(f"no sync.detected on SSE; the stream holds {events.read_since(redis_client, 'u1')}")
    assert detected["event"] == "sync.detected"
    return response, detected


def test_sync_detected_arrives_on_the_sse_stream(dagster_daemon, live_api, db, redis_client, fake_cf):
    load(db, room_fixture(team_of={"u1": "t1"}))
    submission = fake_cf.add_submission("tourist", "1843A", "OK", created=int(time.time()) - 300)
    token = issue_token(TEST_JWT_SECRET, "u1")
    response, detected = sync_and_wait(live_api, token, redis_client)
    assert json.loads(detected["data"]) == {
        "roomId": "room-1",
        "userId": "u1",
        "teamId": "t1",
        "problemId": "1843A",
        "cfSubmissionId": submission["id"],
        "cfTimestamp": submission["creationTimeSeconds"],
        "verdict": "OK",
        "pointsAwarded": 100,
    }
    status = httpx.get(
        f"{live_api}/api/contests/sync/{response.json()['requestId']}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert status["status"] == "detected"


@pytest.fixture
def push_env(dagster_webserver, monkeypatch):
    """The API pushes: it launches each accepted request's run through the webserver."""
    from contest_pipelines.settings import get_settings

    monkeypatch.setenv("DAGSTER_WEBSERVER_URL", dagster_webserver)
    get_settings.cache_clear()
    return dagster_webserver


def run_tags(webserver: str, run_id: str) -> dict[str, str]:
    query = "query($id: ID!) { runOrError(runId: $id) { ... on Run { tags { key value } } } }"
    body = httpx.post(f"{webserver}/graphql", json={"query": query, "variables": {"id": run_id}}, timeout=10).json()
    return {t["key"]: t["value"] for t in body["data"]["runOrError"]["tags"]}


def test_an_accepted_sync_is_pushed_to_a_run_of_its_own(push_env, live_api, db, redis_client, fake_cf):
    import sqlalchemy as sa

    from contest_pipelines.db.tables import sync_requests

    load(db, room_fixture())
    fake_cf.add_submission("tourist", "1843A", "OK", created=int(time.time()) - 300)
    sync_and_wait(live_api, issue_token(TEST_JWT_SECRET, "u1"), redis_client)
    with db.connect() as conn:
        run_id = conn.execute(sa.select(sync_requests.c.dagster_run_id)).scalar_one()
    assert run_tags(push_env, run_id)["sync/path"] == "push"  # the pushed run did it, not the sensor
