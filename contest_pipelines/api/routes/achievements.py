"""Achievements: the catalog with the caller's progress (`GET /api/achievements`, `/{id}`), and for the
operators each processor's checkpoint and last run (`GET /api/admin/achievements`)."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from contest_pipelines.achievements import queries
from contest_pipelines.api.deps import AdminOnly, CurrentUser, DbEngine
from contest_pipelines.api.schemas import IdPath, errors

router = APIRouter(tags=["achievements"])


class Streak(BaseModel):
    current: int = Field(description="days in the run that ended today or yesterday in the player's zone, else 0")
    longest: int


class Progress(BaseModel):
    specifier: str = Field(description="the player, or `<player>:<object>` for a repeatable award")
    currentStep: int
    complete: bool
    completedAt: datetime | None = Field(description="when the source event that completed it happened")
    amount: int | None
    detail: dict[str, Any] | None = None
    streak: Streak | None = None


class Achievement(BaseModel):
    id: str
    name: str
    description: str
    kind: str
    stepCount: int
    amount: int
    active: bool
    gatedOn: str | None
    repeatKey: str
    progress: list[Progress]


class ProcessorState(BaseModel):
    id: str
    active: bool
    checkpointXid: str | None = Field(description="every source row written below this transaction id is consumed")
    clockAt: datetime | None
    lastRunAt: datetime | None
    lastPlayersTouched: int | None
    lastRowsChanged: int | None
    lastNewlyCompleted: int | None
    lastDurationMs: int | None
    lastError: str | None


@router.get("/api/achievements", response_model=list[Achievement], responses=errors(401))
def list_achievements(user_id: CurrentUser, engine: DbEngine) -> list[dict]:
    with engine.connect() as conn:
        return queries.catalog(conn, user_id)


@router.get("/api/achievements/{achievement_id}", response_model=Achievement, responses=errors(401, 404, 422))
def get_achievement(achievement_id: IdPath, user_id: CurrentUser, engine: DbEngine) -> dict:
    with engine.connect() as conn:
        found = queries.catalog(conn, user_id, achievement_id)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no achievement {achievement_id!r}")
    return found[0]


@router.get(
    "/api/admin/achievements",
    response_model=list[ProcessorState],
    responses=errors(401),
    dependencies=[AdminOnly],
    tags=["admin"],
)
def processor_states(engine: DbEngine) -> list[dict]:
    with engine.connect() as conn:
        return queries.processors(conn)
