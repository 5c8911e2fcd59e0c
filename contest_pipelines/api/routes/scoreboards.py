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


def _page(engine, r, scope: str, scope_id: str, limit: int, offset: int, around: str | None, by_team: bool = False) -> BoardPage:
    try:
        if by_team:
            board = scoreboards.read_teams(engine, scope_id, limit=limit, offset=offset)
        else:
            board = scoreboards.read(engine, r, scope, scope_id, limit=limit, offset=offset, around=around)
    except scoreboards.BoardNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    key = "teamId" if by_team else "userId"
    return BoardPage(
        scope=scope, scopeId=scope_id, ranking=board.ranking, total=board.total, source=board.source, offset=board.offset,
        rows=[BoardRow(rank=x.rank, points=x.points, lastScoredAt=x.last_scored_at, **{key: x.user_id}) for x in board.rows],
    )


@router.get("/rooms/{room_id}/scoreboard", response_model=BoardPage, responses={404: {"model": ErrorBody}})
def room_scoreboard(
    room_id: str, engine: DbEngine, r: RedisDep, limit: Limit = 100, offset: Offset = 0, around: Around = None,
    by: Annotated[Literal["player", "team"], Query(description="rank players, or teams (sum of members)")] = "player",
) -> BoardPage:
    """The live board of a room: every member (or team), ranked ordinally (1, 2, 3, 4)."""
    if by == "team" and around is not None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "around is for player boards")
    return _page(engine, r, "room", room_id, limit, offset, around, by_team=by == "team")


@router.get("/scoreboards/{scope}/{scope_id}", response_model=BoardPage, responses={404: {"model": ErrorBody}})
def scope_scoreboard(
    scope: Literal["tournament", "league"], scope_id: str, engine: DbEngine, r: RedisDep,
    limit: Limit = 100, offset: Offset = 0, around: Around = None,
) -> BoardPage:
    """Tournament (competition ranks 1, 2, 2, 4) or league (dense ranks 1, 2, 2, 3) standings."""
    return _page(engine, r, scope, scope_id, limit, offset, around)
