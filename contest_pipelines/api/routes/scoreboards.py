"""Scoreboards: GET /api/rooms/{roomId}/scoreboard and GET /api/scoreboards/{scope}/{scopeId}.

Pages come from this process's page cache (api/board_cache.py)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from contest_pipelines.api.board_cache import RENDERED_AT, BoardPage
from contest_pipelines.api.deps import DbEngine, RedisDep
from contest_pipelines.api.schemas import ID_PATTERN, MAX_OFFSET, IdPath, errors

router = APIRouter(prefix="/api", tags=["scoreboards"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Around = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=ID_PATTERN,
        description="a user id: the page centred on that player (on a team board, on their team)",
    ),
]


async def _respond(request: Request, engine, r, *key) -> Response:
    rendered_at, body = await request.app.state.board_pages(engine, r, *key)
    headers = {"Cache-Control": request.app.state.board_cache_control}
    if request.app.state.board_page_store.ttl > 0:  # for BoardPageCache, which strips it
        headers[RENDERED_AT.decode()] = repr(rendered_at)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/rooms/{room_id}/scoreboard", response_model=BoardPage, responses=errors(404, 422))
async def room_scoreboard(
    request: Request,
    room_id: IdPath,
    engine: DbEngine,
    r: RedisDep,
    limit: Limit = 100,
    offset: Offset = 0,
    around: Around = None,
    by: Annotated[Literal["player", "team"], Query(description="rank players, or teams (sum of members)")] = "player",
) -> Response:
    """The live board of a room: every member (or team), ranked ordinally (1, 2, 3, 4)."""
    return await _respond(request, engine, r, "room", room_id, limit, offset, around, by == "team")


@router.get("/scoreboards/{scope}/{scope_id}", response_model=BoardPage, responses=errors(404, 422))
async def scope_scoreboard(
    request: Request,
    scope: Literal["tournament", "league"],
    scope_id: IdPath,
    engine: DbEngine,
    r: RedisDep,
    limit: Limit = 100,
    offset: Offset = 0,
    around: Around = None,
) -> Response:
    """Tournament (competition ranks 1, 2, 2, 4) or league (dense ranks 1, 2, 2, 3) standings."""
    return await _respond(request, engine, r, scope, scope_id, limit, offset, around, False)
