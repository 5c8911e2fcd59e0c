"""Retention through Dagster: only what is finished and older than the window goes."""

import logging
import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from contest_pipelines.db.tables import sync_requests, sync_runs
from contest_pipelines.jobs.cleanup_job import cleanup_job
from contest_pipelines.resources import PostgresResource, RedisResource
from tests.factories import load, room_fixture

OLD = datetime.now(UTC) - timedelta(days=20)


def seed(db, redis_client):
    load(db, room_fixture())
    with db.begin() as conn:
        conn.execute(
            sync_runs.insert(),
            [{"job": "old", "started_at": OLD}, {"job": "new", "started_at": datetime.now(UTC) - timedelta(days=1)}],
        )
        request = {"room_id": "room-1", "user_id": "u1", "cf_handle": "tourist", "problem_id": "1843A"}
        conn.execute(
            sync_requests.insert(),
            [
                {**request, "status": "detected", "created_at": OLD, "finished_at": OLD, "detail": "old and finished"},
                {**request, "status": "dead", "created_at": OLD, "finished_at": datetime.now(UTC), "detail": "recent"},
                {**request, "status": "queued", "created_at": OLD, "finished_at": None, "detail": "old, still waiting"},
            ],
        )
    redis_client.xadd("events:user:x", {"type": "t", "data": "{}"}, id=f"{int((time.time() - 20 * 86400) * 1000)}-0")
    redis_client.xadd("events:user:x", {"type": "t", "data": "{}"})


def test_cleanup_job_deletes_only_expired_rows(db, database_url, redis_url, redis_client):
    seed(db, redis_client)
    resources = {"postgres": PostgresResource(database_url=database_url), "redis": RedisResource(redis_url=redis_url)}
    result = cleanup_job.execute_in_process(resources=resources)
    assert result.output_for_node("delete_expired_records") == {
        "sync_requests_deleted": 1,
        "sync_runs_deleted": 1,
        "events_trimmed": 1,
    }
    with db.connect() as conn:
        assert list(conn.execute(sa.select(sync_runs.c.job)).scalars()) == ["new"]
        assert sorted(conn.execute(sa.select(sync_requests.c.detail)).scalars()) == ["old, still waiting", "recent"]
    assert redis_client.xlen("events:user:x") == 1


def test_a_redis_outage_trims_no_stream_but_still_cleans_postgres(db, database_url, redis_client):
    seed(db, redis_client)
    resources = {
        "postgres": PostgresResource(database_url=database_url),
        "redis": RedisResource(redis_url="redis://127.0.0.1:1/0"),
    }
    instance = dg.DagsterInstance.ephemeral()
    result = cleanup_job.execute_in_process(resources=resources, instance=instance)
    assert result.success
    output = result.output_for_node("delete_expired_records")
    assert (output["sync_requests_deleted"], output["sync_runs_deleted"], output["events_trimmed"]) == (1, 1, 0)
    warnings = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
    assert any(m.startswith("event streams not trimmed") for m in warnings)


@dg.op
def noop() -> None:
    pass


@dg.job
def noop_job():
    noop()


def test_cleanup_job_deletes_dagster_runs_past_their_retention(db, database_url, redis_url, monkeypatch):
    resources = {"postgres": PostgresResource(database_url=database_url), "redis": RedisResource(redis_url=redis_url)}
    with dg.instance_for_test() as instance:
        old = [noop_job.execute_in_process(instance=instance).run_id for _ in range(2)]
        time.sleep(8)
        kept = noop_job.execute_in_process(instance=instance).run_id
        [record] = instance.get_run_records(dg.RunsFilter(run_ids=[kept]))
        # Keep what is younger than the kept run plus 5 s: the old runs are 8 s older than it.
        keep_seconds = time.time() - record.create_timestamp.timestamp() + 5
        monkeypatch.setenv("DAGSTER_RUN_RETENTION_DAYS", str(keep_seconds / 86400))
        result = cleanup_job.execute_in_process(resources=resources, instance=instance)
        assert result.output_for_node("delete_old_dagster_runs") == 2
        remaining = {r.dagster_run.run_id for r in instance.get_run_records()}
        assert kept in remaining and not remaining & set(old) and result.run_id in remaining
        monkeypatch.setenv("DAGSTER_RUN_RETENTION_DAYS", "0")  # off: nothing goes
        assert cleanup_job.execute_in_process(resources=resources, instance=instance).output_for_node(
            "delete_old_dagster_runs") == 0  # fmt: skip
