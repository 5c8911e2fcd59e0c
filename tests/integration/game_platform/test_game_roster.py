"""Onboarding and roster reconciliation against the fake game platform and real PostgreSQL."""

import threading

import pytest
import sqlalchemy as sa

from contest_pipelines.clients.game_platform import GamePlatformClient
from contest_pipelines.db.tables import onboarding_requests, players, teams
from contest_pipelines.game_platform.onboarding import onboard, request_onboarding
from contest_pipelines.game_platform.roster import delete_team_locally, pending_roster_changes, sync_roster
from tests.factories import load


def new_client(platform):
    return GamePlatformClient(platform.base_url, platform.token, backoff_seconds=0, timeout_seconds=2)


def competitor(db, user_id="ann", status="compliance", **extra):
    load(
        db,
        {
            "coaches": [{"coachId": "c1", "name": "Coach"}],
            "players": [
                {
                    "userId": user_id,
                    "coachId": "c1",
                    "status": status,
                    "firstName": "Ann",
                    "lastName": "Lee",
                    "email": f"{user_id}@school.org",
                    **extra,
                }
            ],
        },
    )


def player(db, user_id="ann"):
    with db.connect() as conn:
        return conn.execute(sa.select(players).where(players.c.user_id == user_id)).one()


def test_onboarding_creates_the_remote_user_and_promotes_to_complete(db, platform):
    competitor(db)
    with db.begin() as conn:
        request_id = request_onboarding(conn, "ann", "c1")
    result = onboard(db, new_client(platform), request_id)
    assert result.status == "done"
    assert (player(db).status, player(db).game_platform_id) == ("complete", "ann")
    assert platform.user("ann")["email"] == "ann@school.org"


@pytest.mark.parametrize("status", ["pending", "profile", "complete"])
def test_onboarding_refuses_other_statuses_with_a_reason(db, platform, status):
    competitor(db, status=status)
    with db.begin() as conn:
        request_id = request_onboarding(conn, "ann", "c1")
    result = onboard(db, new_client(platform), request_id)
    assert result.status == "refused" and status in result.reason
    assert sum(platform.call_counts.values()) == 0


def test_onboarding_is_idempotent_when_the_user_already_exists_remotely(db, platform):
    competitor(db)
    platform.add_user("ann")
    with db.begin() as conn:
        request_id = request_onboarding(conn, "ann", "c1")
    assert onboard(db, new_client(platform), request_id).status == "done"
    assert platform.call_counts.get("POST /users", 0) == 0


def test_two_concurrent_onboardings_create_one_remote_user(db, platform):
    competitor(db)
    with db.begin() as conn:
        ids = [request_onboarding(conn, "ann", "c1") for _ in range(2)]
    results, barrier = [], threading.Barrier(2)

    def run(request_id):
        barrier.wait()
        results.append(onboard(db, new_client(platform), request_id))

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == ["done", "refused"]
    assert platform.call_counts.get("POST /users", 0) == 1


def test_a_remote_failure_is_stored_on_the_competitor(db, platform):
    competitor(db)
    platform.inject("http400", path="/users")
    with db.begin() as conn:
        request_id = request_onboarding(conn, "ann", "c1")
    result = onboard(db, new_client(platform), request_id)
    assert result.status == "failed"
    assert player(db).status == "compliance" and player(db).game_platform_sync_error
    with db.connect() as conn:
        assert conn.execute(sa.select(onboarding_requests.c.status)).scalar_one() == "failed"


def test_roster_sync_creates_assigns_and_deletes(db, platform):
    load(
        db,
        {
            "coaches": [{"coachId": "c1", "name": "Coach"}],
            "players": [
                {"userId": u, "coachId": "c1", "status": "complete", "gamePlatformId": u} for u in ("ann", "bob", "cat")
            ],
            "teams": [
                {
                    "teamId": "red",
                    "name": "Red",
                    "coachId": "c1",
                    "division": "HS",
                    "affiliation": "North",
                    "members": ["ann", "bob"],
                },
                {"teamId": "old", "name": "Old", "coachId": "c1", "members": []},
            ],
        },
    )
    for u in ("ann", "bob", "cat"):
        platform.add_user(u)
    platform.add_user("c1", role="coach")  # a team's coach must be a platform user
    client = new_client(platform)
    with db.connect() as conn:
        assert pending_roster_changes(conn) > 0
    first = sync_roster(db, client)
    assert (first.teams_created, first.members_assigned, first.errors) == (2, 2, [])
    assert {a["syned_user_id"] for a in client.get_team_assignments("red").model_dump()["assignments"]} == {
        "ann",
        "bob",
    }

    with db.begin() as conn:
        assert delete_team_locally(conn, "red") == "has_members"
        assert delete_team_locally(conn, "old") == "deleted"
    platform.inject("http500", times=3, path="/teams/delete")  # the platform fails: local deletion still happens
    second = sync_roster(db, client)
    assert second.teams_deleted == 1 and len(second.errors) == 1
    with db.connect() as conn:
        assert set(conn.execute(sa.select(teams.c.team_id)).scalars()) == {"red"}
        assert pending_roster_changes(conn) == 0

    again = sync_roster(db, client)
    assert (again.teams_created, again.members_assigned, again.teams_deleted) == (0, 0, 0)
