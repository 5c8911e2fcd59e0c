"""The code location loads, and every definition keeps the name that cursors, partitions and run history use."""

import dagster as dg

from contest_pipelines.definitions import defs
from contest_pipelines.sensors.sync_request_sensor import sync_request_sensor


def test_definitions_load_and_name_every_definition(env):
    repo = defs().get_repository_def()
    assert {s.name for s in repo.sensor_defs} == {
        "sync_request_sensor",
        "sync_run_failure_sensor",
        "room_status_sensor",
        "match_ended_sensor",
        "roster_change_sensor",
        "onboarding_request_sensor",
    }
    assert {s.name for s in repo.schedule_defs} == {
        "game_platform_sync_schedule",
        "totals_sweep_schedule",
        "cleanup_schedule",
    }
    assert {
        "cf_sync_job",
        "room_status_job",
        "game_platform_sync_job",
        "totals_sweep_job",
        "roster_sync_job",
        "onboarding_job",
        "cleanup_job",
    } <= {j.name for j in repo.get_all_jobs()}
    assert set(repo.assets_defs_by_key) == {
        dg.AssetKey("settlement_ledger"),
        dg.AssetKey("challenge_solves"),
        dg.AssetKey("player_totals"),
    }
    assert repo.assets_defs_by_key[dg.AssetKey("settlement_ledger")].partitions_def.name == "rooms"
    assert set(defs().resources) == {"sync_queue", "postgres", "redis", "match_provider", "game_platform", "codeforces"}
    assert sync_request_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sync_request_sensor.minimum_interval_seconds == 2
