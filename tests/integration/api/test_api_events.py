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
    live_api: str, count: int, hdrs: dict, params: dict | None = None, timeout: float = 10.0, path: str = "/api/events"
) -> tuple[list[dict], list[str]]:
    """Collect `count` SSE events (and any comment lines) from a live stream."""
    received, comments, current = [], [], {}
    with httpx.stream("GET", f"{live_api}{path}", headers=hdrs, params=params, timeout=timeout) as response:
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


def stream_token(live_api: str, user_id: str = "u1") -> dict:
    response = httpx.post(f"{live_api}/api/events/stream-token", headers=headers(user_id))
    assert response.status_code == 200
    return response.json()


def test_a_stream_token_url_opens_the_players_stream_without_a_header(sse_env, live_api, redis_client):
    """What a browser's EventSource does: GET the URL, no Authorization header, reconnect with Last-Event-ID."""
    from datetime import UTC, datetime, timedelta

    token = stream_token(live_api)
    assert token["url"].startswith("/api/events?streamToken=")
    expires = datetime.fromisoformat(token["expiresAt"])
    assert timedelta(hours=3) < expires - datetime.now(UTC) <= timedelta(hours=4)
    jwt = headers()["Authorization"].split()[1]
    assert jwt not in token["url"]

    thread = publish_later(redis_client, "u1", [("sync.queued", {"position": 1}), ("sync.failed", {"verdict": "WA"})])
    first, _ = read_events(live_api + token["url"].split("?")[0], 1, {}, params=_query(token["url"]), path="")
    thread.join()
    # The browser reconnects with the same URL and Last-Event-ID: the stream continues after it.
    rest, _ = read_events(
        live_api + token["url"].split("?")[0],
        1,
        {"Last-Event-ID": first[0]["id"]},
        params=_query(token["url"]),
        path="",
    )
    assert [e["event"] for e in first + rest] == ["sync.queued", "sync.failed"]


def _query(url: str) -> dict:
    from urllib.parse import parse_qs, urlsplit

    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_stream_token_reads_one_stream_and_opens_nothing_else(sse_env, live_api):
    from contest_pipelines.api.auth import issue_stream_token

    token = _query(stream_token(live_api)["url"])["streamToken"]
    # Not a bearer token: the other routes refuse it.
    assert (
        httpx.post(f"{live_api}/api/events/stream-token", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert httpx.get(f"{live_api}/api/admin/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # And the player's JWT is not a stream token.
    jwt = headers()["Authorization"].split()[1]
    refused = httpx.get(f"{live_api}/api/events", params={"streamToken": jwt})
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    from datetime import timedelta

    expired, _ = issue_stream_token(TEST_JWT_SECRET, "u1", timedelta(seconds=-1))
    assert httpx.get(f"{live_api}/api/events", params={"streamToken": expired}).status_code == 401
    assert httpx.post(f"{live_api}/api/events/stream-token").status_code == 401


def test_stream_tokens_stay_out_of_the_access_log():
    import logging

    from contest_pipelines.api.main import RedactStreamTokens

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/events?streamToken=abc.def.ghi&since=0", "1.1", 200), None,
    )  # fmt: skip
    assert RedactStreamTokens().filter(record)
    assert "abc.def" not in record.getMessage() and "streamToken=***&since=0" in record.getMessage()


@pytest.mark.parametrize(
    ("path", "secret", "shown"),
    [
        ("/api/calendar/feed/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA.ics", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA",
         "/api/calendar/feed/***.ics"),
        ("/api/calendar/google/callback?code=4/0Asecret&state=s3cr3t", "4/0Asecret", "?code=***&state=***"),
    ],
)  # fmt: skip
def test_feed_tokens_and_oauth_codes_never_reach_the_access_log(path, secret, shown):
    import logging

    from contest_pipelines.api.main import RedactStreamTokens

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", path, "1.1", 200), None)  # fmt: skip
    assert RedactStreamTokens().filter(record)
    assert secret not in record.getMessage() and shown in record.getMessage()
