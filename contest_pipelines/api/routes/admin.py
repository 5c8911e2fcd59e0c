"""Operator routes (admin token): the sync queue by status, dead letters and their replay."""

import uuid
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from contest_pipelines import scoreboards
from contest_pipelines.api.deps import AdminOnly, DbEngine, RedisDep
from contest_pipelines.api.routes.scoreboards import forget_pages
from contest_pipelines.db.tables import players
from contest_pipelines.db.tables import settlement_ledger as ledger
from contest_pipelines.db.tables import sync_requests as r
from contest_pipelines.game_platform.onboarding import request_onboarding
from contest_pipelines.game_platform.roster import delete_team_locally
from contest_pipelines.player_sync import queue as sync_queue
from contest_pipelines.settlement.ledger import ledger_mismatches

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[AdminOnly])


@router.get("/queue")
def queue_overview(engine: DbEngine) -> dict:
    """Sync requests by status, and how long the oldest waiting one has waited."""
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.select(r.c.status, sa.func.count()).group_by(r.c.status)).all())
        oldest = conn.execute(
            sa.select(sa.func.min(r.c.created_at)).where(r.c.status.in_(("queued", "running")))
        ).scalar_one()
    return {
        "byStatus": {s: counts.get(s, 0) for s in ("queued", "running", "detected", "failed", "dead")},
        "oldestWaitingSince": oldest,
    }


@router.get("/dead-letters")
def dead_letters(engine: DbEngine, limit: int = 100, offset: int = 0) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                r.c.id,
                r.c.room_id,
                r.c.user_id,
                r.c.problem_id,
                r.c.attempts,
                r.c.reason,
                r.c.detail,
                r.c.created_at,
                r.c.finished_at,
            )
            .where(r.c.status == "dead")
            .order_by(r.c.finished_at.desc())
            .limit(min(limit, 1000))
            .offset(offset)
        )
        return [
            {
                "requestId": x.id,
                "roomId": x.room_id,
                "userId": x.user_id,
                "problemId": x.problem_id,
                "attempts": x.attempts,
                "reason": x.reason,
                "detail": x.detail,
                "createdAt": x.created_at,
                "finishedAt": x.finished_at,
            }
            for x in rows
        ]


@router.post("/dead-letters/{request_id}/replay", status_code=status.HTTP_202_ACCEPTED)
def replay_dead_letter(request_id: uuid.UUID, engine: DbEngine) -> dict:
    with engine.begin() as conn:
        replayed = sync_queue.replay_dead(conn, [str(request_id)])
    if not replayed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no dead sync request with this id")
    return {"replayed": replayed, "requestId": str(request_id)}


@router.get("/settlements/{room_id}")
def room_settlements(room_id: str, engine: DbEngine) -> dict:
    """Every settlement attempt of a room, newest first, and whether the ledger matches the standings."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(ledger).where(ledger.c.room_id == room_id).order_by(ledger.c.id.desc())).all()
        mismatches = ledger_mismatches(conn, room_id)
    if not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"room {room_id!r} has no settlement")
    return {
        "roomId": room_id,
        "consistent": not mismatches,
        "mismatches": mismatches,
        "settlements": [
            {
                "version": x.version,
                "status": x.status,
                "resultHash": x.result_hash,
                "members": x.members,
                "changedMembers": x.changed_members,
                "pointsTotal": x.points_total,
                "pointsDelta": x.points_delta,
                "dbMs": x.db_ms,
                "error": x.error,
                "dagsterRunId": x.dagster_run_id,
                "createdAt": x.created_at,
            }
            for x in rows
        ],
    }


@router.post("/scoreboards/{scope}/{scope_id}/rebuild", status_code=status.HTTP_202_ACCEPTED)
async def rebuild_scoreboard(
    request: Request,
    scope: Literal["room", "tournament", "league"],
    scope_id: str,
    engine: DbEngine,
    client: RedisDep,
) -> dict:
    """Rebuild a board's Redis projection from PostgreSQL (atomic swap); this process's cached pages go."""
    try:
        size = await run_in_threadpool(scoreboards.rebuild, client, engine, scope, scope_id)
        forget_pages(request)
    except scoreboards.BoardNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    if size is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "a rebuild of this board is already running")
    return {"scope": scope, "scopeId": scope_id, "members": size}


class OnboardingBody(BaseModel):
    userId: str = Field(min_length=1)
    coachId: str | None = None


@router.post("/onboarding", status_code=status.HTTP_202_ACCEPTED)
def add_to_game_platform(body: OnboardingBody, engine: DbEngine) -> dict:
    """A coach's "Add to Game Platform": recorded here, processed by onboarding_job within seconds."""
    with engine.begin() as conn:
        if conn.execute(sa.select(players.c.user_id).where(players.c.user_id == body.userId)).first() is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no player {body.userId!r}")
        request_id = request_onboarding(conn, body.userId, body.coachId)
    return {"requestId": request_id, "userId": body.userId}


@router.delete("/teams/{team_id}", status_code=status.HTTP_202_ACCEPTED)
def delete_team(team_id: str, engine: DbEngine) -> dict:
    """Delete an empty team; the roster sync removes it from the game platform, then here."""
    with engine.begin() as conn:
        outcome = delete_team_locally(conn, team_id)
    if outcome == "has_members":
        raise HTTPException(status.HTTP_409_CONFLICT, "the team still has members; remove them first")
    if outcome == "not_found":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no team {team_id!r}")
    return {"teamId": team_id, "deleted": True}
