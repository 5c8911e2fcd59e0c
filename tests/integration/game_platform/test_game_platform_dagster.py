"""The game-platform integration through Dagster: assets, schedules, sensors, jobs."""

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from contest_pipelines.assets.challenge_solves import challenge_solves
from contest_pipelines.assets.player_totals import player_totals
from contest_pipelines.db.tables import challenge_solves as solves_table
from contest_pipelines.db.tables import sync_runs
from contest_pipelines.game_platform.onboarding import request_onboarding
from contest_pipelines.resources import GamePlatformResource, PostgresResource, RedisResource
from contest_pipelines.schedules.game_platform_sync_schedule import game_platform_sync_schedule
from contest_pipelines.sensors.onboarding_request_sensor import onboarding_request_sensor
from contest_pipelines.sensors.roster_change_sensor import roster_change_sensor
from tests.factories import load


def res(database_url, platform, redis_url=None):
    out = {
        "postgres": PostgresResource(database_url=database_url),
        "game_platform": GamePlatformResource(base_url=platform.base_url, token=platform.token),
    }
    if redis_url:
        out["redis"] = RedisResource(redis_url=redis_url)
    return out


def seed(db, platform, n=3):
    load(
        db,
        {
            "coaches": [{"coachId": "c1", "name": "Coach"}],
            "players": [
                {"userId": f"u{i}", "coachId": "c1", "status": "complete", "gamePlatformId": f"s{i}"} for i in range(n)
            ],
        },
    )
    for i in range(n):
        platform.add_user(f"s{i}")


def test_todays_partition_syncs_incrementally_and_reports_telemetry(db, database_url, platform):
    seed(db, platform)
    platform.add_solve("s1", timestamp_unix=int(time.time()) - 60)
    today = datetime.now(UTC).strftime("%Y-%m-%d")

    result = dg.materialize(
        [challenge_solves],
        partition_key=today,
        resources=res(database_url, platform),
        run_config={"ops": {"challenge_solves": {"config": {"batch_size": 50}}}},
    )
    metadata = {k: v.value for k, v in result.asset_materializations_for_node("challenge_solves")[0].metadata.items()}
    assert (metadata["processed"], metadata["synced"], metadata["skipped"], metadata["new_solves"]) == (3, 1, 2, 1)
    assert metadata["api_calls"] >= 3
    with db.connect() as conn:
        assert conn.execute(sa.select(sync_runs.c.job, sync_runs.c.with_new_data)).one() == ("game_platform_sync", 1)


def test_a_past_partition_backfills_that_day_twice_with_the_same_rows(db, database_url, platform):
    seed(db, platform, n=1)
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    platform.add_solve("s0", timestamp_unix=int((day + timedelta(hours=5)).timestamp()))
    for _ in range(2):
        dg.materialize(
            [challenge_solves], partition_key=day.strftime("%Y-%m-%d"), resources=res(database_url, platform)
        )
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(solves_table)).scalar_one() == 1


def test_player_totals_asset_sweeps_flagged_competitors(db, database_url, platform):
    seed(db, platform, n=2)
    platform.add_solve("s0", points=250, timestamp_unix=int(time.time()) - 60)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    dg.materialize([challenge_solves], partition_key=today, resources=res(database_url, platform))
    result = dg.materialize([player_totals], resources=res(database_url, platform))
    metadata = {k: v.value for k, v in result.asset_materializations_for_node("player_totals")[0].metadata.items()}
    assert metadata["processed"] == 1 and metadata["synced"] == 1


def test_schedule_targets_todays_partition_and_skips_when_unconfigured(database_url, platform):
    when = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    with dg.build_schedule_context(scheduled_execution_time=when, resources=res(database_url, platform)) as context:
        request = game_platform_sync_schedule(context)
    assert request.partition_key == "2026-11-22"
    unconfigured = {"game_platform": GamePlatformResource(base_url="", token="")}
    with dg.build_schedule_context(scheduled_execution_time=when, resources=unconfigured) as context:
        assert "not set" in game_platform_sync_schedule(context).skip_message


def test_roster_sensor_launches_on_local_changes(db, database_url, platform):
    seed(db, platform, n=1)
    with dg.build_sensor_context(
        resources=res(database_url, platform), instance=dg.DagsterInstance.ephemeral()
    ) as context:
        assert roster_change_sensor(context).skip_message.startswith("rosters are in sync")
    load(db, {"teams": [{"teamId": "red", "name": "Red", "coachId": "c1", "members": ["u0"]}]})
    with dg.build_sensor_context(
        resources=res(database_url, platform), instance=dg.DagsterInstance.ephemeral()
    ) as context:
        assert len(roster_change_sensor(context).run_requests) == 1


def test_onboarding_sensor_launches_once_per_new_request(db, database_url, platform):
    load(db, {"players": [{"userId": "ann", "status": "compliance", "email": "a@b.c"}]})
    with db.begin() as conn:
        request_onboarding(conn, "ann", None)
    with dg.build_sensor_context(resources=res(database_url, platform)) as context:
        first = onboarding_request_sensor(context)
    assert len(first.run_requests) == 1
    with dg.build_sensor_context(cursor=first.cursor, resources=res(database_url, platform)) as context:
        assert onboarding_request_sensor(context).skip_message == "no new onboarding request"
