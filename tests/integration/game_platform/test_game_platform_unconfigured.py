"""An unconfigured game platform, through Dagster: runs fail saying which setting is missing (never a
value), and schedules skip saying the same."""

from datetime import UTC, datetime

import dagster as dg
import pytest
import sqlalchemy as sa

from contest_pipelines.assets.challenge_solves import challenge_solves
from contest_pipelines.assets.player_totals import player_totals
from contest_pipelines.db.tables import sync_runs
from contest_pipelines.jobs.onboarding_job import onboarding_job
from contest_pipelines.jobs.roster_sync_job import roster_sync_job
from contest_pipelines.resources import GamePlatformResource, PostgresResource
from contest_pipelines.schedules.totals_sweep_schedule import totals_sweep_schedule

URL, TOKEN = "GAME_PLATFORM_API_URL", "GAME_PLATFORM_API_TOKEN"
TENANT_URL = "https://api.metactf.example/integrations/syned/v1/tenant-key-8c1f2a"  # its path is a secret too
SECRET_TOKEN = "gp_live_0123456789abcdef"
UNSET = {
    "both": (("", ""), [URL, TOKEN]),
    "token": ((TENANT_URL, ""), [TOKEN]),
    "url": (("", SECRET_TOKEN), [URL]),
}


def resources(database_url: str, unset: str) -> dict:
    (base_url, token), _ = UNSET[unset]
    return {
        "postgres": PostgresResource(database_url=database_url),
        "game_platform": GamePlatformResource(base_url=base_url, token=token),
    }


def assert_readable(failure: dg.Failure | None, error_message: str, unset: str) -> None:
    _, missing = UNSET[unset]
    assert failure is not None, "the run must fail with a dg.Failure, not a raw exception"
    for name in missing:
        assert name in failure.description and name in error_message
    assert failure.metadata["missing_settings"].value == ", ".join(missing)
    assert all(name not in failure.description for name in {URL, TOKEN} - set(missing))
    for secret in (TENANT_URL, "tenant-key-8c1f2a", SECRET_TOKEN):
        assert secret not in failure.description and secret not in error_message


@pytest.mark.parametrize("unset", UNSET)
@pytest.mark.parametrize("asset", [challenge_solves, player_totals], ids=lambda a: a.key.to_user_string())
def test_materialising_without_the_platform_fails_naming_the_missing_settings(db, database_url, asset, unset):
    partition = datetime.now(UTC).strftime("%Y-%m-%d") if asset is challenge_solves else None
    result = dg.materialize(
        [asset], partition_key=partition, resources=resources(database_url, unset), raise_on_error=False
    )
    assert not result.success
    failure = result.failure_data_for_node(asset.key.to_user_string())
    assert_readable(failure.user_failure_data, failure.error.message, unset)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sync_runs)).scalar_one() == 0  # nothing ran


@pytest.mark.parametrize(
    "job, op", [(onboarding_job, "onboard_pending_competitors"), (roster_sync_job, "reconcile_rosters")]
)
def test_game_platform_jobs_fail_the_same_way(db, database_url, job, op):
    result = job.execute_in_process(resources=resources(database_url, "token"), raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node(op)
    assert_readable(failure.user_failure_data, failure.error.message, "token")


def test_a_schedule_skips_naming_only_what_is_missing(database_url):
    when = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    with dg.build_schedule_context(scheduled_execution_time=when, resources=resources(database_url, "url")) as ctx:
        skip = totals_sweep_schedule(ctx).skip_message
    assert skip == f"{URL} is not set: the game platform is not synced"
