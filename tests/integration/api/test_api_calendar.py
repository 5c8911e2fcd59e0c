"""The calendar API: preferences, the feed token, and the ICS feed read back by an independent parser."""

from datetime import UTC, datetime, timedelta

import pytest
import vobject
from fastapi.testclient import TestClient

from contest_pipelines.api.auth import issue_token
from contest_pipelines.api.main import create_app
from contest_pipelines.api.schemas import JudgeId
from contest_pipelines.calendar.contests import REMOVE_AFTER, apply_fetch
from contest_pipelines.domain.contests import JUDGES, Contest
from tests.conftest import TEST_JWT_SECRET
from tests.factories import load, room_fixture

NOW = datetime.now(UTC).replace(microsecond=0)


def auth(user: str = "u1") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_JWT_SECRET, user)}"}


@pytest.fixture
def client(env, db) -> TestClient:
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    return TestClient(create_app())


def contest(judge: str, key: str, hours_ahead: float = 24, hours: float = 2, title: str | None = None) -> Contest:
    start = NOW + timedelta(hours=hours_ahead)
    return Contest(judge, key, title or f"{judge} {key}", f"https://example.org/{judge}/{key}", start,
                   start + timedelta(hours=hours), None)  # fmt: skip


def store(db, judge: str, contests: list[Contest], at: datetime = NOW) -> None:
    with db.begin() as conn:
        apply_fetch(conn, judge, contests, at)


def feed(client: TestClient, user: str = "u1"):
    url = client.get("/api/calendar/feed-token", headers=auth(user)).json()["feedUrl"]
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response, {e.uid.value: e for e in vobject.readOne(response.text).vevent_list}


def test_judge_ids_of_the_schema_are_the_domains():
    assert set(JudgeId.__args__) == set(JUDGES)


def test_preferences_default_to_every_judge_and_round_trip(client):
    assert client.get("/api/calendar/preferences", headers=auth()).json() == {
        "judges": list(JUDGES), "maxDurationHours": None, "reminderMinutes": None}  # fmt: skip
    body = {"judges": ["leetcode", "codeforces", "leetcode"], "maxDurationHours": 6, "reminderMinutes": 15}
    saved = client.put("/api/calendar/preferences", json=body, headers=auth())
    assert saved.status_code == 200
    assert saved.json() == {"judges": ["codeforces", "leetcode"], "maxDurationHours": 6, "reminderMinutes": 15}
    assert client.get("/api/calendar/preferences", headers=auth()).json() == saved.json()
    assert client.get("/api/calendar/preferences", headers=auth("u2")).json()["judges"] == list(JUDGES)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"judges": ["topcoder"]}, "judges.0"),
        ({"judges": ["codeforces"], "reminderMinutes": -5}, "reminderMinutes"),
        ({"judges": ["codeforces"], "maxDurationHours": 0}, "maxDurationHours"),
        ({"judges": ["codeforces"], "colour": "red"}, "colour"),
    ],
)
def test_bad_preferences_are_422_with_the_reason(client, body, reason):
    response = client.put("/api/calendar/preferences", json=body, headers=auth())
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request" and reason in response.json()["detail"]


def test_preferences_need_a_token_and_a_known_player(client):
    assert client.get("/api/calendar/preferences").status_code == 401
    response = client.put("/api/calendar/preferences", json={"judges": []}, headers=auth("nobody"))
    assert response.status_code == 404


def test_the_feed_holds_followed_judges_within_the_duration_limit_with_reminders(client, db):
    store(db, "codeforces", [contest("codeforces", "2257"), contest("codeforces", "2251", hours=24 * 14)])
    store(db, "leetcode", [contest("leetcode", "weekly-contest-515", hours_ahead=30)])
    store(db, "atcoder", [contest("atcoder", "abc478")])
    client.put("/api/calendar/preferences", json={"judges": ["codeforces", "leetcode"], "maxDurationHours": 6,
                                                  "reminderMinutes": 30}, headers=auth())  # fmt: skip
    response, events = feed(client)
    assert response.headers["content-type"].startswith("text/calendar")
    assert set(events) == {"codeforces-2257@contest-pipelines", "leetcode-weekly-contest-515@contest-pipelines"}
    event = events["codeforces-2257@contest-pipelines"]
    assert event.dtstart.value == NOW + timedelta(hours=24) and event.dtstart.value.tzinfo is not None
    assert event.dtend.value - event.dtstart.value == timedelta(hours=2)
    assert event.sequence.value == "0" and event.status.value == "CONFIRMED"
    assert event.valarm.trigger.value == timedelta(minutes=-30)
    assert "\r\n" in response.text and all(len(line.encode()) <= 75 for line in response.text.split("\r\n"))


def test_a_moved_contest_keeps_its_uid_and_raises_its_sequence_and_a_removed_one_is_cancelled(client, db):
    store(db, "codeforces", [contest("codeforces", "1"), contest("codeforces", "2")], at=NOW - timedelta(hours=5))
    _, before = feed(client)
    store(db, "codeforces", [contest("codeforces", "1", hours_ahead=48)], at=NOW - timedelta(hours=4))
    store(db, "codeforces", [contest("codeforces", "1", hours_ahead=48)], at=NOW - timedelta(hours=4) + REMOVE_AFTER)
    _, after = feed(client)
    moved, gone = after["codeforces-1@contest-pipelines"], after["codeforces-2@contest-pipelines"]
    assert int(moved.sequence.value) == int(before["codeforces-1@contest-pipelines"].sequence.value) + 1
    assert moved.dtstart.value == NOW + timedelta(hours=48)
    assert gone.status.value == "CANCELLED" and int(gone.sequence.value) == 1
    assert moved.dtstamp.value > before["codeforces-1@contest-pipelines"].dtstamp.value


def test_etag_gives_304_until_the_calendar_changes(client, db):
    store(db, "codeforces", [contest("codeforces", "1")])
    url = client.get("/api/calendar/feed-token", headers=auth()).json()["feedUrl"]
    first = client.get(url)
    assert first.headers["cache-control"] == "private, max-age=900"
    tag = first.headers["etag"]
    assert client.get(url).headers["etag"] == tag  # the body does not depend on when it is rendered
    unchanged = client.get(url, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    store(db, "codeforces", [contest("codeforces", "1", title="Renamed")])
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag and "Renamed" in changed.text


def test_rotating_the_token_retires_the_old_url(client):
    old = client.get("/api/calendar/feed-token", headers=auth()).json()["feedUrl"]
    assert client.get("/api/calendar/feed-token", headers=auth()).json()["feedUrl"] == old
    new = client.post("/api/calendar/feed-token", headers=auth()).json()["feedUrl"]
    assert new != old and len(new.rsplit("/", 1)[1]) >= 40
    assert client.get(new).status_code == 200
    gone = client.get(old)
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"
    assert client.get("/api/calendar/feed/" + "x" * 43 + ".ics").status_code == 404


def test_a_wrong_method_names_every_method_of_the_path(client):
    response = client.delete("/api/calendar/preferences", headers=auth())
    assert response.status_code == 405 and response.headers["allow"] == "GET, PUT"
    assert client.patch("/api/calendar/feed-token").headers["allow"] == "GET, POST"


def test_a_boolean_is_not_a_number_of_minutes(client):
    body = {"judges": [], "reminderMinutes": False}
    assert client.put("/api/calendar/preferences", json=body, headers=auth()).status_code == 422


def test_a_whole_number_written_as_a_float_is_a_number_of_minutes(client):
    body = {"judges": [], "reminderMinutes": 30.0}
    assert client.put("/api/calendar/preferences", json=body, headers=auth()).json()["reminderMinutes"] == 30
    assert client.put("/api/calendar/preferences", json={"judges": [], "reminderMinutes": 30.5},
                      headers=auth()).status_code == 422  # fmt: skip
