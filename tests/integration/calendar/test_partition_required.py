"""A partitioned asset launched without a partition (UI or CLI) fails with what to choose, not Dagster's raw error."""

import dagster as dg
import pytest

from contest_pipelines.assets.upcoming_contests import upcoming_contests
from contest_pipelines.jobs.upcoming_contests_job import upcoming_contests_job
from contest_pipelines.partitions import SOLVE_DAY_HINT, partition_key_or_fail, solve_days
from contest_pipelines.resources import CodeforcesResource, JudgesResource, PostgresResource

RAW_ERROR = "Cannot access partition_key"
JUDGES_LISTED = "choose a judge partition: codeforces, leetcode, codechef, atcoder, hackerrank, geeksforgeeks, code360"


@pytest.fixture
def resources(env, db, fake_judges) -> dict:
    codeforces = CodeforcesResource(
        base_url=fake_judges.base_url_for("codeforces"), redis_url=env["REDIS_URL"], min_interval_seconds=0
    )
    return {
        "postgres": PostgresResource(database_url=env["DATABASE_URL"]),
        "judges": JudgesResource(codeforces=codeforces, codeforces_url=fake_judges.base_url_for("codeforces")),
    }


def failure(result: dg.ExecuteInProcessResult) -> tuple[str, int]:
    """(the step failure's description, how many times the step ran)."""
    assert not result.success
    [event] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    data = event.step_failure_data
    assert data.user_failure_data is not None and RAW_ERROR not in data.error.message
    starts = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START]
    return data.user_failure_data.description, len(starts)


def test_upcoming_contests_without_a_partition_names_the_judges(resources, fake_judges):
    description, runs = failure(dg.materialize([upcoming_contests], resources=resources, raise_on_error=False))
    assert (
        description == f"upcoming_contests was launched without a partition; {JUDGES_LISTED} (CLI: --partition <key>)"
    )
    assert runs == 1  # not retried: its retry policy is for judges that fail, not for a missing partition
    assert fake_judges.calls == []


def test_the_job_launched_from_the_launchpad_without_a_partition_says_the_same(resources):
    job = dg.Definitions(assets=[upcoming_contests], jobs=[upcoming_contests_job], resources=resources).get_job_def(
        "upcoming_contests_job"
    )
    description, _ = failure(job.execute_in_process(raise_on_error=False))
    assert JUDGES_LISTED in description


def test_a_range_of_judges_in_one_run_is_refused_but_a_single_partition_runs(resources):
    ranged = dg.materialize(
        [upcoming_contests],
        resources=resources,
        raise_on_error=False,
        tags={"dagster/asset_partition_range_start": "codeforces", "dagster/asset_partition_range_end": "leetcode"},
    )
    description, _ = failure(ranged)
    assert description.startswith("upcoming_contests materialises one partition per run, not the range codeforces")
    assert dg.materialize([upcoming_contests], resources=resources, partition_key="codeforces").success


@dg.asset(partitions_def=solve_days)
def day_partitioned(context: dg.AssetExecutionContext) -> str:
    """A day-partitioned asset that reads its partition as challenge_solves would."""
    return partition_key_or_fail(context, SOLVE_DAY_HINT)


def test_a_day_partitioned_asset_is_told_to_choose_a_day():
    description, _ = failure(dg.materialize([day_partitioned], raise_on_error=False))
    assert description.startswith(
        "day_partitioned was launched without a partition; choose a day partition: a UTC date"
    )
    result = dg.materialize([day_partitioned], partition_key="2026-01-31")
    assert result.output_for_node("day_partitioned") == "2026-01-31"


def test_challenge_solves_without_a_partition_is_told_to_choose_a_day(env, db):
    from contest_pipelines.assets.challenge_solves import challenge_solves
    from contest_pipelines.resources import GamePlatformResource

    resources = {
        "postgres": PostgresResource(database_url=env["DATABASE_URL"]),
        "game_platform": GamePlatformResource(base_url="", token=""),
    }
    description, runs = failure(dg.materialize([challenge_solves], resources=resources, raise_on_error=False))
    assert description.startswith("challenge_solves was launched without a partition; choose a day partition")
    assert runs == 1  # not retried
