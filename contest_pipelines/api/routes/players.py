"""GET/PUT /api/players/me: the caller's own settings (their time zone)."""

from fastapi import APIRouter, HTTPException, status

from contest_pipelines.achievements import profile
from contest_pipelines.api.deps import CurrentUser, DbEngine
from contest_pipelines.api.schemas import Player, PlayerSettings, errors

router = APIRouter(prefix="/api/players", tags=["players"])


@router.get("/me", response_model=Player, responses=errors(401, 404))
def get_me(user_id: CurrentUser, engine: DbEngine) -> Player:
    with engine.connect() as conn:
        exists, zone = profile.time_zone(conn, user_id)
    if not exists:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no player {user_id!r}")
    return Player(userId=user_id, timeZone=zone)


@router.put("/me", response_model=Player, responses=errors(400, 401, 404, 422))
def put_me(body: PlayerSettings, user_id: CurrentUser, engine: DbEngine) -> Player:
    """Set the caller's time zone (an IANA name; unknown: 422); their streak days follow it."""
    with engine.begin() as conn:
        if not profile.set_time_zone(conn, user_id, body.timeZone):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no player {user_id!r}")
    return Player(userId=user_id, timeZone=body.timeZone)
