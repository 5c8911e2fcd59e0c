"""The Google Calendar and OAuth clients against the fake Google over real HTTP: every method, every error mapping,
the quotas, the faults (a lost insert answer included), and the deterministic event ids."""

from __future__ import annotations

import pickle
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contest_pipelines.clients.google_calendar import (
    SCOPE,
    GoogleAccessExpired,
    GoogleAuthRevoked,
    GoogleCalendar,
    GoogleDuplicate,
    GoogleOAuth,
    GoogleRateLimited,
    GoogleRequestError,
    GoogleUnavailable,
    base32hex_sha1,
    event_body,
    event_id,
)
from tests.fakes.google_calendar import CLIENT_ID, CLIENT_SECRET, FakeGoogle

CLIENT_TIMEOUT = 0.25  # the fake's "timeout" fault stalls for 1 s
REDIRECT = "https://contests.example/google/callback"
START = datetime(2026, 8, 17, 14, 35, tzinfo=UTC)
EVENT_ID = re.compile(r"[0-9a-v]{32}")
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@pytest.fixture
def oauth(fake_google: FakeGoogle) -> Iterator[GoogleOAuth]:
    with GoogleOAuth(fake_google.base_url, CLIENT_ID, CLIENT_SECRET, timeout_seconds=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def make_calendar(fake_google: FakeGoogle) -> Iterator[Callable[..., GoogleCalendar]]:
    clients: list[GoogleCalendar] = []

    def make(user: str = "u-1", token: str | None = None) -> GoogleCalendar:
        client = GoogleCalendar(fake_google.base_url, token or fake_google.issue_access_token(user),
                                timeout_seconds=CLIENT_TIMEOUT)  # fmt: skip
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def calendar(make_calendar) -> GoogleCalendar:
    return make_calendar("u-1")


def body(key: str = "2257", user: str = "u-1", start: datetime = START, minutes: int | None = 30) -> dict:
    return event_body(event_id(user, "codeforces", key), "Codeforces Round (Div. 2)",
                      f"https://codeforces.com/contests/{key}", start, start + timedelta(hours=2), "codeforces",
                      key, 1, minutes)  # fmt: skip


# ---------------------------------------------------------------------- event ids and bodies


def test_encoder_gives_the_reference_id_and_event_id_prefixes_the_user():
    assert base32hex_sha1("codeforces:2257") == "arlu01rbl8hf1cp90b1pm7bn62emsiap"
    assert event_id("u-1", "codeforces", "2257") == base32hex_sha1("u-1:codeforces:2257")
    assert event_id("u-1", "codeforces", "2257") != event_id("u-2", "codeforces", "2257")


@given(user=text, judge=text, key=text)
def test_event_id_is_32_base32hex_characters_and_deterministic(user: str, judge: str, key: str):
    value = event_id(user, judge, key)
    assert EVENT_ID.fullmatch(value)
    assert value == event_id(user, judge, key)


@settings(max_examples=50)
@given(st.sets(st.tuples(text, st.sampled_from(["codeforces", "atcoder", "leetcode"]), text), min_size=2, max_size=200))
def test_distinct_inputs_give_distinct_event_ids(inputs: set[tuple[str, str, str]]):
    # Two triples with ":" inside a part can join to the same string, hence the same id: compare with the joins.
    assert len({event_id(*triple) for triple in inputs}) == len({":".join(triple) for triple in inputs})


def test_event_body_matches_the_reference_example():
    ist = timezone(timedelta(hours=5, minutes=30))
    assert event_body(
        "arlu01rbl8hf1cp90b1pm7bn62emsiap",
        "Codeforces Round (Div. 2)",
        "https://codeforces.com/contests/2257",
        START.astimezone(ist),
        START + timedelta(hours=2),
        "codeforces",
        "2257",
        3,
        30,
    ) == {  # fmt: skip
        "id": "arlu01rbl8hf1cp90b1pm7bn62emsiap",
        "summary": "Codeforces Round (Div. 2)",
        "description": "https://codeforces.com/contests/2257",
        "start": {"dateTime": "2026-08-17T14:35:00Z"},
        "end": {"dateTime": "2026-08-17T16:35:00Z"},
        "status": "confirmed",
        "transparency": "transparent",
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]},
        "extendedProperties": {"private": {"judge": "codeforces", "key": "2257", "sequence": "3"}},
    }
    assert body(minutes=None)["reminders"] == {"useDefault": False, "overrides": []}
    with pytest.raises(ValueError, match="aware"):
        event_body("abcde", "t", "u", START.replace(tzinfo=None), START, "codeforces", "1", 0, None)


# ---------------------------------------------------------------------- OAuth


def test_consent_url_asks_for_offline_access_to_app_created_calendars(oauth: GoogleOAuth):
    url = urlsplit(oauth.consent_url("https://accounts.google.com", REDIRECT, "state-123"))
    assert (url.scheme, url.netloc, url.path) == ("https", "accounts.google.com", "/o/oauth2/v2/auth")
    assert {k: v[0] for k, v in parse_qs(url.query).items()} == {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code", "scope": SCOPE,
        "access_type": "offline", "prompt": "consent", "state": "state-123",
    }  # fmt: skip
    assert SCOPE == "https://www.googleapis.com/auth/calendar.app.created"


def test_exchange_code_then_refresh_and_the_tokens_work(fake_google: FakeGoogle, oauth: GoogleOAuth, make_calendar):
    code = fake_google.issue_code("u-1", REDIRECT)
    before = datetime.now(UTC)
    grant = oauth.exchange_code(code, REDIRECT)
    assert grant.refresh_token in fake_google.refresh_tokens("u-1")
    assert grant.scope == SCOPE
    assert before + timedelta(seconds=3500) < grant.expires_at < before + timedelta(seconds=3700)
    assert "***" in repr(grant) and grant.access_token not in repr(grant) and grant.refresh_token not in repr(grant)

    assert make_calendar(token=grant.access_token).create_calendar("Contests")
    access = oauth.refresh(grant.refresh_token)
    assert access.token != grant.access_token and access.token not in repr(access)
    assert make_calendar(token=access.token).get_calendar(fake_google.calendars("u-1")[0]["id"]) is not None
    assert oauth.calls == {"exchange_code": 1, "refresh": 1}
    assert [c.status for c in fake_google.calls_for("token")] == [200, 200]


def test_a_code_works_once(fake_google: FakeGoogle, oauth: GoogleOAuth):
    code = fake_google.issue_code("u-1")
    oauth.exchange_code(code, REDIRECT)
    with pytest.raises(GoogleAuthRevoked) as caught:
        oauth.exchange_code(code, REDIRECT)
    assert (caught.value.status, caught.value.reason) == (400, "invalid_grant")
    assert code not in str(caught.value) and CLIENT_SECRET not in str(caught.value)


def test_redirect_uri_mismatch_is_a_request_error(fake_google: FakeGoogle, oauth: GoogleOAuth):
    with pytest.raises(GoogleRequestError) as caught:
        oauth.exchange_code(fake_google.issue_code("u-1", REDIRECT), "https://elsewhere.example/cb")
    assert (caught.value.status, caught.value.reason) == (400, "redirect_uri_mismatch")


def test_revoked_refresh_token_is_auth_revoked_without_secrets_in_the_message(fake_google: FakeGoogle, oauth):
    fake_google.grant("1//0g-refresh-secret", "u-1")
    assert oauth.refresh("1//0g-refresh-secret").token
    fake_google.revoke("1//0g-refresh-secret")
    with pytest.raises(GoogleAuthRevoked) as caught:
        oauth.refresh("1//0g-refresh-secret")
    error = caught.value
    assert (error.status, error.reason) == (400, "invalid_grant")
    assert "Token has been expired or revoked." in str(error)
    for secret in ("1//0g-refresh-secret", CLIENT_SECRET):
        assert secret not in str(error) and secret not in repr(error)


def test_wrong_client_secret_is_a_request_error(fake_google: FakeGoogle):
    fake_google.grant("rt", "u-1")
    with GoogleOAuth(fake_google.base_url, CLIENT_ID, "not-the-secret") as oauth:
        assert "not-the-secret" not in repr(oauth)
        with pytest.raises(GoogleRequestError) as caught:
            oauth.refresh("rt")
    assert (caught.value.status, caught.value.reason) == (401, "invalid_client")
    assert "not-the-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("fault", "error", "status", "reason"),
    [
        ("http503", GoogleUnavailable, 503, "temporarily_unavailable"),
        ("http429", GoogleRateLimited, 429, "rate_limit_exceeded"),
        ("garbage", GoogleUnavailable, 200, "invalid_response"),
        ("timeout", GoogleUnavailable, None, "timeout"),
        ("lost_response", GoogleUnavailable, None, "connection_error"),
    ],
)
def test_token_endpoint_faults(fake_google: FakeGoogle, oauth: GoogleOAuth, fault, error, status, reason):
    fake_google.grant("rt", "u-1")
    fake_google.inject(fault, operation="token")
    with pytest.raises(error) as caught:
        oauth.refresh("rt")
    assert (type(caught.value), caught.value.status, caught.value.reason) == (error, status, reason)
    assert "rt" not in caught.value.message.split()
    assert len(fake_google.calls_for("token")) == 1  # no hidden retry
    assert oauth.refresh("rt").token


# ---------------------------------------------------------------------- calendars


def test_create_and_get_calendar(fake_google: FakeGoogle, calendar: GoogleCalendar, make_calendar):
    calendar_id = calendar.create_calendar("Contests", "Asia/Kolkata")
    assert calendar_id.endswith("@group.calendar.google.com")
    got = calendar.get_calendar(calendar_id)
    assert got is not None and (got["id"], got["summary"], got["timeZone"]) == (calendar_id, "Contests", "Asia/Kolkata")
    assert [c["id"] for c in fake_google.calendars("u-1")] == [calendar_id]
    assert make_calendar("u-2").get_calendar(calendar_id) is None  # another user's calendar is not found
    fake_google.delete_calendar(calendar_id)  # the player deleted it in Google's UI
    assert calendar.get_calendar(calendar_id) is None
    assert calendar.calls == {"calendars.insert": 1, "calendars.get": 2}


def test_create_calendar_with_a_bad_time_zone_is_a_request_error(calendar: GoogleCalendar):
    with pytest.raises(GoogleRequestError) as caught:
        calendar.create_calendar("Contests", "Mars/Olympus")
    assert (caught.value.status, caught.value.reason) == (400, "invalid")


# ---------------------------------------------------------------------- events


def test_insert_echoes_the_event_with_google_fields(fake_google: FakeGoogle, calendar: GoogleCalendar):
    calendar_id = calendar.create_calendar("Contests")
    sent = body()
    created = calendar.insert_event(calendar_id, sent)
    assert {k: created[k] for k in sent} == sent
    assert created["kind"] == "calendar#event" and created["etag"].startswith('"')
    assert created["iCalUID"] == f"{sent['id']}@google.com" and created["sequence"] == 0
    assert created["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert created["created"] == created["updated"]
    assert fake_google.events("u-1") == [created] == fake_google.events(calendar_id)
    (call,) = fake_google.calls_for("events.insert")
    assert call.params == {"sendUpdates": "none"} and call.path == f"/calendar/v3/calendars/{calendar_id}/events"
    assert fake_google.write_calls() == 1


def test_insert_of_an_existing_id_is_a_duplicate_even_after_delete(calendar: GoogleCalendar):
    calendar_id = calendar.create_calendar("Contests")
    calendar.insert_event(calendar_id, body())
    with pytest.raises(GoogleDuplicate) as caught:
        calendar.insert_event(calendar_id, body())
    assert (caught.value.status, caught.value.reason) == (409, "duplicate")
    assert calendar.delete_event(calendar_id, body()["id"])
    with pytest.raises(GoogleDuplicate):
        calendar.insert_event(calendar_id, body())


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": "not-base32hex!"}, "invalidResourceId"),
        ({"id": "abcd"}, "invalidResourceId"),  # shorter than 5
        ({"id": "w" * 10}, "invalidResourceId"),  # w is past v
        ({"end": {"dateTime": "2026-08-17T13:00:00Z"}}, "timeRangeEmpty"),
        ({"start": None}, "required"),
    ],
)
def test_bad_event_bodies_are_request_errors(calendar: GoogleCalendar, change: dict, reason: str):
    calendar_id = calendar.create_calendar("Contests")
    with pytest.raises(GoogleRequestError) as caught:
        calendar.insert_event(calendar_id, {**body(), **change})
    assert (caught.value.status, caught.value.reason) == (400, reason)
    assert "HTTP 400" in str(caught.value)


def test_get_event_returns_cancelled_events_and_none_for_unknown(fake_google: FakeGoogle, calendar: GoogleCalendar):
    calendar_id = calendar.create_calendar("Contests")
    assert calendar.get_event(calendar_id, event_id("u-1", "codeforces", "1")) is None
    created = calendar.insert_event(calendar_id, body())
    assert calendar.get_event(calendar_id, created["id"]) == created
    fake_google.cancel_event(calendar_id, created["id"])  # the player deleted it in the UI
    got = calendar.get_event(calendar_id, created["id"])
    assert got is not None and got["status"] == "cancelled" and got["etag"] != created["etag"]


def test_update_replaces_the_event(fake_google: FakeGoogle, calendar: GoogleCalendar):
    calendar_id = calendar.create_calendar("Contests")
    created = calendar.insert_event(calendar_id, body())
    moved = body(start=START + timedelta(days=1), minutes=None)
    updated = calendar.update_event(calendar_id, created["id"], moved)
    assert {k: updated[k] for k in moved} == moved
    assert updated["sequence"] == 1 and updated["etag"] != created["etag"]
    assert (updated["created"], updated["iCalUID"]) == (created["created"], created["iCalUID"])
    assert fake_google.events(calendar_id) == [updated]
    assert fake_google.calls_for("events.update")[0].params == {"sendUpdates": "none"}


def test_update_of_unknown_or_cancelled_events_is_a_request_error(calendar: GoogleCalendar):
    calendar_id = calendar.create_calendar("Contests")
    with pytest.raises(GoogleRequestError) as caught:
        calendar.update_event(calendar_id, body()["id"], body())
    assert (caught.value.status, caught.value.reason) == (404, "notFound")
    calendar.insert_event(calendar_id, body())
    calendar.delete_event(calendar_id, body()["id"])
    with pytest.raises(GoogleRequestError) as caught:
        calendar.update_event(calendar_id, body()["id"], body())
    assert (caught.value.status, caught.value.reason) == (403, "forbidden")


def test_delete_twice_is_true_then_false(fake_google: FakeGoogle, calendar: GoogleCalendar):
    calendar_id = calendar.create_calendar("Contests")
    calendar.insert_event(calendar_id, body())
    assert calendar.delete_event(calendar_id, body()["id"]) is True
    assert calendar.delete_event(calendar_id, body()["id"]) is False
    assert calendar.delete_event(calendar_id, event_id("u-1", "codeforces", "404")) is False
    assert [c.status for c in fake_google.calls_for("events.delete")] == [204, 410, 404]
    assert [e["status"] for e in fake_google.events("u-1")] == ["cancelled"]
    assert fake_google.write_calls() == 4  # one insert, three deletes


# ---------------------------------------------------------------------- access tokens


def test_expired_access_token_then_refresh_and_retry(fake_google: FakeGoogle, oauth: GoogleOAuth, make_calendar):
    fake_google.grant("rt", "u-1")
    token = oauth.refresh("rt").token
    calendar = make_calendar(token=token)
    calendar_id = calendar.create_calendar("Contests")
    fake_google.expire_access_tokens()
    with pytest.raises(GoogleAccessExpired) as caught:
        calendar.insert_event(calendar_id, body())
    assert (caught.value.status, caught.value.reason) == (401, "authError")
    assert token not in str(caught.value) and token not in repr(caught.value) and token not in repr(calendar)
    calendar.use_token(oauth.refresh("rt").token)
    assert calendar.insert_event(calendar_id, body())["id"] == body()["id"]


def test_unknown_access_token_is_access_expired(make_calendar):
    with pytest.raises(GoogleAccessExpired):
        make_calendar(token="ya29.never-issued").create_calendar("Contests")


# ---------------------------------------------------------------------- quotas


def test_per_user_quota_is_a_sliding_window(fake_google: FakeGoogle, make_calendar):
    fake_google.user_limit, fake_google.window_seconds = 3, 0.5
    calendar = make_calendar("u-1")
    calendar_id = calendar.create_calendar("Contests")
    calendar.get_calendar(calendar_id)
    calendar.get_calendar(calendar_id)
    with pytest.raises(GoogleRateLimited) as caught:
        calendar.get_calendar(calendar_id)
    error = caught.value
    assert (error.status, error.reason, error.retry_after) == (403, "userRateLimitExceeded", None)
    make_calendar("u-2").create_calendar("Contests")  # another user has their own window
    time.sleep(0.55)
    assert calendar.get_calendar(calendar_id) is not None


def test_per_project_quota(fake_google: FakeGoogle, make_calendar):
    fake_google.project_limit = 2
    make_calendar("u-1").create_calendar("Contests")
    make_calendar("u-2").create_calendar("Contests")
    with pytest.raises(GoogleRateLimited) as caught:
        make_calendar("u-3").create_calendar("Contests")
    assert (caught.value.status, caught.value.reason) == (403, "rateLimitExceeded")


# ---------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "error", "status", "reason", "retry_after", "applied"),
    [
        ("http503", GoogleUnavailable, 503, "backendError", None, False),
        ("http429", GoogleRateLimited, 429, "rateLimitExceeded", 30.0, False),
        ("rate_limit_403", GoogleRateLimited, 403, "rateLimitExceeded", None, False),
        ("garbage", GoogleUnavailable, 200, "invalid_response", None, False),
        ("timeout", GoogleUnavailable, None, "timeout", None, True),
        ("lost_response", GoogleUnavailable, None, "connection_error", None, True),
    ],
)
def test_insert_faults_make_one_call_and_map_to_typed_errors(
    fake_google: FakeGoogle, calendar: GoogleCalendar, fault, error, status, reason, retry_after, applied
):
    calendar_id = calendar.create_calendar("Contests")
    fake_google.inject(fault, operation="events.insert")
    with pytest.raises(error) as caught:
        calendar.insert_event(calendar_id, body())
    assert (type(caught.value), caught.value.status, caught.value.reason) == (error, status, reason)
    assert getattr(caught.value, "retry_after", None) == retry_after
    assert calendar.calls["events.insert"] == 1 and len(fake_google.calls_for("events.insert")) == 1
    assert bool(fake_google.events(calendar_id)) is applied
    if applied:  # the duplicate window: the event exists though we never heard back; the id finds it again
        assert calendar.get_event(calendar_id, body()["id"])["status"] == "confirmed"
        with pytest.raises(GoogleDuplicate):
            calendar.insert_event(calendar_id, body())
    else:
        assert calendar.insert_event(calendar_id, body())["id"] == body()["id"]


@pytest.mark.parametrize("fault", ["http503", "garbage", "lost_response"])
def test_delete_and_get_faults_are_unavailable(fake_google: FakeGoogle, calendar: GoogleCalendar, fault: str):
    calendar_id = calendar.create_calendar("Contests")
    calendar.insert_event(calendar_id, body())
    fake_google.inject(fault, times=2)
    with pytest.raises(GoogleUnavailable):
        calendar.get_event(calendar_id, body()["id"])
    with pytest.raises(GoogleUnavailable):
        calendar.delete_event(calendar_id, body()["id"])
    assert calendar.delete_event(calendar_id, body()["id"]) is (fault != "lost_response")


def test_a_non_google_404_is_unavailable_not_absent(fake_google: FakeGoogle):
    with GoogleCalendar(f"{fake_google.base_url}/wrong-prefix", fake_google.issue_access_token("u-1")) as calendar:
        with pytest.raises(GoogleUnavailable) as caught:
            calendar.get_calendar("c_1@group.calendar.google.com")
    assert (caught.value.status, caught.value.reason) == (404, "invalid_response")


def test_connection_refused_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with GoogleCalendar(f"http://127.0.0.1:{port}", "ya29.token", timeout_seconds=CLIENT_TIMEOUT) as calendar:
        with pytest.raises(GoogleUnavailable) as caught:
            calendar.create_calendar("Contests")
    assert (caught.value.status, caught.value.reason) == (None, "connection_error")


def test_errors_survive_pickling():
    error = GoogleRateLimited(429, "rateLimitExceeded", "Google Calendar events.insert: HTTP 429", 30.0)
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.status, copy.reason, copy.message, copy.retry_after) == (
        GoogleRateLimited, 429, "rateLimitExceeded", "Google Calendar events.insert: HTTP 429", 30.0,
    )  # fmt: skip
    duplicate = pickle.loads(pickle.dumps(GoogleDuplicate(409, "duplicate", "exists")))
    assert (type(duplicate), str(duplicate)) == (GoogleDuplicate, "exists")
