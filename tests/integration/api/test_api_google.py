"""Connecting Google from the API: consent URL with a single-use state, the callback sealing the refresh
token, the status, disconnecting, and the calendar Sync with its cooldown."""

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from contest_pipelines.api.auth import issue_token
from contest_pipelines.api.main import create_app
from contest_pipelines.calendar.token_box import TokenBox
from contest_pipelines.db.tables import google_accounts, google_oauth_states
from contest_pipelines.settings import get_settings
from tests.conftest import TEST_JWT_SECRET
from tests.factories import load, room_fixture
from tests.fakes.google_calendar import CLIENT_ID, CLIENT_SECRET


def auth(user: str = "u1") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, user)}"}


@pytest.fixture
def client(env, db, fake_google, monkeypatch) -> TestClient:
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    for name, value in {
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "CALENDAR_TOKEN_KEYS": f"k1:{TokenBox.new_key()}",
        "GOOGLE_OAUTH_URL": fake_google.base_url,
        "GOOGLE_CALENDAR_API_URL": fake_google.base_url,
        "GOOGLE_AUTH_URL": "https://accounts.example.test",
        "CALENDAR_SYNC_COOLDOWN_SECONDS": "60",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return TestClient(create_app())


def connect(client: TestClient, fake_google, user: str = "u1") -> str:
    consent = client.get("/api/calendar/google/connect", headers=auth(user))
    assert consent.status_code == 200, consent.text
    url = urlsplit(consent.json()["consentUrl"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.netloc == "accounts.example.test" and query["access_type"] == "offline"
    assert query["redirect_uri"].endswith("/api/calendar/google/callback")
    code = fake_google.issue_code(user)
    answer = client.get("/api/calendar/google/callback", params={"code": code, "state": query["state"]})
    assert answer.status_code == 200, answer.text
    return query["state"]


def test_connecting_seals_the_refresh_token_and_asks_for_a_first_push(client, db, fake_google):
    assert client.get("/api/calendar/google", headers=auth()).json()["connected"] is False
    state = connect(client, fake_google)
    status = client.get("/api/calendar/google", headers=auth()).json()
    assert status["connected"] is True and status["status"] == "pending"
    with db.connect() as conn:
        account = conn.execute(sa.select(google_accounts)).one()
        assert conn.execute(sa.select(sa.func.count()).select_from(google_oauth_states)).scalar_one() == 0
    [refresh_token] = fake_google.refresh_tokens("u1")
    assert refresh_token.encode() not in bytes(account.sealed_token) and account.push_requested_at is not None
    again = client.get("/api/calendar/google/callback", params={"code": fake_google.issue_code("u1"), "state": state})
    assert again.status_code == 400 and "consent state" in again.json()["detail"]  # single use


def test_a_refused_code_is_a_400_with_google_s_reason_and_no_secret(client, fake_google):
    consent = client.get("/api/calendar/google/connect", headers=auth()).json()["consentUrl"]
    state = parse_qs(urlsplit(consent).query)["state"][0]
    answer = client.get("/api/calendar/google/callback", params={"code": "4/0Aforged", "state": state})
    assert answer.status_code == 400 and "invalid_grant" in answer.json()["detail"]
    assert CLIENT_SECRET not in answer.text and "4/0Aforged" not in answer.text


def test_calendar_sync_is_202_then_429_and_409_without_google(client, fake_google):
    assert client.post("/api/calendar/sync", headers=auth()).status_code == 409
    connect(client, fake_google)
    assert client.post("/api/calendar/sync", headers=auth()).status_code == 202
    limited = client.post("/api/calendar/sync", headers=auth())
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


def test_disconnect_forgets_the_token(client, db, fake_google):
    connect(client, fake_google)
    assert client.delete("/api/calendar/google", headers=auth()).status_code == 204
    assert client.get("/api/calendar/google", headers=auth()).json()["connected"] is False
    assert client.delete("/api/calendar/google", headers=auth()).status_code == 404


def test_without_google_settings_connect_answers_404_naming_what_is_missing(env, db, monkeypatch):
    load(db, room_fixture())
    for name in ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "CALENDAR_TOKEN_KEYS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    answer = TestClient(create_app()).get("/api/calendar/google/connect", headers=auth())
    assert answer.status_code == 404 and "GOOGLE_CLIENT_ID" in answer.json()["detail"]
