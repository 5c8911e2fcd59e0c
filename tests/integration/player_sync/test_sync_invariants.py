"""Property: whatever the judge answers, in any order, every request ends in exactly one final state,
its player hears exactly one final event, and no solve is credited twice."""

import time

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest_pipelines import events
from contest_pipelines.db.tables import detections, sync_requests
from tests.factories import load, room_fixture
from tests.integration.conftest import new_run_id

FAULTS = ["http503", "http429", "http500", "garbage", "timeout"]
FINAL = {"detected", "failed", "dead"}

scenario = st.fixed_dictionaries(
    {
        # per player: the verdict history of their submission on 1843A (None = no submission)
        "verdicts": st.lists(
            st.sampled_from(
                [None, ["OK"], ["WRONG_ANSWER"], ["TESTING", "OK"], ["TESTING", "WRONG_ANSWER"], [None, "OK"]]
            ),
            min_size=1,
            max_size=4,
        ),
        "faults": st.lists(st.sampled_from(FAULTS), max_size=5),
        "duplicate_syncs": st.integers(0, 2),
    }
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=scenario)
def test_every_request_settles_once(db, redis_client, fake_cf, make_worker, enqueue, case):
    db_reset(db, redis_client, fake_cf)
    players = {f"u{i}": f"h{i}" for i in range(len(case["verdicts"]))}
    load(db, room_fixture(players=players))
    subs = {}
    for (user, handle), history in zip(players.items(), case["verdicts"]):
        if history:
            subs[user] = (
                fake_cf.add_submission(handle, "1843A", history[0], created=int(time.time()) - 600),
                history[1:],
            )
    ids = [enqueue(u) for u in players] + [enqueue("u0") for _ in range(case["duplicate_syncs"])]
    for fault in case["faults"]:
        fake_cf.inject(fault)
    worker = make_worker(circuit_seconds=1, timeout_seconds=0.2)
    fake_cf.timeout_delay = 0.4

    for _ in range(40):
        with db.begin() as conn:  # time travel: whatever waits (backoff, circuit, re-check) is due now
            conn.execute(
                sync_requests.update().where(sync_requests.c.status == "queued").values(next_attempt_at=sa.func.now())
            )
            pending = conn.execute(sa.select(sa.func.count()).where(sync_requests.c.status.notin_(FINAL))).scalar_one()
        if not pending:
            break
        redis_client.delete(*redis_client.keys("cf:circuit*") or ["-"])
        worker.process(ids, new_run_id())
        for user, (sub, rest) in list(subs.items()):  # the judge moves on between polls
            if rest:
                fake_cf.set_verdict(sub["id"], rest[0])
                subs[user] = (sub, rest[1:])

    with db.connect() as conn:
        rows = conn.execute(sa.select(sync_requests)).all()
        credited = conn.execute(sa.select(detections.c.user_id, detections.c.problem_id)).all()
    assert {r.status for r in rows} <= FINAL
    assert len(credited) == len(set(credited))
    for user in players:
        finals = [
            e for e in events.read_since(redis_client, user) if e.type in (events.SYNC_DETECTED, events.SYNC_FAILED)
        ]
        assert len(finals) == sum(1 for r in rows if r.user_id == user)
        detected = {r.id for r in rows if r.user_id == user and r.status == "detected"}
        assert bool(detected) == ((user, "1843A") in credited)


def db_reset(db, redis_client, fake_cf):
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "TRUNCATE detections, sync_requests, room_members, room_problems, rooms, team_members, teams, players"
                " CASCADE"
            )
        )
    redis_client.flushdb()
    fake_cf.reset()
