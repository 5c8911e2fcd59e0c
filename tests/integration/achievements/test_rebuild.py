"""A rebuild from the beginning, from the CLI and from the Dagster launchpad: the same state as the
incremental ticks, completed awards kept, players told once."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa
from typer.testing import CliRunner

from contest_pipelines import events
from contest_pipelines.achievements.processors import reconcile_all
from contest_pipelines.cli import app
from contest_pipelines.db.tables import achievement_progress, detections
from tests.factories import load, room_fixture

runner = CliRunner()
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def solves(db, user: str, n: int) -> None:
    with db.begin() as conn:
        conn.execute(detections.insert(), [
            {"room_id": "room-1", "user_id": user, "problem_id": f"{1800 + i}A", "cf_submission_id": 900 + i,
             "cf_timestamp": int((T0 + timedelta(days=i)).timestamp())} for i in range(n)])  # fmt: skip


def progress(db) -> list[tuple]:
    with db.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(achievement_progress).with_only_columns(
            *(achievement_progress.c[c] for c in ("achievement_id", "specifier", "current_step", "complete",
                                                  "completed_at", "amount", "detail")))))  # fmt: skip


def test_cli_rebuild_of_one_achievement_equals_the_incremental_state(env, db, redis_client):
    load(db, room_fixture(players={"u1": "tourist"}))
    solves(db, "u1", 12)
    reconcile_all(db)
    incremental = progress(db)
    with db.begin() as conn:  # drift: a row edited behind the processors' back
        conn.execute(achievement_progress.update().where(achievement_progress.c.achievement_id == "solves_100")
                     .values(current_step=1))  # fmt: skip
    result = runner.invoke(app, ["achievements", "rebuild", "solves_100", "streak_7"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [r["achievement"] for r in lines] == ["solves_100", "streak_7"] and lines[0]["players_touched"] == 1
    assert progress(db) == incremental
    # First-time awards a rebuild completes are announced once; none here, all were already complete.
    assert [e for e in events.read_since(redis_client, "u1") if e.type == events.ACHIEVEMENT_COMPLETED] == []


def test_cli_rebuild_refuses_an_unknown_achievement(env, db):
    result = runner.invoke(app, ["achievements", "rebuild", "nope"])
    assert result.exit_code == 2 and "unknown achievement nope" in result.output and "streak_7" in result.output


def test_launchpad_rebuild_option(env, db, monkeypatch):
    from contest_pipelines.achievements import rollup
    from contest_pipelines.definitions import defs

    load(db, room_fixture(players={"u1": "tourist"}))
    solves(db, "u1", 3)
    job = defs().resolve_job_def("achievements_job")
    refreshes = []
    real_refresh = rollup.refresh
    monkeypatch.setattr(rollup, "refresh", lambda *a, **k: refreshes.append(1) or real_refresh(*a, **k))
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
    assert len(refreshes) == 1  # the job's rollup asset refreshed it; its readers did not again
    ticked = progress(db)
    with db.begin() as conn:  # lost behind the processor's back: only a rebuild brings it back
        conn.execute(achievement_progress.delete().where(achievement_progress.c.achievement_id == "streak_7"))
    config = {"ops": {"achievement_streak_7": {"config": {"rebuild": True}}}}
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), run_config=config)
    assert result.success
    metadata = result.asset_materializations_for_node("achievement_streak_7")[0].metadata
    assert metadata["rows_changed"].value == 1 and metadata["players_touched"].value == 1
    assert progress(db) == ticked


def test_deactivate_and_activate_from_the_cli(env, db):
    load(db, room_fixture(players={"u1": "tourist"}))
    solves(db, "u1", 1)
    assert runner.invoke(app, ["achievements", "deactivate", "first_verified_solve"]).exit_code == 0
    [report] = reconcile_all(db, only=["first_verified_solve"])
    assert report.skipped and progress(db) == []
    assert runner.invoke(app, ["achievements", "activate", "first_verified_solve"]).exit_code == 0
    [report] = reconcile_all(db, only=["first_verified_solve"])
    assert report.completed == ["u1"]
    missing = runner.invoke(app, ["achievements", "deactivate", "nope"])
    assert missing.exit_code == 2 and "unknown achievement nope" in missing.output
