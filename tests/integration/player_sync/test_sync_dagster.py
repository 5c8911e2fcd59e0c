"""The sync pipeline through Dagster: sensor ticks, job runs, failure release."""

import time
import uuid

import dagster as dg
import pytest
import sqlalchemy as sa

from contest_pipelines import events
from contest_pipelines.clients.codeforces import CodeforcesCallLimit, CodeforcesRateLimited
from contest_pipelines.db.tables import sync_requests
from contest_pipelines.jobs.cf_sync_job import cf_sync_job
from contest_pipelines.resources import CodeforcesResource, RedisResource, SyncQueueResource
from contest_pipelines.sensors.sync_request_sensor import sync_request_sensor
from contest_pipelines.sensors.sync_run_failure_sensor import sync_run_failure_sensor
from tests.factories import load, room_fixture


def resources(database_url, redis_url, fake_cf, **cf):
    return {
        "sync_queue": SyncQueueResource(database_url=database_url, retry_base_seconds=0, recheck_seconds=0),
        "redis": RedisResource(redis_url=redis_url),
        "codeforces": CodeforcesResource(
            base_url=fake_cf.base_url,
            redis_url=redis_url,
            min_interval_seconds=0.01,
            circuit_seconds=cf.get("circuit_seconds", 1),
        ),
    }


def test_sensor_skips_with_a_reason_when_nothing_is_due(db, database_url, redis_url, fake_cf):
    with dg.build_sensor_context(resources=resources(database_url, redis_url, fake_cf)) as context:
        result = sync_request_sensor(context)
    assert result.skip_reason is not None and "no sync request is due" in result.skip_reason.skip_message


def test_sensor_batches_every_due_request_into_one_run_with_a_stable_key(db, database_url, redis_url, fake_cf, enqueue):
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    ids = {enqueue("u1"), enqueue("u2")}
    res = resources(database_url, redis_url, fake_cf)

    with dg.build_sensor_context(resources=res) as context:
        first = sync_request_sensor(context)
    [run] = first.run_requests
    assert set(run.run_config["ops"]["process_sync_requests"]["config"]["request_ids"]) == ids
    assert run.run_key.startswith("cf-sync-")

    # The next tick does not dispatch the same requests again...
    with dg.build_sensor_context(cursor=first.cursor, resources=res) as context:
        second = sync_request_sensor(context)
    assert not second.run_requests and "already dispatched" in second.skip_reason.skip_message
    # ...and without the cursor the same due set gives the same run key, which Dagster deduplicates.
    with dg.build_sensor_context(resources=res) as context:
        assert sync_request_sensor(context).run_requests[0].run_key == run.run_key


def test_sensor_pauses_while_a_call_limit_holds_the_circuit(db, database_url, redis_url, fake_cf, enqueue, make_client):
    load(db, room_fixture())
    enqueue()
    fake_cf.inject("http429")
    client = make_client(circuit_seconds=30)
    with pytest.raises(CodeforcesCallLimit):
        client.user_status("tourist")

    with dg.build_sensor_context(resources=resources(database_url, redis_url, fake_cf, circuit_seconds=30)) as context:
        result = sync_request_sensor(context)
    assert isinstance(result, dg.SkipReason) and "circuit open until" in result.skip_message
    assert "call limit" in result.skip_message


def test_sensor_keeps_dispatching_during_an_outage(db, database_url, redis_url, fake_cf, enqueue, make_client):
    """A 503 opens the circuit too, but the due retries still run: each uses an attempt without calling."""
    load(db, room_fixture())
    enqueue()
    fake_cf.inject("http503")
    client = make_client(circuit_seconds=30)
    with pytest.raises(CodeforcesRateLimited):
        client.user_status("tourist")
    assert client.circuit_open_until() is not None

    with dg.build_sensor_context(resources=resources(database_url, redis_url, fake_cf, circuit_seconds=30)) as context:
        result = sync_request_sensor(context)
    assert len(result.run_requests) == 1


def test_job_settles_its_batch_and_reports_metadata(db, database_url, redis_url, redis_client, fake_cf, enqueue):
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    fake_cf.add_submission("tourist", "1843A", "OK", created=int(time.time()) - 600)
    fake_cf.add_submission("petr", "1843A", "WRONG_ANSWER", created=int(time.time()) - 600)
    ids = [enqueue("u1"), enqueue("u2")]

    result = cf_sync_job.execute_in_process(
        run_config={"ops": {"process_sync_requests": {"config": {"request_ids": ids}}}},
        resources=resources(database_url, redis_url, fake_cf),
    )

    assert result.success
    metadata = result.output_for_node("process_sync_requests")
    assert metadata["requests"] == 2 and metadata["handles"] == 2 and metadata["api_calls"] == 2
    assert metadata["outcome_detected"] == 1 and metadata["outcome_failed_WA"] == 1
    [verified] = result.asset_materializations_for_node("process_sync_requests")  # the data map's verified_solves
    assert verified.asset_key == dg.AssetKey("verified_solves") and verified.metadata["detected"].value == 1
    with db.connect() as conn:
        statuses = dict(conn.execute(sa.select(sync_requests.c.user_id, sync_requests.c.status)).all())
        run_ids = set(conn.execute(sa.select(sync_requests.c.dagster_run_id)).scalars())
    assert statuses == {"u1": "detected", "u2": "failed"} and run_ids == {result.run_id}
    assert [e.type for e in events.read_since(redis_client, "u1")] == ["sync.detected"]


def test_failure_sensor_returns_a_dead_runs_requests_to_the_queue(db, database_url, redis_url, fake_cf, enqueue):
    load(db, room_fixture())
    request_id = enqueue()
    crashed_run_id = str(uuid.uuid4())
    with db.begin() as conn:
        conn.execute(sync_requests.update().values(status="running", dagster_run_id=crashed_run_id))

    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(
        cf_sync_job,
        run_id=crashed_run_id,
        run_config={"ops": {"process_sync_requests": {"config": {"request_ids": [request_id]}}}},
    )
    instance.report_run_failed(run)
    failure_event = [
        e
        for e in instance.all_logs(run.run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "PIPELINE_FAILURE"
    ][0]
    context = dg.build_run_status_sensor_context(
        sensor_name="sync_run_failure_sensor",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run.run_id),
        dagster_event=failure_event.dagster_event,
        resources={"sync_queue": SyncQueueResource(database_url=database_url)},
    ).for_run_failure()
    sync_run_failure_sensor(context)

    with db.connect() as conn:
        row = conn.execute(sa.select(sync_requests)).one()
    assert (row.status, row.dagster_run_id, row.generation, row.attempts) == ("queued", None, 1, 0)


def test_dagster_definitions_validate_from_the_workspace():
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import ROOT

    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout
