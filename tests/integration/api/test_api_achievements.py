"""Achievements through the API: the catalog with the caller's progress, one achievement, a streak's current
and longest run, and the operators' view of each processor's checkpoint and last run."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from contest_pipelines.achievements.processors import reconcile_all
from contest_pipelines.api.main import create_app
from contest_pipelines.db.tables import detections
from tests.factories import load, room_fixture
from tests.integration.api.test_api_ops import ADMIN
from tests.integration.api.test_api_players import auth


@pytest.fixture
def client(env, db) -> TestClient:
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=d) for d in range(9, -1, -1)]  # ten days in a row up to today
    with db.begin() as conn:
        conn.execute(detections.insert(), [
            {"room_id": "room-1", "user_id": "u1", "problem_id": f"{1800 + i}A", "cf_submission_id": 500 + i,
             "cf_timestamp": int(t.timestamp())} for i, t in enumerate(days)])  # fmt: skip
    assert not any(isinstance(r, Exception) for r in reconcile_all(db))
    return TestClient(create_app())


def test_the_catalog_lists_every_active_achievement_with_the_callers_progress(client):
    body = client.get("/api/achievements", headers=auth()).json()
    by_id = {a["id"]: a for a in body}
    assert {"first_verified_solve", "solves_10", "streak_7", "weekly_top10", "profile_complete"} <= set(by_id)
    first = by_id["first_verified_solve"]
    assert (first["name"], first["kind"], first["stepCount"]) == ("First verified solve", "boolean", 1)
    [award] = first["progress"]
    assert award["specifier"] == "u1" and award["complete"] and award["currentStep"] == 1 and award["amount"] == 10
    [ten] = by_id["solves_10"]["progress"]
    assert ten["complete"] and ten["completedAt"].startswith(datetime.now(UTC).date().isoformat())
    [streak] = by_id["streak_7"]["progress"]
    assert streak["streak"] == {"current": 10, "longest": 10} and streak["complete"]
    assert by_id["solves_100"]["progress"][0]["currentStep"] == 10
    other = {a["id"]: a for a in client.get("/api/achievements", headers=auth("u2")).json()}
    assert other["first_verified_solve"]["progress"] == []  # only the caller's own awards


def test_one_achievement_and_an_unknown_one(client):
    streak = client.get("/api/achievements/streak_30", headers=auth()).json()
    assert streak["id"] == "streak_30" and streak["progress"][0]["currentStep"] == 10
    assert not streak["progress"][0]["complete"]
    missing = client.get("/api/achievements/no_such", headers=auth())
    assert missing.status_code == 404 and "no_such" in missing.json()["detail"]
    assert client.get("/api/achievements").status_code == 401


def test_operators_see_each_processors_checkpoint_and_last_run(client):
    assert client.get("/api/admin/achievements", headers=auth()).status_code == 401
    states = {s["id"]: s for s in client.get("/api/admin/achievements", headers=ADMIN).json()}
    solves = states["solves_10"]
    assert solves["lastPlayersTouched"] == 1 and solves["lastNewlyCompleted"] == 1 and solves["lastError"] is None
    assert int(solves["checkpointXid"]) > 0 and solves["lastRunAt"] is not None
    rollup = states["solve_rollup"]  # the stage the solve processors read, listed after the catalog
    assert list(states)[-1] == "solve_rollup" and rollup["lastPlayersTouched"] >= 1 and rollup["lastError"] is None
