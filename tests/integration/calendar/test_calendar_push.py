"""The Google Calendar push against the fake Google server and PostgreSQL: exactly once per change,
a crash and a re-run leave no duplicate and nothing missing, revoked grants stop, quotas back off."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from contest_pipelines.calendar import google
from contest_pipelines.calendar.contests import REMOVE_AFTER, apply_fetch
from contest_pipelines.calendar.players import Preferences, put_preferences
from contest_pipelines.calendar.push import PER_PROJECT_PER_MINUTE, GoogleApp, SlidingWindow, push_player
from contest_pipelines.calendar.token_box import TokenBox
from contest_pipelines.clients.google_calendar import GoogleOAuth
from contest_pipelines.db.tables import calendar_pushes, google_accounts
from contest_pipelines.domain.contests import Contest
from contest_pipelines.jobs.calendar_push_job import calendar_push_job
from contest_pipelines.resources import GoogleCalendarResource, PostgresResource
from contest_pipelines.sensors.calendar_push_sensor import calendar_push_sensor
from tests.factories import load, room_fixture
from tests.fakes.google_calendar import CLIENT_ID, CLIENT_SECRET

NOW = datetime.now(UTC).replace(microsecond=0)
KEYS = f"k2:{TokenBox.new_key()}"


def contest(judge: str, key: str, hours_ahead: float = 24, title: str | None = None) -> Contest:
    start = NOW + timedelta(hours=hours_ahead)
    return Contest(judge, key, title or f"{judge} {key}", f"https://example.org/{key}", start,
                   start + timedelta(hours=2), None)  # fmt: skip


def store(db, judge: str, contests: list[Contest], at: datetime = NOW) -> None:
    with db.begin() as conn:
        apply_fetch(conn, judge, contests, at)


@pytest.fixture
def app(fake_google) -> GoogleApp:
    return GoogleApp(
        oauth=GoogleOAuth(fake_google.base_url, CLIENT_ID, CLIENT_SECRET),
        api_url=fake_google.base_url,
        box=TokenBox.from_setting(KEYS),
        project_quota=SlidingWindow(PER_PROJECT_PER_MINUTE),
        retry_seconds=0.01,
    )


@pytest.fixture
def connected(env, db, fake_google, app) -> str:
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    store(db, "codeforces", [contest("codeforces", "1"), contest("codeforces", "2", hours_ahead=48)])
    store(db, "leetcode", [contest("leetcode", "weekly-contest-515")])
    fake_google.grant("rt-u1-secret", "u1")
    with db.begin() as conn:
        google.store_grant(conn, app.box, "u1", "rt-u1-secret", NOW)
    return "u1"


def titles(fake_google, user: str = "u1") -> list[str]:
    return sorted(e["summary"] for e in fake_google.events(user) if e.get("status") != "cancelled")


def test_a_push_inserts_every_contest_once_and_a_second_push_writes_nothing(db, fake_google, app, connected):
    first = push_player(db, app, "u1")
    assert (first.status, first.inserted, first.updated, first.deleted) == ("ok", 3, 0, 0)
    assert titles(fake_google) == ["codeforces 1", "codeforces 2", "leetcode weekly-contest-515"]
    assert len(fake_google.calendars("u1")) == 1
    writes = fake_google.write_calls()
    second = push_player(db, app, "u1")
    assert (second.status, second.inserted, second.updated, second.unchanged) == ("ok", 0, 0, 3)
    assert fake_google.write_calls() == writes
    with db.connect() as conn:
        account = conn.execute(sa.select(google_accounts)).one()
    assert account.status == "ok" and account.last_synced_at is not None
    assert b"rt-u1-secret" not in bytes(account.sealed_token)


def test_moves_removals_and_preferences_become_updates_and_deletes(db, fake_google, app, connected):
    push_player(db, app, "u1")
    store(db, "codeforces", [contest("codeforces", "1", title="Round 1117")], at=NOW + timedelta(minutes=1))
    store(db, "codeforces", [contest("codeforces", "1", title="Round 1117")], at=NOW + REMOVE_AFTER * 2)
    outcome = push_player(db, app, "u1")
    assert (outcome.updated, outcome.deleted) == (1, 1)
    assert titles(fake_google) == ["Round 1117", "leetcode weekly-contest-515"]
    with db.begin() as conn:
        put_preferences(conn, "u1", Preferences(judges=["leetcode"], reminder_minutes=30), NOW)
    outcome = push_player(db, app, "u1")
    assert (outcome.updated, outcome.deleted) == (1, 1)
    [event] = [e for e in fake_google.events("u1") if e.get("status") != "cancelled"]
    assert event["reminders"]["overrides"] == [{"method": "popup", "minutes": 30}]


def test_a_push_killed_after_google_confirmed_but_before_the_record_is_finished_without_duplicates(
    db, fake_google, app, connected
):
    push_player(db, app, "u1")
    with db.begin() as conn:  # the process died: Google holds the events, our record does not
        conn.execute(calendar_pushes.delete())
    rerun = push_player(db, app, "u1")
    assert rerun.status == "ok" and rerun.inserted == 3
    events = fake_google.events("u1")
    assert len(events) == 3 and len({e["id"] for e in events}) == 3
    assert push_player(db, app, "u1").inserted == 0


def test_a_lost_answer_to_an_insert_does_not_duplicate_the_event(db, fake_google, app, connected):
    fake_google.inject("lost_response", times=1, operation="events.insert")
    outcome = push_player(db, app, "u1")
    assert outcome.status == "ok" and outcome.inserted == 3
    assert len(fake_google.events("u1")) == 3


def test_rate_limits_back_off_and_the_push_completes(db, fake_google, app, connected):
    fake_google.inject("rate_limit_403", times=2, operation="events.insert")
    fake_google.inject("http503", times=1, operation="events.insert")
    outcome = push_player(db, app, "u1")
    assert outcome.status == "ok" and len(titles(fake_google)) == 3


def test_a_revoked_grant_disconnects_the_player_and_stops_trying(db, fake_google, app, connected):
    fake_google.revoke("rt-u1-secret")
    outcome = push_player(db, app, "u1")
    assert outcome.status == "disconnected" and "connect Google again" in outcome.error
    with db.connect() as conn:
        account = conn.execute(sa.select(google_accounts)).one()
    assert not account.connected and account.status == "disconnected"
    assert push_player(db, app, "u1").status == "skipped"
    assert "rt-u1-secret" not in (account.last_error or "")


def test_one_push_per_player_at_a_time(db, app, connected):
    with db.connect() as holder:
        holder.execute(sa.text("SELECT pg_advisory_lock(hashtextextended('calendar_push:u1', 0))"))
        assert push_player(db, app, "u1").status == "skipped"
        holder.execute(sa.text("SELECT pg_advisory_unlock(hashtextextended('calendar_push:u1', 0))"))
    assert push_player(db, app, "u1").status == "ok"


def test_a_calendar_the_player_deleted_is_made_again(db, fake_google, app, connected):
    push_player(db, app, "u1")
    fake_google.delete_calendar(fake_google.calendars("u1")[0]["id"])
    outcome = push_player(db, app, "u1")
    assert outcome.inserted == 3 and len(fake_google.calendars("u1")) == 1


def resources(env, fake_google, keys: str = KEYS) -> dict:
    return {
        "postgres": PostgresResource(database_url=env["DATABASE_URL"]),
        "google_calendar": GoogleCalendarResource(
            client_id=CLIENT_ID if keys else "",
            client_secret=CLIENT_SECRET,
            token_keys=keys,
            oauth_url=fake_google.base_url,
            api_url=fake_google.base_url,
            retry_seconds=0.01,
        ),  # fmt: skip
    }


def test_the_job_pushes_every_connected_player_and_reports(env, db, fake_google, connected):
    result = calendar_push_job.execute_in_process(resources=resources(env, fake_google))
    assert result.success
    metadata = result.output_for_node("push_calendars")
    assert metadata["players"] == 1 and metadata["players_ok"] == 1 and metadata["inserted"] == 3
    [pushes] = result.asset_materializations_for_node("push_calendars")  # the data map's calendar_pushes
    assert pushes.asset_key == dg.AssetKey("calendar_pushes") and pushes.metadata["writes"].value == 3
    again = calendar_push_job.execute_in_process(resources=resources(env, fake_google))
    assert again.asset_materializations_for_node("push_calendars") == []  # nothing changed: no materialization


def test_the_sensor_pushes_the_players_a_change_touched_and_skips_when_unconfigured(env, db, fake_google, connected):
    with dg.build_sensor_context(resources=resources(env, fake_google, keys="")) as context:
        skip = calendar_push_sensor(context)
    assert isinstance(skip, dg.SkipReason) and "GOOGLE_CLIENT_ID, CALENDAR_TOKEN_KEYS" in skip.skip_message
    with dg.build_sensor_context(resources=resources(env, fake_google)) as context:
        request = calendar_push_sensor(context)
        assert request.run_config["ops"]["push_calendars"]["config"]["user_ids"] == ["u1"]
        assert isinstance(calendar_push_sensor(context), dg.SkipReason)  # nothing new since the cursor
        store(db, "atcoder", [contest("atcoder", "abc478")], at=NOW + timedelta(minutes=5))
        assert calendar_push_sensor(context).run_config["ops"]["push_calendars"]["config"]["user_ids"] == ["u1"]
        with db.begin() as conn:  # u1 now follows only leetcode: an atcoder change does not touch them
            put_preferences(conn, "u1", Preferences(judges=["leetcode"]), NOW + timedelta(minutes=6))
        calendar_push_sensor(context)
        store(db, "atcoder", [contest("atcoder", "abc479")], at=NOW + timedelta(minutes=7))
        assert isinstance(calendar_push_sensor(context), dg.SkipReason)
