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
        "calendar_push_sensor",
        "alert_sensor",
    }
    assert {s.name for s in repo.schedule_defs} == {
        "game_platform_sync_schedule",
        "totals_sweep_schedule",
        "cleanup_schedule",
        "upcoming_contests_schedule",
        "calendar_prune_schedule",
        "calendar_push_schedule",
        "oauth_state_purge_schedule",
        "achievements_schedule",
        "slo_checks_schedule",
    }
    assert {
        "cf_sync_job",
        "room_status_job",
        "game_platform_sync_job",
        "totals_sweep_job",
        "roster_sync_job",
        "onboarding_job",
        "cleanup_job",
        "upcoming_contests_job",
        "calendar_prune_job",
        "calendar_push_job",
        "oauth_state_purge_job",
        "achievements_job",
        "slo_checks_job",
    } <= {j.name for j in repo.get_all_jobs()}
    checks = {f"{k.asset_key.to_user_string()}/{k.name}" for k in repo.asset_graph.asset_check_keys}
    assert {"sync_requests/oldest_waiting_request", "sync_requests/no_dead_letters",
            "game_platform_sync_state/synced_within_tier", "settlement_ledger/rooms_settled_within_5_minutes",
            "upcoming_contests/contest_lists_fresh",
            "room_scoreboards/projection_matches_postgres"} <= checks  # fmt: skip
    assert set(repo.assets_defs_by_key) == {
        dg.AssetKey("settlement_ledger"),
        dg.AssetKey("challenge_solves"),
        dg.AssetKey("player_totals"),
        dg.AssetKey("upcoming_contests"),
        *(dg.AssetKey(k) for k in ("room_scoreboards", "tournament_scoreboards", "league_scoreboards", "sync_requests",
                                   "verified_solves", "game_platform_sync_state", "calendar_pushes")),
        *(dg.AssetKey(f"achievement_{a}") for a in
          ("first_verified_solve", "first_ctf_solve", "solves_10", "solves_100", "solves_1000", "streak_7",
           "streak_30", "category_specialist", "flash_ctf_participant", "room_winner", "weekly_top10",
           "profile_complete", "solve_rollup")),
    }  # fmt: skip
    assert repo.assets_defs_by_key[dg.AssetKey("upcoming_contests")].partitions_def.get_partition_keys() == [
        "codeforces", "leetcode", "codechef", "atcoder", "hackerrank", "geeksforgeeks", "code360"]  # fmt: skip
    assert repo.assets_defs_by_key[dg.AssetKey("settlement_ledger")].partitions_def.name == "rooms"
    assert set(defs().resources) == {
        "sync_queue", "postgres", "redis", "match_provider", "game_platform", "codeforces", "judges",
        "google_calendar", "alert_webhook"}  # fmt: skip
    assert repo.get_job("cf_sync_job").tags["contest_pipelines/codeforces"] == "true"
    assert sync_request_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sync_request_sensor.minimum_interval_seconds == 2


def test_endpoints_and_secrets_are_read_at_run_time(env, monkeypatch):
    from contest_pipelines.definitions import build_resources
    from contest_pipelines.settings import Settings

    monkeypatch.setenv("MATCH_PROVIDER_URL", "http://provider.test")
    monkeypatch.setenv("GAME_PLATFORM_API_URL", "http://platform.test")
    monkeypatch.setenv("GAME_PLATFORM_API_TOKEN", "s3cret-token")
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "https://hooks.slack.test/services/T0/B0/s3cret")
    resources = build_resources(Settings())
    assert "s3cret" not in repr(resources["alert_webhook"])  # the UI shows the variable, never the URL
    monkeypatch.setenv("MATCH_PROVIDER_URL", "http://moved.test")  # after load, before the run
    with dg.build_resources(
        {k: resources[k] for k in ("match_provider", "game_platform", "codeforces", "alert_webhook")}
    ) as built:
        assert built.alert_webhook.configured
        assert built.match_provider.base_url == "http://moved.test"
        assert built.game_platform.configured and built.game_platform.token == "s3cret-token"
        assert built.codeforces.base_url == "https://codeforces.com/api"  # unset: the real API


def test_unset_integrations_stay_unconfigured(env, monkeypatch):
    from contest_pipelines.definitions import build_resources
    from contest_pipelines.settings import Settings

    for name in ("MATCH_PROVIDER_URL", "GAME_PLATFORM_API_URL", "GAME_PLATFORM_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    resources = build_resources(Settings(_env_file=None))
    with dg.build_resources({k: resources[k] for k in ("match_provider", "game_platform")}) as built:
        assert not built.match_provider.configured and not built.game_platform.configured


def test_the_worker_caps_event_streams_as_configured(env, monkeypatch):
    from contest_pipelines.definitions import build_resources
    from contest_pipelines.settings import Settings

    monkeypatch.setenv("EVENTS_STREAM_MAXLEN", "250")
    assert build_resources(Settings())["sync_queue"].policy().stream_maxlen == 250


def test_judge_hosts_are_read_at_run_time(env, monkeypatch):
    from contest_pipelines.definitions import build_resources
    from contest_pipelines.settings import Settings

    monkeypatch.setenv("ATCODER_URL", "http://atcoder.test")
    resources = build_resources(Settings())
    monkeypatch.setenv("ATCODER_URL", "http://moved.test")
    with dg.build_resources({"judges": resources["judges"]}) as built:
        assert built.judges.atcoder_url == "http://moved.test"
        assert built.judges.leetcode_url == "https://leetcode.com"  # unset: the real site
