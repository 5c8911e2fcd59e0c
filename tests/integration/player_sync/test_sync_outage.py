"""What a cf_sync_job run shows when Codeforces fails: through Dagster, against the fake judge."""

import logging
import socket
import time
from dataclasses import dataclass

import dagster as dg
import pytest
import sqlalchemy as sa

from contest_pipelines import events
from contest_pipelines.clients.codeforces import CodeforcesUnavailable, redact
from contest_pipelines.db.tables import sync_requests
from contest_pipelines.jobs.cf_sync_job import cf_sync_job
from contest_pipelines.resources import CodeforcesResource, RedisResource, SyncQueueResource
from contest_pipelines.sensors.sync_run_failure_sensor import sync_run_failure_sensor
from tests.factories import load, room_fixture

OP = "process_sync_requests"
KEY, SIG = "K3Y0f7h3cl13n7", "1a2b3cSIGN4TUR3d34db33f"


def closed_port_url() -> str:
    """A local URL nothing listens on: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


def run_batch(instance, database_url, redis_url, base_url, ids) -> dg.ExecuteInProcessResult:
    """One cf_sync_job run with the product's retry policy (5, 10, 20 s; 4 attempts)."""
    return cf_sync_job.execute_in_process(
        run_config={"ops": {OP: {"config": {"request_ids": ids}}}},
        instance=instance,
        raise_on_error=False,
        resources={
            "sync_queue": SyncQueueResource(
                database_url=database_url, retry_base_seconds=5, max_attempts=4, recheck_seconds=0
            ),
            "redis": RedisResource(redis_url=redis_url),
            "codeforces": CodeforcesResource(
                base_url=base_url, redis_url=redis_url, min_interval_seconds=0.01, circuit_seconds=1, timeout_seconds=1
            ),
        },
    )


@dataclass(frozen=True)
class RunFailure:
    description: str
    metadata: dict


def failure_of(result: dg.ExecuteInProcessResult) -> RunFailure:
    """The dg.Failure the op raised: its description and metadata as the run page shows them."""
    data = result.failure_data_for_node(OP).user_failure_data
    assert data is not None, result.failure_data_for_node(OP).error.message
    return RunFailure(data.description, {k: v.value for k, v in data.metadata.items()})


def release_failed_run(instance, database_url, run_id) -> None:
    """What the daemon does next: sync_run_failure_sensor sees the failed run."""
    failure_event = next(
        e.dagster_event
        for e in instance.all_logs(run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "PIPELINE_FAILURE"
    )
    context = dg.build_run_status_sensor_context(
        sensor_name="sync_run_failure_sensor",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
        dagster_event=failure_event,
        resources={"sync_queue": SyncQueueResource(database_url=database_url)},
    ).for_run_failure()
    sync_run_failure_sensor(context)


def rows(db) -> dict[str, sa.Row]:
    with db.connect() as conn:
        return {r.user_id: r for r in conn.execute(sa.select(sync_requests))}


def make_due(db) -> None:
    with db.begin() as conn:
        conn.execute(
            sync_requests.update().where(sync_requests.c.status == "queued").values(next_attempt_at=sa.func.now())
        )


def run_text(instance, result) -> str:
    """Everything the run's page shows: log lines, event messages, failure descriptions and metadata."""
    parts = []
    for entry in instance.all_logs(result.run_id):
        parts.append(entry.user_message or "")
        if entry.dagster_event is not None:
            parts.append(repr(entry.dagster_event.event_specific_data))
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("refused", "user.status failed to connect: ConnectError"),
        ("http503", "user.status answered HTTP 503"),
        ("http500", "user.status returned an unparseable body (HTTP 500)"),
    ],
)
def test_a_run_that_cannot_reach_codeforces_fails_with_the_reason(
    db, database_url, redis_url, redis_client, fake_cf, enqueue, fault, reason
):
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    ids = [enqueue("u1"), enqueue("u2")]
    base_url = closed_port_url() if fault == "refused" else fake_cf.base_url
    if fault != "refused":
        fake_cf.inject(fault, times=10)
    instance = dg.DagsterInstance.ephemeral()

    result = run_batch(instance, database_url, redis_url, base_url, ids)

    assert not result.success
    assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.FAILURE
    failure = failure_of(result)
    assert failure.description.startswith(f"Codeforces unreachable: {reason}")
    assert "2 requests returned to the queue for retry at " in failure.description
    metadata = failure.metadata
    assert (metadata["failed_calls"], metadata["requests_retried"], metadata["handles"]) == (2, 2, 2)
    assert metadata["last_error"].startswith(reason) and metadata["next_retry_at"]
    # The op was not retried: one attempt used per request, one sync.retrying each, backoff untouched.
    assert len([e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_RESTARTED]) == 0
    for row in rows(db).values():
        assert (row.status, row.attempts, row.reason, row.dagster_run_id) == ("queued", 1, "cf_unavailable", None)
        assert round((row.next_attempt_at - row.updated_at).total_seconds()) == 5
    for user in ("u1", "u2"):
        assert [e.type for e in events.read_since(redis_client, user)] == ["sync.retrying"]


def test_a_failed_run_leaves_its_re_queued_requests_to_their_backoff(
    db, database_url, redis_url, redis_client, fake_cf, enqueue
):
    """Outage runs fail, one after another; the failure sensor releases nothing of theirs, so each request
    is retried exactly as the worker scheduled it (5, 10, 20 s) and dies on its fourth failure."""
    load(db, room_fixture())
    ids = [enqueue()]
    fake_cf.inject("http503", times=100)
    instance = dg.DagsterInstance.ephemeral()

    waits = []
    for attempt in (1, 2, 3, 4):
        result = run_batch(instance, database_url, redis_url, fake_cf.base_url, ids)
        assert not result.success and failure_of(result).description.startswith("Codeforces unreachable: ")
        before = rows(db)["u1"]
        release_failed_run(instance, database_url, result.run_id)
        after = rows(db)["u1"]
        assert after == before  # not released a second time: same status, attempts, generation, next attempt
        assert after.attempts == attempt
        if attempt < 4:
            assert after.status == "queued"
            waits.append(round((after.next_attempt_at - after.updated_at).total_seconds()))
            make_due(db)
    assert waits == [5, 10, 20]
    assert (after.status, after.reason, after.generation) == ("dead", "cf_unavailable", 3)
    assert "1 request gave up as cf_unavailable (dead)" in failure_of(result).description
    kinds = [e.type for e in events.read_since(redis_client, "u1")]
    assert kinds == ["sync.retrying"] * 3 + ["sync.failed"]
    assert 1 <= len(fake_cf.calls_for("user.status")) <= 4  # one call per run at most, none while the circuit holds


def test_a_run_with_one_handle_answered_succeeds_and_reports_the_failed_call(
    db, database_url, redis_url, fake_cf, enqueue
):
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    fake_cf.add_submission("petr", "1843A", "OK", created=int(time.time()) - 600)
    ids = [enqueue("u1"), enqueue("u2")]  # tourist's lookup comes first and meets the 500
    fake_cf.inject("http500", times=1, method="user.status")
    instance = dg.DagsterInstance.ephemeral()

    result = run_batch(instance, database_url, redis_url, fake_cf.base_url, ids)

    assert result.success
    metadata = result.output_for_node(OP)
    assert (metadata["failed_calls"], metadata["requests_retried"], metadata["outcome_detected"]) == (1, 1, 1)
    assert metadata["last_error"] == "user.status returned an unparseable body (HTTP 500)"
    [warning] = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
    assert "1 of 2 Codeforces lookups failed (last error: user.status returned an unparseable body (HTTP 500))" in (
        warning
    )
    assert "1 request returned to the queue for retry at " in warning
    assert {u: (r.status, r.attempts) for u, r in rows(db).items()} == {"u1": ("queued", 1), "u2": ("detected", 0)}


def test_a_run_without_failures_says_so_in_its_metadata(db, database_url, redis_url, fake_cf, enqueue):
    load(db, room_fixture())
    fake_cf.add_submission("tourist", "1843A", "OK", created=int(time.time()) - 600)
    instance = dg.DagsterInstance.ephemeral()

    result = run_batch(instance, database_url, redis_url, fake_cf.base_url, [enqueue()])

    metadata = result.output_for_node(OP)
    assert (metadata["failed_calls"], metadata["rate_limited_calls"], metadata["requests_retried"]) == (0, 0, 0)
    assert "last_error" not in metadata
    assert not [e for e in instance.all_logs(result.run_id) if e.level >= logging.WARNING]


def test_a_call_limit_alone_does_not_fail_the_run(db, database_url, redis_url, fake_cf, enqueue):
    """A rate limit is the judge answering, and the sensor already pauses for it: the run stays green."""
    load(db, room_fixture())
    fake_cf.inject("call_limit", times=5)
    instance = dg.DagsterInstance.ephemeral()

    result = run_batch(instance, database_url, redis_url, fake_cf.base_url, [enqueue()])

    assert result.success
    metadata = result.output_for_node(OP)
    assert (metadata["failed_calls"], metadata["rate_limited_calls"], metadata["requests_retried"]) == (0, 1, 1)
    assert "call limit exceeded" in metadata["last_error"]
    assert rows(db)["u1"].attempts == 0


def test_no_credential_reaches_the_run_the_queue_or_the_player(
    db, database_url, redis_url, redis_client, fake_cf, enqueue
):
    """The client sends no apiKey/apiSig today; should an error ever echo a signed request, it is masked."""
    load(db, room_fixture())
    signed = f"/api/user.status?handle=tourist&apiKey={KEY}&time=1700000000&apiSig={SIG}"
    fake_cf.failed500_comment = f"upstream error on GET {signed}"
    fake_cf.inject("failed500", times=5)
    instance = dg.DagsterInstance.ephemeral()

    result = run_batch(instance, database_url, redis_url, fake_cf.base_url, [enqueue()])

    failure = failure_of(result)
    assert "apiKey=***" in failure.description and "apiSig=***" in failure.description
    seen = "\n".join(
        [
            failure.description,
            repr(failure.metadata),
            run_text(instance, result),
            repr(rows(db)["u1"]),
            repr([e.data for e in events.read_since(redis_client, "u1")]),
        ]
    )
    assert KEY not in seen and SIG not in seen


@pytest.mark.parametrize(
    "text",
    [
        f"GET /api/user.status?handle=a&apiKey={KEY}&time=1&apiSig={SIG} HTTP/1.1",
        f"https://user:{KEY}@proxy.example/api/user.status?apiSig={SIG}",
        f"api_key={KEY}; token={SIG}",
    ],
)
def test_every_codeforces_error_is_redacted(text):
    assert KEY not in str(CodeforcesUnavailable(text)) and SIG not in str(CodeforcesUnavailable(text))
    assert redact("user.status?handle=tourist&count=20") == "user.status?handle=tourist&count=20"
