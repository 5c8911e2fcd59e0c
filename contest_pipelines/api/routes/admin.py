"""Operator routes (admin token): the sync queue by status, dead letters and their replay, settlements,
board rebuilds, onboarding and team deletion."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from contest_pipelines import scoreboards
from contest_pipelines.api.board_cache import forget_pages
from contest_pipelines.api.deps import AdminOnly, DbEngine, RedisDep
from contest_pipelines.api.schemas import MAX_OFFSET, Identifier, IdPath, errors
from contest_pipelines.game_platform.onboarding import UnknownPlayer, request_onboarding
from contest_pipelines.game_platform.roster import delete_team_locally
from contest_pipelines.player_sync import queries as sync_queries
from contest_pipelines.player_sync import queue as sync_queue
from contest_pipelines.settlement import queries as settlement_queries
from contest_pipelines.settlement.ledger import ledger_mismatches

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[AdminOnly])


class QueueOverview(BaseModel):
    byStatus: dict[str, int]
    oldestWaitingSince: datetime | None


class DeadLetter(BaseModel):
    requestId: str
    roomId: str
    userId: str
    problemId: str
    attempts: int
    reason: str | None
    detail: str | None
    createdAt: datetime
    finishedAt: datetime | None


class Replayed(BaseModel):
    replayed: int
    requestId: str


class SettlementAttempt(BaseModel):
    version: int | None
    status: str
    resultHash: str
    members: int
    changedMembers: int
    pointsTotal: int
    pointsDelta: int
    dbMs: float | None
    error: str | None
    dagsterRunId: str | None
    createdAt: datetime


class RoomSettlements(BaseModel):
    roomId: str
    consistent: bool
    mismatches: list[str]
    settlements: list[SettlementAttempt]


class BoardRebuilt(BaseModel):
    scope: str
    scopeId: str
    members: int


class OnboardingBody(BaseModel):
    userId: Identifier
    coachId: Identifier | None = None


class OnboardingQueued(BaseModel):
    requestId: int
    userId: str


class TeamDeleted(BaseModel):
    teamId: str
    deleted: bool


@router.get("/queue", responses=errors(401))
def queue_overview(engine: DbEngine) -> QueueOverview:
    """Sync requests by status, and how long the oldest waiting one has waited."""
    with engine.connect() as conn:
        counts, oldest = sync_queries.queue_overview(conn)
    return QueueOverview(byStatus=counts, oldestWaitingSince=oldest)


@router.get("/dead-letters", responses=errors(401, 422))
def dead_letters(
    engine: DbEngine,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[DeadLetter]:
    with engine.connect() as conn:
        rows = sync_queries.dead_letters(conn, limit=limit, offset=offset)
    return [
        DeadLetter(
            requestId=x.id,
            roomId=x.room_id,
            userId=x.user_id,
            problemId=x.problem_id,
            attempts=x.attempts,
            reason=x.reason,
            detail=x.detail,
            createdAt=x.created_at,
            finishedAt=x.finished_at,
        )
        for x in rows
    ]


@router.post("/dead-letters/{request_id}/replay", status_code=status.HTTP_202_ACCEPTED, responses=errors(401, 404, 422))
def replay_dead_letter(request_id: uuid.UUID, engine: DbEngine) -> Replayed:
    with engine.begin() as conn:
        replayed = sync_queue.replay_dead(conn, [str(request_id)])
    if not replayed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no dead sync request with this id")
    return Replayed(replayed=replayed, requestId=str(request_id))


@router.get("/settlements/{room_id}", responses=errors(401, 404, 422))
def room_settlements(room_id: IdPath, engine: DbEngine) -> RoomSettlements:
    """Every settlement attempt of a room, newest first, and whether the ledger matches the standings."""
    with engine.connect() as conn:
        rows = settlement_queries.attempts(conn, room_id)
        mismatches = ledger_mismatches(conn, room_id)
    if not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"room {room_id!r} has no settlement")
    return RoomSettlements(
        roomId=room_id,
        consistent=not mismatches,
        mismatches=mismatches,
        settlements=[
            SettlementAttempt(
                version=x.version,
                status=x.status,
                resultHash=x.result_hash,
                members=x.members,
                changedMembers=x.changed_members,
                pointsTotal=x.points_total,
                pointsDelta=x.points_delta,
                dbMs=x.db_ms,
                error=x.error,
                dagsterRunId=x.dagster_run_id,
                createdAt=x.created_at,
            )
            for x in rows
        ],
    )


@router.post(
    "/scoreboards/{scope}/{scope_id}/rebuild",
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(401, 404, 409, 422),
)
async def rebuild_scoreboard(
    request: Request,
    scope: Literal["room", "tournament", "league"],
    scope_id: IdPath,
    engine: DbEngine,
    client: RedisDep,
) -> BoardRebuilt:
    """Rebuild a board's Redis projection from PostgreSQL (atomic swap); this process's cached pages go."""
    try:
        size = await run_in_threadpool(scoreboards.rebuild, client, engine, scope, scope_id)
        forget_pages(request.app)
    except scoreboards.BoardNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    if size is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "a rebuild of this board is already running")
    return BoardRebuilt(scope=scope, scopeId=scope_id, members=size)


@router.post("/onboarding", status_code=status.HTTP_202_ACCEPTED, responses=errors(400, 401, 404, 422))
def add_to_game_platform(body: OnboardingBody, engine: DbEngine) -> OnboardingQueued:
    """A coach's "Add to Game Platform": recorded here, processed by onboarding_job within seconds."""
    try:
        with engine.begin() as conn:
            request_id = request_onboarding(conn, body.userId, body.coachId)
    except UnknownPlayer as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return OnboardingQueued(requestId=request_id, userId=body.userId)


@router.delete("/teams/{team_id}", status_code=status.HTTP_202_ACCEPTED, responses=errors(401, 404, 409, 422))
def delete_team(team_id: IdPath, engine: DbEngine) -> TeamDeleted:
    """Delete an empty team; the roster sync removes it from the game platform, then here."""
    with engine.begin() as conn:
        outcome = delete_team_locally(conn, team_id)
    if outcome == "has_members":
        raise HTTPException(status.HTTP_409_CONFLICT, "the team still has members; remove them first")
    if outcome == "not_found":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no team {team_id!r}")
    return TeamDeleted(teamId=team_id, deleted=True)
