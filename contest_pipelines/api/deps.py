"""Dependency aliases for the routes: settings, database engine, Redis clients, the current user."""

from functools import lru_cache
from typing import Annotated

import redis
import redis.asyncio as aioredis
import sqlalchemy as sa
from fastapi import Depends, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contest_pipelines.api.auth import InvalidToken, decode_stream_token, decode_token, is_admin
from contest_pipelines.clients.dagster_webserver import DagsterWebserverClient
from contest_pipelines.db.engine import get_engine
from contest_pipelines.settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]
bearer = HTTPBearer(auto_error=False)
# The code location's name in workspace.yaml (the push path names the job inside it).
CODE_LOCATION = "contest_pipelines"
# The SSE route blocks on XREAD this long; the socket timeout must outlast it.
SSE_BLOCK_SECONDS = 10


def _redis_url(settings: Settings) -> str:
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set (run through `contest-pipelines dev` for the embedded default)")
    return settings.redis_url


@lru_cache(maxsize=2)
def _webserver_client(url: str) -> DagsterWebserverClient:
    return DagsterWebserverClient(url, location=CODE_LOCATION)


def sync_launcher(settings: SettingsDep) -> DagsterWebserverClient | None:
    """The Dagster webserver the push path launches runs through; None when it is not configured."""
    return _webserver_client(settings.dagster_webserver_url) if settings.dagster_webserver_url else None


@lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


def db_engine(settings: SettingsDep) -> sa.Engine:
    return get_engine(settings.sqlalchemy_database_url)


def redis_client(settings: SettingsDep) -> redis.Redis:
    return _redis_client(_redis_url(settings))


def async_redis_client(settings: SettingsDep) -> aioredis.Redis:
    # One per request: the blocking XREAD of a stream holds its connection for the whole stream.
    return aioredis.Redis.from_url(_redis_url(settings), decode_responses=True, socket_timeout=SSE_BLOCK_SECONDS + 5)


def current_user(settings: SettingsDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    if creds is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        return decode_token(settings.api_jwt_secret.get_secret_value(), creds.credentials)["sub"]
    except InvalidToken as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}
        ) from exc


def stream_reader(
    settings: SettingsDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    stream_token: Annotated[
        str | None,
        Query(alias="streamToken", description="a stream token from POST /api/events/stream-token (for EventSource)"),
    ] = None,
) -> str:
    """Whose event stream this is: a stream token in the query (what a browser's EventSource can send)
    or the player's bearer JWT."""
    if stream_token is None:
        return current_user(settings, creds)
    try:
        return decode_stream_token(settings.api_jwt_secret.get_secret_value(), stream_token)
    except InvalidToken as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"invalid stream token: {exc}") from exc


def require_admin(
    settings: SettingsDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    if creds is None or not is_admin(
        settings.api_jwt_secret.get_secret_value(), settings.admin_token.get_secret_value(), creds.credentials
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "admin token required", headers={"WWW-Authenticate": "Bearer"}
        )


DbEngine = Annotated[sa.Engine, Depends(db_engine)]
RedisDep = Annotated[redis.Redis, Depends(redis_client)]
AsyncRedisDep = Annotated[aioredis.Redis, Depends(async_redis_client)]
CurrentUser = Annotated[str, Depends(current_user)]
SyncLauncher = Annotated[DagsterWebserverClient | None, Depends(sync_launcher)]
StreamReader = Annotated[str, Depends(stream_reader)]
AdminOnly = Depends(require_admin)
