"""The SLO checks on real data, through Dagster: each fails with a readable reason when breached and
passes otherwise (queue age, dead letters, game-platform freshness per tier, unsettled rooms, judges'
contest lists)."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from contest_pipelines.db.tables import judge_fetches, room_transitions, sync_requests, sync_state
from contest_pipelines.domain.contests import JUDGES
from tests.factories import load, prediction_fixture, room_fixture


def evaluate(env) -> dict[str, dg.AssetCheckEvaluation]:
    from contest_pipelines.definitions import defs

    result = defs().resolve_job_def("slo_checks_job").execute_in_process(raise_on_error=False)
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


def test_every_slo_passes_on_a_healthy_product(db, env):
    now = datetime.now(UTC)
    load(db, room_fixture())
    with db.begin() as conn:
        conn.execute(judge_fetches.insert(), [{"judge": j, "ok": True, "upcoming": 3} for j in JUDGES])
        conn.execute(sync_state.insert(), [
            {"syned_user_id": "g1", "activity_tier": "active", "last_odl_synced_at": now - timedelta(minutes=20)},
            {"syned_user_id": "g2", "activity_tier": "inactive", "last_odl_synced_at": now - timedelta(hours=7)},
        ])  # fmt: skip
    checks = evaluate(env)
    assert len(checks) == 5 and all(c.passed for c in checks.values()), {k: c.description for k, c in checks.items()}


def test_each_slo_fails_with_the_reason_when_breached(db, env):
    now = datetime.now(UTC)
    load(db, room_fixture())
    load(db, prediction_fixture(rooms={"p1": {"ann": (1, 0)}}))
    with db.begin() as conn:
        base = {"room_id": "room-1", "user_id": "u1", "cf_handle": "tourist"}
        conn.execute(sync_requests.insert().values(**base, problem_id="1843A", created_at=now - timedelta(minutes=12)))
        conn.execute(sync_requests.insert().values(**base, problem_id="1843B", status="dead", finished_at=now))
        conn.execute(sync_state.insert(), [
            {"syned_user_id": "g1", "activity_tier": "active", "last_odl_synced_at": now - timedelta(hours=1)},
            {"syned_user_id": "g2", "activity_tier": "moderate", "last_odl_synced_at": now - timedelta(minutes=30)},
        ])  # fmt: skip
        conn.execute(room_transitions.insert().values(room_id="p1", previous="live", current="ended",
                                                      at=now - timedelta(minutes=9)))  # fmt: skip
        conn.execute(judge_fetches.insert(), [
            {"judge": j, "ok": True, "fetched_at": now - timedelta(hours=4 if j == "atcoder" else 1)}
            for j in JUDGES])  # fmt: skip
    checks = evaluate(env)
    assert not any(c.passed for c in checks.values())
    assert checks["oldest_waiting_request"].description.startswith("oldest waiting sync request: 12 min (limit 5 min)")
    assert checks["no_dead_letters"].description.startswith("1 dead sync requests")
    assert checks["synced_within_tier"].description.endswith("1 active (> 0:30:00)")
    assert checks["synced_within_tier"].metadata["moderate_stale"].value == 0
    assert checks["rooms_settled_within_5_minutes"].description.endswith("are not settled: p1")
    assert checks["contest_lists_fresh"].description == "contest lists older than 3.0 h: atcoder (4.0 h)"


def test_a_settled_room_and_a_retried_fetch_clear_their_breaches(db, env):
    now = datetime.now(UTC)
    load(db, prediction_fixture(rooms={"p1": {"ann": (1, 0)}}))
    with db.begin() as conn:
        conn.execute(room_transitions.insert().values(room_id="p1", previous="live", current="ended",
                                                      at=now - timedelta(minutes=9)))  # fmt: skip
        conn.execute(sa.text("INSERT INTO settlement_ledger (room_id, version, idempotency_key, result_hash, status)"
                             " VALUES ('p1', 1, 'p1:v1', 'h', 'applied')"))  # fmt: skip
        conn.execute(judge_fetches.insert(), [{"judge": j, "ok": False, "error": "503"} for j in JUDGES])
    checks = evaluate(env)
    assert checks["rooms_settled_within_5_minutes"].passed
    assert (
        not checks["contest_lists_fresh"].passed
        and "codeforces (no successful fetch)" in checks["contest_lists_fresh"].description
    )
