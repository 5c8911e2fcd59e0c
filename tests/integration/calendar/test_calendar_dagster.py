"""`upcoming_contests` and its schedule, run through Dagster against the fake judges and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from contest_pipelines.assets.upcoming_contests import upcoming_contests
from contest_pipelines.calendar.constants import COUNT_CHECK
from contest_pipelines.db.tables import judge_contests, judge_fetches
from contest_pipelines.resources import CodeforcesResource, JudgesResource, PostgresResource
from contest_pipelines.schedules.upcoming_contests_schedule import upcoming_contests_schedule
from contest_pipelines.settings import REAL_JUDGE_URLS


@pytest.fixture
def resources(env, db, fake_judges) -> dict:
    codeforces = CodeforcesResource(
        base_url=fake_judges.base_url_for("codeforces"), redis_url=env["REDIS_URL"], min_interval_seconds=0
    )
    urls = {f"{judge}_url": fake_judges.base_url_for(judge) for judge in REAL_JUDGE_URLS}
    return {
        "postgres": PostgresResource(database_url=env["DATABASE_URL"]),
        "judges": JudgesResource(codeforces=codeforces, **urls),
    }


def materialize(resources: dict, judge: str) -> dg.ExecuteInProcessResult:
    return dg.materialize([upcoming_contests], partition_key=judge, resources=resources, raise_on_error=False)


def stored(db, judge: str) -> dict[str, sa.Row]:
    with db.connect() as conn:
        return {r.key: r for r in conn.execute(sa.select(judge_contests).where(judge_contests.c.judge == judge))}


def test_a_partition_stores_its_judges_contests_with_metadata_and_a_passing_check(resources, db, fake_judges):
    result = materialize(resources, "atcoder")
    assert result.success
    metadata = result.asset_materializations_for_node("upcoming_contests")[0].metadata
    rows = stored(db, "atcoder")
    assert metadata["inserted"].value == len(rows) >= 2 and metadata["removed"].value == 0
    assert rows["ahc074"].end_at - rows["ahc074"].start_at == timedelta(hours=240)
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == COUNT_CHECK and check.passed
    again = materialize(resources, "atcoder").asset_materializations_for_node("upcoming_contests")[0].metadata
    assert (again["inserted"].value, again["changed"].value, again["unchanged"].value) == (0, 0, len(rows))


def test_a_judge_that_fails_fails_only_its_partition_with_the_reason_and_keeps_its_contests(resources, db, fake_judges):
    assert materialize(resources, "leetcode").success
    before = stored(db, "leetcode")
    fake_judges.fail("leetcode", "layout", times=5)
    failed = materialize(resources, "leetcode")
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "fetching leetcode's contests failed: unexpected payload" in failure.event_specific_data.error.message
    assert stored(db, "leetcode") == before
    with db.connect() as conn:
        last = conn.execute(sa.select(judge_fetches).order_by(judge_fetches.c.id.desc()).limit(1)).one()
    assert not last.ok and "unexpected payload" in last.error
    assert materialize(resources, "codeforces").success  # the other judges are not touched


def test_a_moved_contest_is_a_change_and_a_far_shorter_list_fails_the_check_without_cancelling(
    resources, db, fake_judges
):
    assert materialize(resources, "codechef").success
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    fake_judges.move_contest("codechef", "START251", start)
    moved = materialize(resources, "codechef")
    assert moved.asset_materializations_for_node("upcoming_contests")[0].metadata["changed"].value == 1
    assert stored(db, "codechef")["START251"].sequence == 1
    with db.begin() as conn:  # this judge usually lists 12 upcoming contests
        conn.execute(judge_fetches.insert(), [
            {"judge": "codechef", "ok": True, "upcoming": 12, "fetched_at": datetime.now(UTC) - timedelta(hours=h)}
            for h in range(1, 10)])  # fmt: skip
    fake_judges.set_contests("codechef", [])
    collapsed = materialize(resources, "codechef")
    assert collapsed.success
    [check] = collapsed.get_asset_check_evaluations()
    assert not check.passed and "usually lists 12" in check.description
    assert all(r.missing_since is None and r.removed_at is None for r in stored(db, "codechef").values())


def test_the_schedule_refreshes_every_judge_hourly_and_soon_starting_judges_every_ten_minutes(resources, db):
    hour = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with dg.build_schedule_context(scheduled_execution_time=hour, resources=resources) as context:
        requests = upcoming_contests_schedule(context)
    assert sorted(r.partition_key for r in requests) == sorted(
        ["codeforces", "leetcode", "codechef", "atcoder", "hackerrank", "geeksforgeeks", "code360"]
    )
    # Only the Codeforces run counts against the one-Codeforces-run-at-a-time limit (deploy/dagster.yaml).
    assert {r.partition_key for r in requests if r.tags.get("contest_pipelines/codeforces")} == {"codeforces"}
    with dg.build_schedule_context(scheduled_execution_time=hour + timedelta(minutes=20), resources=resources) as ctx:
        assert isinstance(upcoming_contests_schedule(ctx), dg.SkipReason)
    with db.begin() as conn:
        conn.execute(judge_contests.insert().values(judge="hackerrank", key="1", title="HourRank", url="u",
                                                    start_at=hour + timedelta(minutes=50),
                                                    end_at=hour + timedelta(hours=2)))  # fmt: skip
    with dg.build_schedule_context(scheduled_execution_time=hour + timedelta(minutes=20), resources=resources) as ctx:
        [request] = upcoming_contests_schedule(ctx)
    assert request.partition_key == "hackerrank" and request.run_key == "hackerrank:2026-12-01T12:20:00+00:00"
