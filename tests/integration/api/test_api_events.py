"""GET /api/events: Server-Sent Events off the user's Redis stream, resumable without loss."""

import json
import threading
import time

import httpx
import pytest

from contest_pipelines import events
from contest_pipelines.api.auth import issue_token
from tests.conftest import TEST_JWT_SECRET


def headers(user_id="u1", **extra):
    return {"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, user_id)}", **extra}


def read_events(
    live_api: str, count: int, hdrs: dict, params: dict | None = None, timeout: float = 10.0
) -> tuple[list[dict], list[str]]:
    """Collect `count` SSE events (and any comment lines) from a live stream."""
    received, comments, current = [], [], {}
    with httpx.stream("GET", f"{live_api}/api/events", headers=hdrs, params=params, timeout=timeout) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(":"):
                comments.append(line)
            elif line == "" and current:
                received.append(current)
                current = {}
                if len(received) == count:
                    break
            elif ":" in line:
                field, _, value = line.partition(":")
                current[field] = value.lstrip(" ")
    return received, comments


def publish_later(redis_client, user_id, items, delay=0.3):
    def run():
        time.sleep(delay)
        for event_type, data in items:
            events.publish(redis_client, user_id, event_type, data)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def sse_env(env, db, monkeypatch):
    monkeypatch.setenv("SSE_KEEPALIVE_SECONDS", "0.2")
    return env


def test_stream_carries_type_id_and_json_payload(sse_env, live_api, redis_client):
    thread = publish_later(redis_client, "u1", [("sync.queued", {"position": 3}), ("sync.failed", {"verdict": "WA"})])
    received, _ = read_events(live_api, 2, headers())
    thread.join()

    assert [e["event"] for e in received] == ["sync.queued", "sync.failed"]
    assert json.loads(received[0]["data"]) == {"position": 3}
    stored = events.read_since(redis_client, "u1")
    assert [e["id"] for e in received] == [e.id for e in stored]


def test_reconnect_with_last_event_id_misses_nothing(sse_env, live_api, redis_client):
    ids = [events.publish(redis_client, "u1", "sync.queued", {"position": n}) for n in range(1, 6)]
    # The client saw up to the second event, then lost its connection while three more arrived.
    received, _ = read_events(live_api, 3, headers(**{"Last-Event-ID": ids[1]}))
    assert [json.loads(e["data"])["position"] for e in received] == [3, 4, 5]
    assert [e["id"] for e in received] == ids[2:]


def test_new_connection_without_resume_point_gets_only_new_events(sse_env, live_api, redis_client):
    events.publish(redis_client, "u1", "sync.queued", {"position": 1})
    thread = publish_later(redis_client, "u1", [("sync.failed", {"reason": "cf_unavailable"})], delay=0.5)
    received, _ = read_events(live_api, 1, headers())
    thread.join()
    assert [e["event"] for e in received] == ["sync.failed"]


def test_other_users_events_are_not_delivered(sse_env, live_api, redis_client):
    thread = publish_later(redis_client, "u2", [("sync.queued", {"position": 9})])
    thread.join()
    events.publish(redis_client, "u1", "sync.queued", {"position": 1})
    received, _ = read_events(live_api, 1, headers("u1"), params={"since": "0"})
    assert [json.loads(e["data"]) for e in received] == [{"position": 1}]


def test_keepalive_comments_flow_while_idle(sse_env, live_api, redis_client):
    thread = publish_later(redis_client, "u1", [("sync.queued", {"position": 1})], delay=1.0)
    received, comments = read_events(live_api, 1, headers())
    thread.join()
    assert received and any(c.startswith(": ping") for c in comments)


def test_events_need_a_token(sse_env, live_api):
    assert httpx.get(f"{live_api}/api/events").status_code == 401


def test_stream_survives_idle_gaps_longer_than_the_redis_socket_timeout(sse_env, live_api, redis_client):
    # redis-py's default socket timeout is shorter than the XREAD block: a quiet minute must not end the stream.
    thread = publish_later(redis_client, "u1", [("sync.detected", {"n": 1})], delay=6.0)
    received, _ = read_events(live_api, 1, headers(), timeout=20)
    thread.join()
    assert [e["event"] for e in received] == ["sync.detected"]
