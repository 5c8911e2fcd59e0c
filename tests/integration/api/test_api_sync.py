"""POST /api/contests/sync and GET /api/contests/sync/{id}: auth, validation, cooldown, queueing."""

import asyncio
import uuid

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from contest_pipelines import events
from contest_pipelines.api.auth import issue_token
from contest_pipelines.api.main import create_app
from contest_pipelines.db.tables import sync_requests
from tests.conftest import TEST_JWT_SECRET
from tests.factories import load, room_fixture


@pytest.fixture
def client(env, db) -> TestClient:
    load(db, room_fixture(players={"u1": "tourist", "u2": None, "u3": "petr"}, team_of={"u1": "t1"}))
    load(db, {"players": [{"userId": "outsider", "cfHandle": "outsider"}]})
    return TestClient(create_app())


def auth(user_id: str = "u1", secret: str = TEST_JWT_SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret, user_id)}"}


def queued_rows(db):
    with db.connect() as conn:
        return conn.execute(sa.select(sync_requests)).all()


def test_sync_is_queued_with_state_and_event(client, db, redis_client):
    response = client.post("/api/contests/sync", json={"roomId": "room-1", "problemId": "1843a"}, headers=auth())

    assert response.status_code == 202
    body = response.json()
    assert body["queued"] is True and body["position"] == 1 and uuid.UUID(body["requestId"])
    [row] = queued_rows(db)
    assert (row.user_id, row.cf_handle, row.team_id, row.problem_id, row.status) == (
        "u1",
        "tourist",
        "t1",
        "1843A",
        "queued",
    )
    state = redis_client.hgetall(events.sync_state_key("room-1", "u1"))
    assert state["status"] == "queued" and state["position"] == "1" and state["requestId"] == body["requestId"]
    assert "createdAt" in state
    [event] = events.read_since(redis_client, "u1")
    assert (event.type, event.data) == ("sync.queued", {"position": 1})
    assert 0 < redis_client.ttl(events.rate_limit_key("u1")) <= 60


def test_position_counts_requests_waiting_ahead(client):
    client.post("/api/contests/sync", json={"roomId": "room-1", "problemId": "1843A"}, headers=auth("u1"))
    second = client.post("/api/contests/sync", json={"roomId": "room-1", "problemId": "1843A"}, headers=auth("u3"))
    assert second.json()["position"] == 2


def test_second_sync_within_cooldown_is_429_with_retry_after(client):
    client.post("/api/contests/sync", json={"roomId": "room-1", "problemId": "1843A"}, headers=auth())
    response = client.post("/api/contests/sync", json={"roomId": "room-1", "problemId": "1843B"}, headers=auth())

    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "rate_limited" and 1 <= body["retryAfter"] <= 60
    assert response.headers["Retry-After"] == str(body["retryAfter"])


@pytest.mark.parametrize(
    ("payload", "user", "status", "detail_part"),
    [
        ({"roomId": "nope", "problemId": "1843A"}, "u1", 404, "does not exist or you are not a member"),
        ({"roomId": "room-1", "problemId": "1843A"}, "outsider", 404, "not a member"),
        ({"roomId": "room-1", "problemId": "1843Z"}, "u1", 422, "not part of room"),
        ({"roomId": "room-1", "problemId": "1843A"}, "u2", 422, "no Codeforces handle"),
        ({"roomId": "room-1", "problemId": "A"}, "u1", 422, "problemId"),
        ({"roomId": "room-1"}, "u1", 422, "problemId"),
        ({"roomId": "room-1", "problemId": "1843A", "cfHandle": "someone"}, "u1", 422, "cfHandle"),
    ],
    ids=[
        "unknown-room",
        "not-a-member",
        "problem-not-in-room",
        "no-handle",
        "malformed-problem",
        "missing-field",
        "handle-in-body",
    ],
)
def test_rejections_are_clear_and_do_not_consume_the_cooldown(
    client, db, redis_client, payload, user, status, detail_part
):
    response = client.post("/api/contests/sync", json=payload, headers=auth(user))

    assert response.status_code == status
    assert detail_part in response.json()["detail"]
    assert not redis_client.exists(events.rate_limit_key(user))
    assert queued_rows(db) == []


def test_bad_json_is_422(client):
    response = client.post(
        "/api/contests/sync", content=b"{not json", headers={**auth(), "Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        auth(secret="another-secret-that-is-long-enough-too"),
        {"Authorization": "Basic dTE6cA=="},
    ],
    ids=["missing", "garbage", "wrong-secret", "wrong-scheme"],
)
def test_missing_or_bad_token_is_401(client, redis_client, headers):
    response = client.post("/api/contests/sync", json={"roomId": "room-1", "problemId": "1843A"}, headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert redis_client.keys("ratelimit:*") == []


def test_status_is_visible_to_its_owner_only(client, db):
    request_id = client.post(
        "/api/contests/sync", json={"roomId": "room-1", "problemId": "1843A"}, headers=auth()
    ).json()["requestId"]

    mine = client.get(f"/api/contests/sync/{request_id}", headers=auth("u1"))
    assert mine.status_code == 200
    assert mine.json()["status"] == "queued" and mine.json()["problemId"] == "1843A"
    assert client.get(f"/api/contests/sync/{request_id}", headers=auth("u3")).status_code == 404
    assert client.get(f"/api/contests/sync/{uuid.uuid4()}", headers=auth("u1")).status_code == 404
    assert client.get("/api/contests/sync/not-a-uuid", headers=auth("u1")).status_code == 422
    assert mine.json()["position"] == 1 and mine.json()["reason"] is None

    with db.begin() as conn:  # the worker settles it
        conn.execute(sync_requests.update().values(status="failed", reason="WA", finished_at=sa.func.now()))
    finished = client.get(f"/api/contests/sync/{request_id}", headers=auth("u1")).json()
    assert (finished["status"], finished["position"], finished["reason"]) == ("failed", None, "WA")


def test_framework_errors_name_themselves(client):
    wrong_method = client.put("/api/contests/sync", json={}, headers=auth())
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"error": "method_not_allowed", "detail": "Method Not Allowed"}
    assert client.get("/api/nowhere").json()["error"] == "not_found"


def test_a_failed_insert_releases_the_cooldown(client, db, redis_client):
    with db.begin() as conn:  # make every insert fail after validation passed
        conn.execute(sa.text("ALTER TABLE sync_requests ADD CONSTRAINT test_block CHECK (false) NOT VALID"))
    try:
        with pytest.raises(sa.exc.IntegrityError):
            client.post("/api/contests/sync", json={"roomId": "room-1", "problemId": "1843A"}, headers=auth())
    finally:
        with db.begin() as conn:
            conn.execute(sa.text("ALTER TABLE sync_requests DROP CONSTRAINT test_block"))
    assert not redis_client.exists(events.rate_limit_key("u1"))


def test_hundred_concurrent_posts_by_one_user_give_exactly_one_202(env, db, redis_client, live_api):
    load(db, room_fixture())

    async def burst():
        async with httpx.AsyncClient(base_url=live_api, timeout=30) as http:
            return await asyncio.gather(
                *(
                    http.post("/api/contests/sync", json={"roomId": "room-1", "problemId": "1843A"}, headers=auth())
                    for _ in range(100)
                )
            )

    codes = sorted(r.status_code for r in asyncio.run(burst()))
    assert codes.count(202) == 1 and codes.count(429) == 99
    assert len(queued_rows(db)) == 1
    assert [e.type for e in events.read_since(redis_client, "u1")] == ["sync.queued"]
