"""The board page cache of one API process.

Pages are rendered once and shared: for BOARD_CACHE_SECONDS (1 s) every request for the same page
in this API process gets the same bytes, and concurrent misses of one page wait for one render
(async-lru coalesces them), so a popular board costs one Redis read per second per process, not one
per request. A page is at most that much older than the board; an admin rebuild forgets the pages,
and players learn of a settlement from its event, not by polling faster.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

import redis
import sqlalchemy as sa
from async_lru import alru_cache
from fastapi import FastAPI, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from contest_pipelines import scoreboards
from contest_pipelines.settings import Settings


class BoardRow(BaseModel):
    rank: int
    userId: str | None = None
    teamId: str | None = None
    points: int
    lastScoredAt: datetime | None


class BoardPage(BaseModel):
    scope: str
    scopeId: str
    ranking: str
    total: int
    offset: int
    source: str
    rows: list[BoardRow]


# (engine, redis, scope, scope_id, limit, offset, around, by_team) -> the page's JSON bytes. The engine
# and the Redis client are arguments, so dependency overrides reach them; they are per-process
# singletons, so they do not split the cache.
PageRenderer = Callable[[sa.Engine, redis.Redis, str, str, int, int, str | None, bool], Awaitable[bytes]]


def _page(
    engine, r, scope: str, scope_id: str, limit: int, offset: int, around: str | None, by_team: bool
) -> BoardPage:
    try:
        if by_team:
            board = scoreboards.read_teams(engine, scope_id, limit=limit, offset=offset, around=around)
        else:
            board = scoreboards.read(engine, r, scope, scope_id, limit=limit, offset=offset, around=around)
    except scoreboards.BoardNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    if by_team:
        rows = [
            BoardRow(rank=x.rank, teamId=x.user_id, points=x.points, lastScoredAt=x.last_scored_at) for x in board.rows
        ]
    else:
        teams = scoreboards.room_teams(engine, scope_id, [x.user_id for x in board.rows]) if scope == "room" else {}
        rows = [
            BoardRow(
                rank=x.rank,
                userId=x.user_id,
                teamId=teams.get(x.user_id),
                points=x.points,
                lastScoredAt=x.last_scored_at,
            )
            for x in board.rows
        ]
    return BoardPage(
        scope=scope,
        scopeId=scope_id,
        ranking=board.ranking,
        total=board.total,
        source=board.source,
        offset=board.offset,
        rows=rows,
    )


def page_renderer(settings: Settings) -> PageRenderer:
    """The page function of one app: cached for `board_cache_seconds` when that is above 0."""

    async def render(
        engine, r, scope: str, scope_id: str, limit: int, offset: int, around: str | None, by_team: bool
    ) -> bytes:
        def build() -> bytes:
            return _page(engine, r, scope, scope_id, limit, offset, around, by_team).model_dump_json().encode()

        return await run_in_threadpool(build)

    if settings.board_cache_seconds <= 0:
        return render
    return alru_cache(maxsize=settings.board_cache_pages, ttl=settings.board_cache_seconds)(render)


def forget_pages(app: FastAPI) -> None:
    """Drop this process's cached pages (after an admin rebuild, say)."""
    if hasattr(app.state.board_pages, "cache_clear"):
        app.state.board_pages.cache_clear()


def cache_control(settings: Settings) -> str:
    """A reverse proxy or CDN in front may share a page for as long as one API process does."""
    max_age = int(settings.board_cache_seconds)
    return f"public, max-age={max_age}" if max_age else "no-cache"
