"""MATCH_PROVIDER_URL unset is a setting, not a provider fault: said once per process, never counted."""

import logging
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from contest_pipelines.jobs.room_status_job import room_status_job
from contest_pipelines.resources import MatchProviderResource, PostgresResource
from contest_pipelines.sensors.room_status_sensor import room_status_sensor
from contest_pipelines.settlement import room_status
from tests.factories import load, prediction_fixture, room_fixture

LOGGER = "contest_pipelines.settlement.room_status"


@pytest.fixture
def fresh_process(caplog):
    """As if in a new process: nothing said yet about the provider."""
    room_status.note_provider_not_configured.cache_clear()
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    yield caplog
    room_status.note_provider_not_configured.cache_clear()


def unconfigured(database_url) -> dict:
    return {"postgres": PostgresResource(database_url=database_url), "match_provider": MatchProviderResource()}


def tick(database_url, instance, cursor=None):
    with dg.build_sensor_context(cursor=cursor, instance=instance, resources=unconfigured(database_url)) as context:
        return room_status_sensor(context)


def run(database_url) -> tuple[dict, list]:
    instance = dg.DagsterInstance.ephemeral()
    result = room_status_job.execute_in_process(instance=instance, resources=unconfigured(database_url))
    assert result.success
    warnings = [e for e in instance.all_logs(result.run_id) if e.level >= logging.WARNING]
    return result.output_for_node("update_room_status"), warnings


def test_an_unconfigured_provider_is_said_once_and_is_no_fault(db, database_url, fresh_process):
    now = datetime.now(UTC)
    load(db, prediction_fixture(rooms={"p1": {"ann": (2, 1)}}))
    load(db, room_fixture(room_id="c1", revealed_at=now - timedelta(hours=3), ends_at=now - timedelta(minutes=1)))
    instance = dg.DagsterInstance.ephemeral()

    due = tick(database_url, instance)
    [request] = due.run_requests
    assert request.tags["match_provider"] == "not configured"
    metadata, run_warnings = run(database_url)
    assert metadata["match_provider"] == "not configured" and metadata["provider_faults"] == 0
    assert (metadata["contests_ended"], metadata["matches_polled"], metadata["matches_unwatched"]) == (1, 0, 1)
    assert run_warnings == []
    idle = [tick(database_url, instance, due.cursor) for _ in range(3)]
    assert all(
        s.skip_message == "no contest room is due to end and no match is to be watched; "
        "match_provider: not configured (prediction rooms not watched: 1)"
        for s in idle
    )
    again, _ = run(database_url)
    assert again["provider_faults"] == 0 and again["contests_ended"] == 0

    said = [r for r in fresh_process.records if r.name == LOGGER]
    assert len(said) == 1 and said[0].levelno == logging.INFO
    assert "match_provider: not configured (MATCH_PROVIDER_URL is unset)" in said[0].getMessage()


def test_a_configured_provider_says_so_and_logs_nothing_about_it(db, database_url, fresh_process):
    from tests.fakes.match_provider import FakeMatchProvider

    load(db, prediction_fixture(rooms={"p1": {"ann": (2, 1)}}))
    with FakeMatchProvider() as provider:
        provider.set_match("p1", "live", 1, 0)
        resources = {
            "postgres": PostgresResource(database_url=database_url),
            "match_provider": MatchProviderResource(base_url=provider.base_url),
        }
        with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), resources=resources) as context:
            [request] = room_status_sensor(context).run_requests
        result = room_status_job.execute_in_process(resources=resources)
    metadata = result.output_for_node("update_room_status")
    assert "match_provider" not in request.tags
    assert (metadata["match_provider"], metadata["matches_polled"], metadata["provider_faults"]) == ("configured", 1, 0)
    assert "matches_unwatched" not in metadata
    assert not [r for r in fresh_process.records if r.name == LOGGER]
