"""POST /api/contests/sync and GET /api/contests/sync/{requestId}."""

import logging
import uuid

import redis
from fastapi import APIRouter, BackgroundTasks, HTTPException, status
from fastapi.responses import JSONResponse

from contest_pipelines import events
from contest_pipelines.api import cooldown
from contest_pipelines.api.deps import CurrentUser, DbEngine, RedisDep, SettingsDep, SyncLauncher
from contest_pipelines.api.schemas import RateLimited, SyncBody, SyncQueued, SyncStatus, errors
from contest_pipelines.player_sync import intake, queries
from contest_pipelines.player_sync.push import push

router = APIRouter(prefix="/api/contests", tags=["sync"])
log = logging.getLogger(__name__)


@router.post(
    "/sync",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SyncQueued,
    responses={**errors(400, 401, 404, 422), 429: {"model": RateLimited, "description": "the player's Sync cooldown"}},
)
def request_sync(
    body: SyncBody,
    user_id: CurrentUser,
    engine: DbEngine,
    r: RedisDep,
    settings: SettingsDep,
    launcher: SyncLauncher,
    background: BackgroundTasks,
) -> SyncQueued | JSONResponse:
    """Queue a check of the caller's Codeforces submissions for one problem of a room."""
    with engine.connect() as conn:
        ctx = intake.resolve_context(conn, user_id, body.roomId, body.problemId)

    # One atomic step decides the cooldown; a request rejected above never reaches it.
    cooldown_key = events.rate_limit_key(user_id)
    if limited := cooldown.take(r, cooldown_key, settings.sync_cooldown_seconds):
        return limited
    try:
        with engine.begin() as conn:
            request_id, created_at, position = intake.enqueue(conn, ctx)
    except Exception:
        r.delete(cooldown_key)  # nothing was queued, so the cooldown must not be spent
        raise

    try:
        pipe = r.pipeline(transaction=True)
        pipe.hset(
            events.sync_state_key(ctx.room_id, user_id),
            mapping={
                "status": "queued",
                "position": position,
                "createdAt": created_at.isoformat(),
                "requestId": request_id,
            },
        )
        events.publish(
            pipe, user_id, events.SYNC_QUEUED, events.queued_payload(position), maxlen=settings.events_stream_maxlen
        )
        pipe.execute()
    except redis.RedisError as exc:
        # The request is queued in PostgreSQL and will be processed; only the notification is lost.
        log.warning("sync request %s queued but its sync.queued event was not published: %s", request_id, exc)
    if launcher is not None and position <= settings.sync_push_max_position:
        # After the 202 is sent: start its run now rather than at the sensor's next tick. A burst
        # (a long queue) is left to the sensor, which batches it into one run.
        background.add_task(push, engine, launcher, request_id)
    return SyncQueued(requestId=request_id, position=position)


@router.get("/sync/{request_id}", response_model=SyncStatus, responses=errors(401, 404, 422))
def sync_status(request_id: uuid.UUID, user_id: CurrentUser, engine: DbEngine) -> SyncStatus:
    """The caller's own sync request, as the queue sees it now."""
    with engine.connect() as conn:
        row = queries.request_of(conn, str(request_id), user_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such sync request for this user")
    return SyncStatus(
        requestId=row.id,
        roomId=row.room_id,
        problemId=row.problem_id,
        status=row.status,
        position=row.position if row.status in ("queued", "running") else None,
        attempts=row.attempts,
        reason=row.reason,
        detail=row.detail,
        createdAt=row.created_at,
        updatedAt=row.updated_at,
        nextAttemptAt=row.next_attempt_at if row.status == "queued" else None,
        finishedAt=row.finished_at,
    )
