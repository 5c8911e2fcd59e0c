"""The caller's settings: a validated IANA time zone (the day streaks count in)."""

import pytest
from fastapi.testclient import TestClient

from contest_pipelines.api.auth import issue_token
from contest_pipelines.api.main import create_app
from tests.conftest import TEST_JWT_SECRET
from tests.factories import load, room_fixture


def auth(user: str = "u1") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, user)}"}


@pytest.fixture
def client(env, db) -> TestClient:
    load(db, room_fixture())
    return TestClient(create_app())


def test_a_player_sets_and_clears_their_time_zone(client):
    assert client.get("/api/players/me", headers=auth()).json() == {"userId": "u1", "timeZone": None}
    saved = client.put("/api/players/me", json={"timeZone": "Asia/Kolkata"}, headers=auth())
    assert saved.status_code == 200 and saved.json()["timeZone"] == "Asia/Kolkata"
    assert client.get("/api/players/me", headers=auth()).json()["timeZone"] == "Asia/Kolkata"
    assert client.put("/api/players/me", json={"timeZone": None}, headers=auth()).json()["timeZone"] is None


@pytest.mark.parametrize("zone", ["Mars/Olympus", "IST", "+05:30", ""])
def test_an_unknown_zone_is_422_with_the_reason(client, zone):
    response = client.put("/api/players/me", json={"timeZone": zone}, headers=auth())
    assert response.status_code == 422 and "IANA time zone" in response.json()["detail"]


def test_unknown_players_and_missing_tokens(client):
    assert client.get("/api/players/me").status_code == 401
    assert client.put("/api/players/me", json={"timeZone": "UTC"}, headers=auth("ghost")).status_code == 404
