"""The sync worker against real PostgreSQL and Redis, with Codeforces faked by a local server."""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from contest_pipelines import events
from contest_pipelines.db.boards import current_version
from contest_pipelines.db.tables import detections, sync_requests
from contest_pipelines.player_sync.worker import Policy
from tests.factories import load, room_fixture
from tests.integration.conftest import new_run_id


def request_row(db, request_id):
    with db.connect() as conn:
        return conn.execute(sa.select(sync_requests).where(sync_requests.c.id == request_id)).one()


def detection_rows(db):
    with db.connect() as conn:
        return conn.execute(sa.select(detections).order_by(detections.c.id)).all()


def stream(redis_client, user_id="u1"):
    return events.read_since(redis_client, user_id)


def make_due(db, request_id):
    with db.begin() as conn:
        conn.execute(
            sync_requests.update().where(sync_requests.c.id == request_id).values(next_attempt_at=sa.func.now())
        )


def test_accepted_submission_is_detected_with_the_exact_payload(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture(team_of={"u1": "t1"}))
    sub = fake_cf.add_submission("tourist", "1843A", "OK", created=int(time.time()) - 600)
    request_id = enqueue()

    report = make_worker().process([request_id], new_run_id())

    assert report.outcomes == {"detected": 1} and report.api_calls == 1
    assert request_row(db, request_id).status == "detected"
    [row] = detection_rows(db)
    assert (row.user_id, row.problem_id, row.cf_submission_id, row.team_id, row.points_awarded) == (
        "u1",
        "1843A",
        sub["id"],
        "t1",
        100,
    )
    [event] = stream(redis_client)
    assert event.type == "sync.detected"
    assert event.data == {
        "roomId": "room-1",
        "userId": "u1",
        "teamId": "t1",
        "problemId": "1843A",
        "cfSubmissionId": sub["id"],
        "cfTimestamp": sub["creationTimeSeconds"],
        "verdict": "OK",
        "pointsAwarded": 100,
    }
    call = fake_cf.calls_for("user.status")[0]
    assert call.params["handle"] == "tourist" and call.params["count"] == "20"


def test_wrong_answer_fails_with_wa_and_changes_no_game_state(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture())
    fake_cf.add_submission("tourist", "1843A", "WRONG_ANSWER", created=int(time.time()) - 600)
    request_id = enqueue()

    make_worker().process([request_id], new_run_id())

    row = request_row(db, request_id)
    assert (row.status, row.reason) == ("failed", "WA")
    assert detection_rows(db) == []
    [event] = stream(redis_client)
    assert event.type == "sync.failed" and event.data["verdict"] == "WA" and "WRONG_ANSWER" in event.data["detail"]
    assert not [k for k in redis_client.keys("*") if k.startswith(("room", "score", "board"))]


def test_accepted_before_the_problem_was_revealed_is_invalid(db, redis_client, fake_cf, make_worker, enqueue):
    now = datetime.now(UTC)
    load(db, room_fixture(revealed_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)))
    fake_cf.add_submission("tourist", "1843A", "OK", created=int(now.timestamp()) - 60)
    request_id = enqueue()

    make_worker().process([request_id], new_run_id())

    assert request_row(db, request_id).reason == "invalid"
    [event] = stream(redis_client)
    assert event.data["verdict"] == "invalid" and "before the problem was revealed" in event.data["detail"]


def test_unknown_handle_fails_at_once_without_retry(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture(players={"u1": "no_such_handle_xyz"}))
    request_id = enqueue()

    make_worker().process([request_id], new_run_id())

    row = request_row(db, request_id)
    assert (row.status, row.reason, row.attempts) == ("failed", "invalid", 0)
    assert "not found" in row.detail
    assert len(fake_cf.calls_for("user.status")) == 1


def test_submission_still_testing_is_rechecked_then_detected(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture())
    sub = fake_cf.add_submission("tourist", "1843A", "TESTING", created=int(time.time()) - 30)
    request_id = enqueue()
    worker = make_worker()

    assert worker.process([request_id], new_run_id()).outcomes == {"pending": 1}
    row = request_row(db, request_id)
    assert (row.status, row.attempts, row.rechecks, row.generation) == ("queued", 0, 1, 1)
    assert stream(redis_client) == []  # judging is not an outcome the player is told about as failure

    fake_cf.set_verdict(sub["id"], "OK")
    assert worker.process([request_id], new_run_id()).outcomes == {"detected": 1}
    assert [e.type for e in stream(redis_client)] == ["sync.detected"]


def test_call_limit_storm_opens_the_circuit_and_loses_nothing(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture())
    fake_cf.add_submission("tourist", "1843A", "OK", created=int(time.time()) - 600)
    request_id = enqueue()
    # pybreaker stores the opening time in whole seconds: 3 s leaves >= 2 s in which the circuit is surely open.
    worker = make_worker(circuit_seconds=3)
    fake_cf.inject("call_limit", times=2)  # HTTP 503 carrying {"status": "FAILED", "comment": "Call limit exceeded"}

    assert worker.process([request_id], new_run_id()).outcomes == {"rate_limited": 1}
    assert worker.cf.circuit_open_until() is not None
    row = request_row(db, request_id)
    assert (row.status, row.attempts, row.reason) == ("queued", 0, "cf_rate_limited")  # a call limit uses no attempt

    # While the circuit is open no call is made, and the request is not even claimable until it closes.
    make_due(db, request_id)
    calls_before = len(fake_cf.calls)
    assert worker.process([request_id], new_run_id()).outcomes == {"rate_limited": 1}
    assert len(fake_cf.calls) == calls_before

    deadline = time.monotonic() + 30  # a hang guard, not a speed check
    while request_row(db, request_id).status != "detected" and time.monotonic() < deadline:
        time.sleep(0.3)
        make_due(db, request_id)
        worker.process([request_id], new_run_id())
    assert request_row(db, request_id).status == "detected"
    kinds = [e.type for e in stream(redis_client)]
    assert kinds[-1] == "sync.detected" and set(kinds[:-1]) == {"sync.retrying"}
    assert all(e.data["reason"] == "cf_rate_limited" and e.data["attempt"] == 0 for e in stream(redis_client)[:-1])
    assert len(fake_cf.calls_for("user.status")) == 3  # two call limits, then the answer
    assert request_row(db, request_id).reason is None


def test_server_errors_retry_with_backoff_then_die_as_cf_unavailable(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture())
    request_id = enqueue()
    fake_cf.inject("http500", times=10)
    worker = make_worker(
        policy=Policy(retry_base_seconds=5.0, max_attempts=4, recheck_seconds=0.0, deadline_seconds=600)
    )

    waits = []
    for expected_attempts in (1, 2, 3):
        worker.process([request_id], new_run_id())
        row = request_row(db, request_id)
        assert (row.status, row.attempts) == ("queued", expected_attempts)
        waits.append(round((row.next_attempt_at - row.updated_at).total_seconds()))
        make_due(db, request_id)
    assert waits == [5, 10, 20]

    worker.process([request_id], new_run_id())
    row = request_row(db, request_id)
    assert (row.status, row.reason, row.attempts) == ("dead", "cf_unavailable", 4)
    *retrying, event = stream(redis_client)
    assert [(e.type, e.data["attempt"], e.data["maxAttempts"]) for e in retrying] == [
        ("sync.retrying", n, 4) for n in (1, 2, 3)
    ]
    assert event.type == "sync.failed" and event.data["reason"] == "cf_unavailable"
    assert "verdict" not in event.data


def test_a_judge_that_always_answers_503_ends_in_cf_unavailable_after_three_retries(
    db, redis_client, fake_cf, make_worker, enqueue
):
    """An outage opens the circuit (the judge is protected) but each retry still uses an attempt, also
    when it finds the circuit open and makes no call: the player hears cf_unavailable after 5, 10, 20 s."""
    load(db, room_fixture())
    request_id = enqueue()
    fake_cf.inject("http503", times=100)
    worker = make_worker(
        circuit_seconds=30,
        policy=Policy(retry_base_seconds=5.0, max_attempts=4, recheck_seconds=0.0, deadline_seconds=300),
    )
    for expected_attempts in (1, 2, 3):
        assert worker.process([request_id], new_run_id()).outcomes == {"retry": 1}
        row = request_row(db, request_id)
        assert (row.status, row.attempts, row.reason) == ("queued", expected_attempts, "cf_unavailable")
        make_due(db, request_id)
    assert worker.process([request_id], new_run_id()).outcomes == {"dead": 1}
    assert len(fake_cf.calls_for("user.status")) == 1  # the open circuit kept every retry off the judge
    row = request_row(db, request_id)
    assert (row.status, row.reason, row.attempts) == ("dead", "cf_unavailable", 4)
    assert [e.type for e in stream(redis_client)] == ["sync.retrying"] * 3 + ["sync.failed"]


def test_a_rate_limited_request_still_answers_within_the_deadline(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture())
    request_id = enqueue()
    fake_cf.inject("http429", times=100)
    worker = make_worker(
        policy=Policy(retry_base_seconds=0.0, max_attempts=4, recheck_seconds=0.0, deadline_seconds=300)
    )
    assert worker.process([request_id], new_run_id()).outcomes == {"rate_limited": 1}
    with db.begin() as conn:  # five minutes later, still rate limited
        conn.execute(
            sync_requests.update()
            .where(sync_requests.c.id == request_id)
            .values(created_at=sa.func.now() - timedelta(minutes=5), next_attempt_at=sa.func.now())
        )
    redis_client.delete(*redis_client.keys("cf:circuit*"))
    assert worker.process([request_id], new_run_id()).outcomes == {"dead": 1}
    row = request_row(db, request_id)
    assert (row.status, row.reason, row.attempts) == ("dead", "cf_unavailable", 0)


def test_unparseable_body_is_logged_at_error_with_method_and_excerpt(db, fake_cf, make_worker, enqueue, caplog):
    load(db, room_fixture())
    request_id = enqueue()
    fake_cf.inject("garbage")

    with caplog.at_level(logging.ERROR, logger="contest_pipelines.clients.codeforces"):
        make_worker().process([request_id], new_run_id())

    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "user.status" in record.getMessage() and "temporarily unavailable" in record.getMessage().lower()
    assert request_row(db, request_id).attempts == 1


def test_timeout_uses_an_attempt(db, fake_cf, make_worker, enqueue):
    load(db, room_fixture())
    request_id = enqueue()
    fake_cf.inject("timeout")

    make_worker(timeout_seconds=0.3).process([request_id], new_run_id())

    row = request_row(db, request_id)
    assert (row.status, row.attempts) == ("queued", 1) and "timed out" in row.detail


def test_one_call_per_distinct_handle(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture(players={"u1": "tourist", "u2": "Petr", "u3": "TOURIST"}))
    created = int(time.time()) - 600
    fake_cf.add_submission("tourist", "1843A", "OK", created=created)
    fake_cf.add_submission("Petr", "1843B", "OK", created=created)
    ids = [enqueue("u1", "1843A"), enqueue("u1", "1843B"), enqueue("u2", "1843B"), enqueue("u3", "1843B")]

    report = make_worker().process(ids, new_run_id())

    assert report.api_calls == 2 and report.handles == 2
    assert report.outcomes == {"detected": 2, "failed_invalid": 2}
    assert sorted(r.user_id for r in detection_rows(db)) == ["u1", "u2"]


def test_a_solve_is_credited_once_even_when_synced_twice(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture())
    sub = fake_cf.add_submission("tourist", "1843A", "OK", created=int(time.time()) - 600)
    first, second = enqueue(), enqueue()

    make_worker().process([first], new_run_id())
    make_worker().process([second], new_run_id())

    assert len(detection_rows(db)) == 1
    assert request_row(db, second).status == "detected"
    assert [e.data["cfSubmissionId"] for e in stream(redis_client)] == [sub["id"], sub["id"]]


def test_a_team_submission_is_credited_to_one_member_per_room(db, redis_client, fake_cf, make_worker, enqueue):
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    fake_cf.add_submission(["tourist", "petr"], "1843A", "OK", created=int(time.time()) - 600, team_name="tp")
    first = enqueue("u1")
    make_worker().process([first], new_run_id())
    second = enqueue("u2")
    make_worker().process([second], new_run_id())

    assert request_row(db, first).status == "detected"
    row = request_row(db, second)
    assert (row.status, row.reason) == ("failed", "invalid") and "already credited" in row.detail
    assert [d.user_id for d in detection_rows(db)] == ["u1"]


def test_two_runs_racing_for_the_same_requests_process_each_once(db, redis_client, fake_cf, make_worker, enqueue):
    handles = {f"u{i}": f"handle{i}" for i in range(12)}
    load(db, room_fixture(players=handles))
    for handle in handles.values():
        fake_cf.add_submission(handle, "1843A", "OK", created=int(time.time()) - 600)
    ids = [enqueue(u) for u in handles]
    reports = []

    def run():
        reports.append(make_worker().process(ids, new_run_id()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(r.requests for r in reports) == len(ids)
    assert sum(r.outcomes["detected"] for r in reports) == len(ids)
    assert len(detection_rows(db)) == len(ids)
    for user in handles:
        assert [e.type for e in stream(redis_client, user)] == ["sync.detected"]
    assert len(fake_cf.calls_for("user.status")) == len(ids)


def test_calls_are_paced_across_clients(db, fake_cf, make_client):
    fake_cf.add_user("tourist")
    clients = [make_client(min_interval_seconds=0.25) for _ in range(2)]
    threads = [threading.Thread(target=lambda c=c: [c.user_status("tourist") for _ in range(3)]) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    arrivals = sorted(c.at for c in fake_cf.calls_for("user.status"))
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(arrivals) == 6 and min(gaps) >= 0.2  # the slot is 0.25 s; arrival jitter is small


def test_requests_queued_after_dispatch_ride_on_the_same_call_for_their_handle(
    db, redis_client, fake_cf, make_worker, enqueue
):
    load(db, room_fixture())
    created = int(time.time()) - 600
    fake_cf.add_submission("tourist", "1843A", "OK", created=created)
    fake_cf.add_submission("tourist", "1843B", "OK", created=created)
    dispatched = enqueue("u1", "1843A")
    arrived_later = enqueue("u1", "1843B")  # not in the run's batch

    report = make_worker().process([dispatched], new_run_id())

    assert report.requests == 2 and report.api_calls == 1 and report.outcomes == {"detected": 2}
    assert request_row(db, arrived_later).status == "detected"


def test_a_detection_moves_the_live_room_board(db, redis_client, fake_cf, make_worker, enqueue):
    from contest_pipelines import scoreboards

    load(db, room_fixture(players={"u1": "tourist", "u2": "petr"}))
    before = scoreboards.read(db, redis_client, "room", "room-1")
    assert [(r.user_id, r.points) for r in before.rows] == [("u1", 0), ("u2", 0)]
    fake_cf.add_submission("petr", "1843B", "OK", created=int(time.time()) - 600)

    make_worker().process([enqueue("u2", "1843B")], new_run_id())

    with db.connect() as conn:  # updated in place to the detection's version, not rebuilt
        assert redis_client.get("board:room:room-1:built") == str(current_version(conn, "room", "room-1"))
    after = scoreboards.read(db, redis_client, "room", "room-1")
    assert after.source == "redis" and [(r.rank, r.user_id, r.points) for r in after.rows] == [
        (1, "u2", 200),
        (2, "u1", 0),
    ]
