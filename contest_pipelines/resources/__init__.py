"""Dagster resources: typed wrappers around PostgreSQL, Redis and the external API clients."""

from contest_pipelines.resources.alerts import AlertWebhookResource
from contest_pipelines.resources.codeforces import CodeforcesResource
from contest_pipelines.resources.game_platform import GamePlatformResource
from contest_pipelines.resources.google_calendar import GoogleCalendarResource
from contest_pipelines.resources.judges import JudgesResource
from contest_pipelines.resources.match_provider import MatchProviderResource
from contest_pipelines.resources.postgres import PostgresResource
from contest_pipelines.resources.redis import RedisResource
from contest_pipelines.resources.sync_queue import SyncQueueResource

__all__ = [
    "AlertWebhookResource",
    "CodeforcesResource",
    "GamePlatformResource",
    "GoogleCalendarResource",
    "JudgesResource",
    "MatchProviderResource",
    "PostgresResource",
    "RedisResource",
    "SyncQueueResource",
]
