"""CORS: the allowed front-end origins (CORS_ALLOWED_ORIGINS) and only them may call the API from a browser."""

import pytest
from fastapi.testclient import TestClient

from contest_pipelines.api.main import create_app
from contest_pipelines.settings import get_settings

FRONT = "https://play.example.org"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}


@pytest.fixture
def app_for(env, db, monkeypatch):
    def make(origins: str | None) -> TestClient:
        if origins is None:
            monkeypatch.delenv("CORS_ALLOWED_ORIGINS", raising=False)
        else:
            monkeypatch.setenv("CORS_ALLOWED_ORIGINS", origins)
        get_settings.cache_clear()
        return TestClient(create_app())

    return make


def test_preflight_answers_an_allowed_origin(app_for):
    client = app_for(f"{FRONT}, https://admin.example.org/")
    response = client.options("/api/contests/sync", headers={"Origin": FRONT, **PREFLIGHT})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONT
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers
    # The trailing slash of a configured origin does not matter; browsers send none.
    other = client.options("/api/contests/sync", headers={"Origin": "https://admin.example.org", **PREFLIGHT})
    assert other.status_code == 200


def test_other_origins_get_no_cors_headers(app_for):
    client = app_for(FRONT)
    refused = client.options("/api/contests/sync", headers={"Origin": "https://evil.example.com", **PREFLIGHT})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    read = client.get("/healthz", headers={"Origin": "https://evil.example.com"})
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers


def test_an_allowed_page_can_read_a_public_board_and_the_retry_after(app_for):
    client = app_for(FRONT)
    response = client.get("/api/scoreboards/league/nope", headers={"Origin": FRONT})
    assert response.status_code == 404 and response.headers["access-control-allow-origin"] == FRONT
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()


def test_without_the_setting_there_is_no_cors_at_all(app_for):
    client = app_for(None)
    assert client.options("/api/contests/sync", headers={"Origin": FRONT, **PREFLIGHT}).status_code == 405
    assert "access-control-allow-origin" not in client.get("/healthz", headers={"Origin": FRONT}).headers
