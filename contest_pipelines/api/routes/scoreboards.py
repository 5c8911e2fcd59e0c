"""Scoreboards: GET /api/rooms/{roomId}/scoreboard and GET /api/scoreboards/{scope}/{scopeId}."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from contest_pipelines import scoreboards
from contest_pipelines.api.deps import DbEngine, RedisDep
from contest_pipelines.api.schemas import ErrorBody

router = APIRouter(prefix="/api", tags=["scoreboards"])


class BoardRow(BaseModel):
    rank: int
    userId: str
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


def _page(engine, r, scope: str, scope_id: str, limit: int, offset: int, around: str | None) -> BoardPage:
    try:
        board = scoreboards.read(engine, r, scope, scope_id, limit=limit, offset=offset, around=around)
    except scoreboards.BoardNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return BoardPage(
        scope=scope, scopeId=scope_id, ranking=board.ranking, total=board.total, source=board.source,
        offset=board.offset,
        rows=[BoardRow(rank=x.rank, userId=x.user_id, points=x.points, lastScoredAt=x.last_scored_at) for x in board.rows],
    )


@router.get("/rooms/{room_id}/scoreboard", response_model=BoardPage, responses={404: {"model": ErrorBody}})
def room_scoreboard(room_id: str, engine: DbEngine, r: RedisDep, limit: Limit = 100, offset: Offset = 0, around: Around = None) -> BoardPage:
    """The live board of a room: every member, ranked ordinally (1, 2, 3, 4)."""
    return _page(engine, r, "room", room_id, limit, offset, around)


@router.get("/scoreboards/{scope}/{scope_id}", response_model=BoardPage, responses={404: {"model": ErrorBody}})
def scope_scoreboard(
    scope: Literal["tournament", "league"], scope_id: str, engine: DbEngine, r: RedisDep,
    limit: Limit = 100, offset: Offset = 0, around: Around = None,
) -> BoardPage:
    """Tournament (competition ranks 1, 2, 2, 4) or league (dense ranks 1, 2, 2, 3) standings."""
    return _page(engine, r, scope, scope_id, limit, offset, around)
