"""Match-ended detection and the partitioned settlement asset, through Dagster."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from contest_pipelines.assets.settlement_ledger import settlement_ledger
from contest_pipelines.db.tables import room_transitions, rooms, standings
from contest_pipelines.jobs.room_status_job import room_status_job
from contest_pipelines.resources import MatchProviderResource, PostgresResource, RedisResource
from contest_pipelines.sensors.match_ended_sensor import match_ended_sensor
from contest_pipelines.sensors.room_status_sensor import room_status_sensor
from tests.factories import load, prediction_fixture, room_fixture
from tests.fakes.match_provider import FakeMatchProvider

GUESSES = {"p1": {"ann": (2, 1), "bob": (1, 0), "cat": (0, 2)}}


@pytest.fixture(scope="module")
def provider_server():
    with FakeMatchProvider() as fake:
        yield fake


@pytest.fixture
def provider(provider_server):
    provider_server.reset()
    return provider_server


def resources(database_url, provider):
    return {
        "postgres": PostgresResource(database_url=database_url),
        "match_provider": MatchProviderResource(base_url=provider.base_url if provider else ""),
    }


def record(database_url, provider) -> dict:
    """One room_status_job run (the run that writes transitions); its output metadata."""
    result = room_status_job.execute_in_process(resources=resources(database_url, provider))
    assert result.success
    return result.output_for_node("update_room_status")


def settlement_requests(database_url, cursor=None) -> dg.SensorResult:
    with dg.build_sensor_context(
        cursor=cursor, resources={"postgres": PostgresResource(database_url=database_url)}
    ) as context:
        return match_ended_sensor(context)


def tick(database_url, provider, cursor=None) -> dg.SensorResult:
    record(database_url, provider)
    return settlement_requests(database_url, cursor)


def status_tick(database_url, provider, instance, cursor=None):
    with dg.build_sensor_context(
        cursor=cursor, instance=instance, resources=resources(database_url, provider)
    ) as context:
        return room_status_sensor(context)


def test_a_contest_room_past_its_end_is_settled_once(db, database_url, provider):
    now = datetime.now(UTC)
    load(db, room_fixture(room_id="c1", revealed_at=now - timedelta(hours=3), ends_at=now - timedelta(minutes=1)))
    load(db, room_fixture(room_id="c2", revealed_at=now - timedelta(hours=3), ends_at=now + timedelta(hours=1)))

    first = tick(database_url, provider)
    [run] = first.run_requests
    assert run.partition_key == "c1" and run.run_key.startswith("settle:c1:")
    assert first.dynamic_partitions_requests[0].partition_keys == ["c1"]

    second = tick(database_url, provider, cursor=first.cursor)
    assert not second.run_requests and "no room ended" in second.skip_reason.skip_message
    with db.connect() as conn:
        assert conn.execute(sa.select(rooms.c.status).where(rooms.c.room_id == "c1")).scalar_one() == "ended"
        assert conn.execute(sa.select(sa.func.count()).select_from(room_transitions)).scalar_one() == 1


def test_prediction_rooms_settle_on_the_real_transition_and_on_corrections(db, database_url, provider):
    load(db, prediction_fixture(rooms=GUESSES))
    provider.set_match("p1", "live", 1, 0)
    cursor = tick(database_url, provider).cursor
    provider.set_match("p1", "ended", 2, 1)
    ended = tick(database_url, provider, cursor)
    assert [r.partition_key for r in ended.run_requests] == ["p1"]

    unchanged = tick(database_url, provider, ended.cursor)
    assert not unchanged.run_requests

    provider.set_match("p1", "ended", 1, 0)  # corrected after settlement
    corrected = tick(database_url, provider, unchanged.cursor)
    assert [r.partition_key for r in corrected.run_requests] == ["p1"]
    assert corrected.run_requests[0].run_key != ended.run_requests[0].run_key


@pytest.mark.parametrize("fault", ["http500", "garbage", "partial"])
def test_provider_faults_never_settle_and_are_retried_next_tick(db, database_url, provider, fault):
    load(db, prediction_fixture(rooms=GUESSES))
    provider.set_match("p1", "ended", 2, 1)
    provider.inject(fault)

    faulty = record(database_url, provider)
    assert faulty["provider_faults"] == 1 and faulty["settlements_requested"] == 0
    assert not settlement_requests(database_url).run_requests
    retried = tick(database_url, provider)
    assert [r.partition_key for r in retried.run_requests] == ["p1"]


def test_the_status_sensor_only_counts_and_launches_a_run_when_a_room_is_due(db, database_url, provider):
    instance = dg.DagsterInstance.ephemeral()
    now = datetime.now(UTC)
    load(db, room_fixture(room_id="c2", revealed_at=now - timedelta(hours=3), ends_at=now + timedelta(hours=1)))
    idle = status_tick(database_url, None, instance)
    assert "no contest room is due" in idle.skip_message

    load(db, room_fixture(room_id="c1", revealed_at=now - timedelta(hours=3), ends_at=now - timedelta(minutes=1)))
    due = status_tick(database_url, None, instance)
    [run] = due.run_requests
    again = status_tick(database_url, None, instance, cursor=due.cursor)
    assert again.run_requests[0].run_key != run.run_key  # a later tick is a later run
    with db.connect() as conn:  # the tick wrote nothing: the run ends the room
        assert conn.execute(sa.select(rooms.c.status).where(rooms.c.room_id == "c1")).scalar_one() != "ended"

    assert record(database_url, None)["contests_ended"] == 1
    assert "no contest room is due" in status_tick(database_url, None, instance).skip_message


def test_prediction_rooms_are_watched_only_with_a_provider(db, database_url, provider):
    instance = dg.DagsterInstance.ephemeral()
    load(db, prediction_fixture(rooms=GUESSES))
    provider.set_match("p1", "live", 1, 0)
    assert "no contest room is due" in status_tick(database_url, None, instance).skip_message
    assert status_tick(database_url, provider, instance).run_requests
    assert record(database_url, provider)["matches_polled"] == 1


def materialize(database_url, redis_url, room_id, instance):
    return dg.materialize(
        [settlement_ledger],
        partition_key=room_id,
        instance=instance,
        resources={
            "postgres": PostgresResource(database_url=database_url),
            "redis": RedisResource(redis_url=redis_url),
        },
    )


def test_the_settlement_asset_reports_metadata_and_passes_its_check(db, database_url, redis_url, provider):
    load(db, prediction_fixture(rooms=GUESSES))
    provider.set_match("p1", "ended", 2, 1)
    tick(database_url, provider)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("rooms", ["p1"])

    result = materialize(database_url, redis_url, "p1", instance)
    [materialization] = result.asset_materializations_for_node("settlement_ledger")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert metadata["status"] == "applied" and metadata["version"] == 1 and metadata["dagster/row_count"] == 3
    [check] = result.get_asset_check_evaluations()
    assert check.passed

    again = materialize(database_url, redis_url, "p1", instance)
    assert {k: v.value for k, v in again.asset_materializations_for_node("settlement_ledger")[0].metadata.items()}[
        "status"
    ] == "skipped"
    with db.connect() as conn:
        assert dict(
            conn.execute(sa.select(standings.c.user_id, standings.c.points).where(standings.c.scope == "league")).all()
        ) == {"ann": 3, "bob": 1}


def test_the_check_fails_when_standings_drift_from_the_ledger(db, database_url, redis_url, provider):
    load(db, prediction_fixture(rooms=GUESSES))
    provider.set_match("p1", "ended", 2, 1)
    tick(database_url, provider)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("rooms", ["p1"])
    materialize(database_url, redis_url, "p1", instance)
    with db.begin() as conn:  # someone edits the standings by hand
        conn.execute(
            standings.update().where(standings.c.user_id == "bob", standings.c.scope == "tournament").values(points=50)
        )

    [check] = materialize(database_url, redis_url, "p1", instance).get_asset_check_evaluations()
    assert not check.passed and "tournament t1" in check.description


def test_settling_a_match_without_a_final_score_fails_with_a_readable_message(db, database_url, redis_url):
    load(db, prediction_fixture(rooms=GUESSES))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("rooms", ["p1"])
    result = dg.materialize(
        [settlement_ledger],
        partition_key="p1",
        instance=instance,
        raise_on_error=False,
        resources={
            "postgres": PostgresResource(database_url=database_url),
            "redis": RedisResource(redis_url=redis_url),
        },
    )
    assert not result.success
    failure = [e for e in result.all_events if e.is_step_failure][0]
    assert "has not reported a final score" in failure.step_failure_data.error.message + str(
        failure.step_failure_data.user_failure_data
    )


def test_settling_without_a_room_partition_says_to_choose_one(db, database_url, redis_url):
    result = dg.materialize(
        [settlement_ledger],
        raise_on_error=False,
        resources={
            "postgres": PostgresResource(database_url=database_url),
            "redis": RedisResource(redis_url=redis_url),
        },
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "Cannot access partition_key" not in failure.step_failure_data.error.message
    assert failure.step_failure_data.user_failure_data.description == (
        "settlement_ledger was launched without a partition; choose a room partition: the id of an ended room, "
        "as match_ended_sensor added it to `rooms` (CLI: --partition <key>)"
    )
    assert len([e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START]) == 1  # no retry
