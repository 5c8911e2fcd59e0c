"""Health, readiness and the operator routes (queue overview, dead letters, replay)."""

import gc
import sys

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from contest_pipelines.api.auth import issue_token
from contest_pipelines.api.main import GIL_SWITCH_SECONDS, create_app
from contest_pipelines.db.tables import sync_requests
from tests.conftest import TEST_JWT_SECRET
from tests.factories import load, room_fixture

ADMIN = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def client(env, db) -> TestClient:
    load(db, room_fixture())
    return TestClient(create_app())


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_is_unreachable(env, db, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    from contest_pipelines.settings import get_settings

    get_settings.cache_clear()
    response = TestClient(create_app()).get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["redis"].startswith("error")


def test_admin_routes_need_the_admin_token(client):
    player = {"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, 'u1')}"}
    assert client.get("/api/admin/queue").status_code == 401
    assert client.get("/api/admin/queue", headers=player).status_code == 401
    admin_jwt = {"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, 'ops', admin=True)}"}
    assert client.get("/api/admin/queue", headers=admin_jwt).status_code == 200


def test_dead_letters_are_listed_and_replayed(client, db):
    queued = client.post(
        "/api/contests/sync",
        json={"roomId": "room-1", "problemId": "1843A"},
        headers={"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, 'u1')}"},
    ).json()["requestId"]
    with db.begin() as conn:
        conn.execute(
            sync_requests.update().values(status="dead", attempts=4, reason="cf_unavailable", finished_at=sa.func.now())
        )

    assert client.get("/api/admin/queue", headers=ADMIN).json()["byStatus"]["dead"] == 1
    [dead] = client.get("/api/admin/dead-letters", headers=ADMIN).json()
    assert dead["requestId"] == queued and dead["reason"] == "cf_unavailable"

    assert client.post(f"/api/admin/dead-letters/{queued}/replay", headers=ADMIN).status_code == 202
    with db.connect() as conn:
        row = conn.execute(sa.select(sync_requests)).one()
    assert (row.status, row.attempts, row.generation) == ("queued", 0, 1)
    assert client.post(f"/api/admin/dead-letters/{queued}/replay", headers=ADMIN).status_code == 404


def test_onboarding_and_team_deletion_routes(client, db):
    from contest_pipelines.db.tables import onboarding_requests, teams

    load(
        db,
        {
            "players": [{"userId": "ann", "status": "compliance"}],
            "teams": [{"teamId": "full", "name": "Full", "members": ["ann"]}, {"teamId": "empty", "name": "Empty"}],
        },
    )
    assert client.post("/api/admin/onboarding", json={"userId": "ann"}).status_code == 401
    accepted = client.post("/api/admin/onboarding", json={"userId": "ann", "coachId": None}, headers=ADMIN)
    assert accepted.status_code == 202
    assert client.post("/api/admin/onboarding", json={"userId": "ghost"}, headers=ADMIN).status_code == 404
    assert client.delete("/api/admin/teams/full", headers=ADMIN).status_code == 409
    assert client.delete("/api/admin/teams/empty", headers=ADMIN).status_code == 202
    assert client.delete("/api/admin/teams/empty", headers=ADMIN).status_code == 404
    with db.connect() as conn:
        assert conn.execute(sa.select(onboarding_requests.c.user_id, onboarding_requests.c.status)).one() == (
            "ann",
            "pending",
        )
        assert conn.execute(sa.select(teams.c.deleted_at).where(teams.c.team_id == "empty")).scalar_one() is not None


def test_the_api_warns_about_development_secrets_without_printing_them(monkeypatch, caplog):
    from contest_pipelines.settings import DEV_JWT_SECRET, get_settings

    monkeypatch.delenv("API_JWT_SECRET", raising=False)
    monkeypatch.setenv("ADMIN_TOKEN", "a-real-admin-token")
    get_settings.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="contest_pipelines.api.main"):
            create_app()
    finally:
        get_settings.cache_clear()
    [record] = [r for r in caplog.records if r.name == "contest_pipelines.api.main"]
    assert "API_JWT_SECRET" in record.getMessage() and "ADMIN_TOKEN" not in record.getMessage()
    assert DEV_JWT_SECRET not in caplog.text


def test_the_served_app_keeps_its_start_up_heap_out_of_the_collector_and_restores_it_at_shutdown(env, db):
    switch = sys.getswitchinterval()
    with TestClient(create_app()) as served:
        assert served.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 1000  # the modules, routes and models built at start-up
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_SECONDS)
    assert gc.get_freeze_count() == 0
    assert sys.getswitchinterval() == pytest.approx(switch)


def test_oversized_bodies_and_authorization_headers_are_refused_before_any_route(client):
    big = b"{" + b" " * (1024 * 1024) + b"}"
    declared = client.post("/api/contests/sync", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"] == "content_too_large"

    def chunks():
        for _ in range(5):
            yield b" " * (300 * 1024)

    streamed = client.put("/api/calendar/preferences", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    long_token = client.get("/api/admin/queue", headers={"Authorization": "Bearer " + "x" * 5000})
    assert long_token.status_code == 431 and "Authorization" in long_token.json()["detail"]
    assert client.get("/healthz").status_code == 200
