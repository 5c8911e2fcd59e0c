"""The code location: every asset, job, sensor, schedule and resource, listed explicitly."""

import dagster as dg

from contest_pipelines.assets.achievements import achievement_assets
from contest_pipelines.assets.challenge_solves import challenge_solves
from contest_pipelines.assets.data_map import data_map_specs
from contest_pipelines.assets.player_totals import player_totals
from contest_pipelines.assets.scoreboards import scoreboard_assets, scoreboard_checks
from contest_pipelines.assets.settlement_ledger import settlement_ledger
from contest_pipelines.assets.slo_checks import slo_checks
from contest_pipelines.assets.upcoming_contests import upcoming_contests
from contest_pipelines.clients import quiet_http_logs
from contest_pipelines.jobs.achievements_job import achievements_job
from contest_pipelines.jobs.calendar_prune_job import calendar_prune_job
from contest_pipelines.jobs.calendar_push_job import calendar_push_job
from contest_pipelines.jobs.cf_sync_job import cf_sync_job
from contest_pipelines.jobs.cleanup_job import cleanup_job
from contest_pipelines.jobs.game_platform_sync_job import game_platform_sync_job
from contest_pipelines.jobs.oauth_state_purge_job import oauth_state_purge_job
from contest_pipelines.jobs.onboarding_job import onboarding_job
from contest_pipelines.jobs.room_status_job import room_status_job
from contest_pipelines.jobs.roster_sync_job import roster_sync_job
from contest_pipelines.jobs.slo_checks_job import slo_checks_job
from contest_pipelines.jobs.totals_sweep_job import totals_sweep_job
from contest_pipelines.jobs.upcoming_contests_job import upcoming_contests_job
from contest_pipelines.resources import (
    AlertWebhookResource,
    CodeforcesResource,
    GamePlatformResource,
    GoogleCalendarResource,
    JudgesResource,
    MatchProviderResource,
    PostgresResource,
    RedisResource,
    SyncQueueResource,
)
from contest_pipelines.schedules.achievements_schedule import achievements_schedule
from contest_pipelines.schedules.calendar_prune_schedule import calendar_prune_schedule
from contest_pipelines.schedules.calendar_push_schedule import calendar_push_schedule
from contest_pipelines.schedules.cleanup_schedule import cleanup_schedule
from contest_pipelines.schedules.game_platform_sync_schedule import game_platform_sync_schedule
from contest_pipelines.schedules.oauth_state_purge_schedule import oauth_state_purge_schedule
from contest_pipelines.schedules.slo_checks_schedule import slo_checks_schedule
from contest_pipelines.schedules.totals_sweep_schedule import totals_sweep_schedule
from contest_pipelines.schedules.upcoming_contests_schedule import upcoming_contests_schedule
from contest_pipelines.sensors.alert_sensor import alert_sensor
from contest_pipelines.sensors.calendar_push_sensor import calendar_push_sensor
from contest_pipelines.sensors.match_ended_sensor import match_ended_sensor
from contest_pipelines.sensors.onboarding_request_sensor import onboarding_request_sensor
from contest_pipelines.sensors.room_status_sensor import room_status_sensor
from contest_pipelines.sensors.roster_change_sensor import roster_change_sensor
from contest_pipelines.sensors.sync_request_sensor import sync_request_sensor
from contest_pipelines.sensors.sync_run_failure_sensor import sync_run_failure_sensor
from contest_pipelines.settings import REAL_JUDGE_URLS, Settings


def _deployed(settings: Settings, field: str) -> str | dg.EnvVar:
    """An endpoint or secret that differs by deployment: read at run time through `dg.EnvVar` (the UI
    shows the variable's name, never its value) when it is configured, else its default ("" = unset)."""
    if field in settings.model_fields_set:
        return dg.EnvVar(field.upper())
    default = getattr(settings, field)
    return "" if default is None else str(default)


def build_resources(settings: Settings) -> dict:
    """Connection strings, endpoints and secrets are read at run time (EnvVar, hidden in the UI); tunables at load."""
    codeforces = CodeforcesResource(
        base_url=_deployed(settings, "codeforces_api_url"),
        redis_url=dg.EnvVar("REDIS_URL"),
        min_interval_seconds=settings.codeforces_min_interval_seconds,
        circuit_seconds=settings.codeforces_circuit_seconds,
        timeout_seconds=settings.codeforces_timeout_seconds,
    )
    return {
        "sync_queue": SyncQueueResource(
            database_url=dg.EnvVar("DATABASE_URL"),
            retry_base_seconds=settings.sync_retry_base_seconds,
            max_attempts=settings.sync_max_attempts,
            recheck_seconds=settings.sync_recheck_seconds,
            deadline_seconds=settings.sync_deadline_seconds,
            batch_size=settings.sync_batch_size,
            push_grace_seconds=settings.sync_push_grace_seconds,
            stream_maxlen=settings.events_stream_maxlen,
        ),
        "postgres": PostgresResource(database_url=dg.EnvVar("DATABASE_URL")),
        # Unconfigured (no ALERT_WEBHOOK_URL): the alert sensor skips and says so.
        "alert_webhook": AlertWebhookResource(
            url=_deployed(settings, "alert_webhook_url"), ui_url=_deployed(settings, "dagster_webserver_url")
        ),
        "redis": RedisResource(redis_url=dg.EnvVar("REDIS_URL")),
        "match_provider": MatchProviderResource(base_url=_deployed(settings, "match_provider_url")),
        # Unconfigured (no URL or token): its schedules and sensors skip and say why.
        "game_platform": GamePlatformResource(
            base_url=_deployed(settings, "game_platform_api_url"),
            token=_deployed(settings, "game_platform_api_token"),
        ),
        "codeforces": codeforces,
        "judges": JudgesResource(
            codeforces=codeforces,
            **{f"{name}_url": _deployed(settings, f"{name}_url") for name in REAL_JUDGE_URLS},
        ),
        # Unconfigured (no client id, secret or token keys): the push's sensor and schedule skip and say why.
        "google_calendar": GoogleCalendarResource(
            client_id=_deployed(settings, "google_client_id"),
            client_secret=_deployed(settings, "google_client_secret"),
            token_keys=_deployed(settings, "calendar_token_keys"),
            oauth_url=_deployed(settings, "google_oauth_url"),
            api_url=_deployed(settings, "google_calendar_api_url"),
        ),
    }


@dg.definitions
def defs() -> dg.Definitions:
    quiet_http_logs()
    return dg.Definitions(
        assets=[
            settlement_ledger,
            challenge_solves,
            player_totals,
            upcoming_contests,
            *achievement_assets,
            *scoreboard_assets,
            *data_map_specs,
        ],
        asset_checks=[*scoreboard_checks, *slo_checks],
        jobs=[
            cf_sync_job,
            room_status_job,
            game_platform_sync_job,
            totals_sweep_job,
            roster_sync_job,
            onboarding_job,
            cleanup_job,
            upcoming_contests_job,
            calendar_prune_job,
            calendar_push_job,
            oauth_state_purge_job,
            achievements_job,
            slo_checks_job,
        ],
        schedules=[
            game_platform_sync_schedule,
            totals_sweep_schedule,
            cleanup_schedule,
            upcoming_contests_schedule,
            calendar_prune_schedule,
            calendar_push_schedule,
            oauth_state_purge_schedule,
            achievements_schedule,
            slo_checks_schedule,
        ],
        sensors=[
            sync_request_sensor,
            sync_run_failure_sensor,
            room_status_sensor,
            match_ended_sensor,
            roster_change_sensor,
            onboarding_request_sensor,
            calendar_push_sensor,
            alert_sensor,
        ],
        resources=build_resources(Settings()),
    )
