"""Scoreboards: GET /api/rooms/{roomId}/scoreboard and GET /api/scoreboards/{scope}/{scopeId}.

Pages are rendered once and shared: for BOARD_CACHE_SECONDS (1 s) every request for the same page
in this API process gets the same bytes, and concurrent misses of one page wait for one render
(async-lru coalesces them), so a popular board costs one Redis read per second per process, not one
per request. A page is at most that much older than the board; an admin rebuild answers from the
source, and players learn of a settlement from its event, not by polling faster.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Literal

from async_lru import alru_cache
from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from contest_pipelines import scoreboards
from contest_pipelines.api.deps import db_engine, redis_client
from contest_pipelines.api.schemas import ErrorBody
from contest_pipelines.settings import Settings

router = APIRouter(prefix="/api", tags=["scoreboards"])


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


Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]
Around = Annotated[str | None, Query(description="a user id: the page centred on that player")]


def _page(
    engine, r, scope: str, scope_id: str, limit: int, offset: int, around: str | None, by_team: bool = False
) -> BoardPage:
    try:
        if by_team:
            board = scoreboards.read_teams(engine, scope_id, limit=limit, offset=offset)
        else:
            board = scoreboards.read(engine, r, scope, scope_id, limit=limit, offset=offset, around=around)
    except scoreboards.BoardNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    key = "teamId" if by_team else "userId"
    return BoardPage(
        scope=scope,
        scopeId=scope_id,
        ranking=board.ranking,
        total=board.total,
        source=board.source,
        offset=board.offset,
        rows=[
            BoardRow(rank=x.rank, points=x.points, lastScoredAt=x.last_scored_at, **{key: x.user_id})
            for x in board.rows
        ],
    )


PageRenderer = Callable[[str, str, int, int, str | None, bool], Awaitable[bytes]]


def page_renderer(settings: Settings) -> PageRenderer:
    """The page function of one app: cached for `board_cache_seconds` when that is above 0."""

    async def render(scope: str, scope_id: str, limit: int, offset: int, around: str | None, by_team: bool) -> bytes:
        def build() -> bytes:
            page = _page(db_engine(settings), redis_client(settings), scope, scope_id, limit, offset, around, by_team)
            return page.model_dump_json().encode()

        return await run_in_threadpool(build)

    if settings.board_cache_seconds <= 0:
        return render
    return alru_cache(maxsize=settings.board_cache_pages, ttl=settings.board_cache_seconds)(render)


def forget_pages(request: Request) -> None:
    """Drop this process's cached pages (after an admin rebuild, say)."""
    if hasattr(request.app.state.board_pages, "cache_clear"):
        request.app.state.board_pages.cache_clear()


async def _respond(request: Request, *key) -> Response:
    body = await request.app.state.board_pages(*key)
    return Response(
        body, media_type="application/json", headers={"Cache-Control": request.app.state.board_cache_control}
    )


def cache_control(settings: Settings) -> str:
    """A reverse proxy or CDN in front may share a page for as long as one API process does."""
    max_age = int(settings.board_cache_seconds)
    return f"public, max-age={max_age}" if max_age else "no-cache"


@router.get("/rooms/{room_id}/scoreboard", response_model=BoardPage, responses={404: {"model": ErrorBody}})
async def room_scoreboard(
    request: Request,
    room_id: str,
    limit: Limit = 100,
    offset: Offset = 0,
    around: Around = None,
    by: Annotated[Literal["player", "team"], Query(description="rank players, or teams (sum of members)")] = "player",
) -> Response:
    """The live board of a room: every member (or team), ranked ordinally (1, 2, 3, 4)."""
    if by == "team" and around is not None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "around is for player boards")
    return await _respond(request, "room", room_id, limit, offset, around, by == "team")


@router.get("/scoreboards/{scope}/{scope_id}", response_model=BoardPage, responses={404: {"model": ErrorBody}})
async def scope_scoreboard(
    request: Request,
    scope: Literal["tournament", "league"],
    scope_id: str,
    limit: Limit = 100,
    offset: Offset = 0,
    around: Around = None,
) -> Response:
    """Tournament (competition ranks 1, 2, 2, 4) or league (dense ranks 1, 2, 2, 3) standings."""
    return await _respond(request, scope, scope_id, limit, offset, around, False)
