"""The player's contest calendar: preferences, and the ICS feed calendar apps subscribe to."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response, status

from contest_pipelines.api.deps import CurrentUser, DbEngine
from contest_pipelines.api.schemas import CalendarPreferences, FeedLink, errors
from contest_pipelines.calendar import ics, players

router = APIRouter(prefix="/api/calendar", tags=["calendar"])
# Subscribed apps poll (Google every 8-24 h, Apple hourly by default): let them and any cache in
# between reuse the feed for 15 minutes, then revalidate cheaply with If-None-Match.
FEED_CACHE_CONTROL = "private, max-age=900"
FeedToken = Annotated[str, Path(min_length=20, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


def _known(call):
    try:
        return call()
    except players.UnknownPlayer as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _as_body(prefs: players.Preferences) -> CalendarPreferences:
    return CalendarPreferences(
        judges=prefs.judges, maxDurationHours=prefs.max_duration_hours, reminderMinutes=prefs.reminder_minutes
    )


@router.get("/preferences", response_model=CalendarPreferences, responses=errors(401))
def get_preferences(user_id: CurrentUser, engine: DbEngine) -> CalendarPreferences:
    """The caller's calendar preferences (a player who never set them follows every judge)."""
    with engine.connect() as conn:
        return _as_body(players.get_preferences(conn, user_id))


@router.put("/preferences", response_model=CalendarPreferences, responses=errors(400, 401, 404, 422))
def put_preferences(body: CalendarPreferences, user_id: CurrentUser, engine: DbEngine) -> CalendarPreferences:
    """Replace the caller's preferences; the feed reflects them at once."""
    prefs = players.Preferences(list(body.judges), body.maxDurationHours, body.reminderMinutes)
    with engine.begin() as conn:
        return _as_body(_known(lambda: players.put_preferences(conn, user_id, prefs, datetime.now(UTC))))


def _link(request: Request, token: str) -> FeedLink:
    return FeedLink(feedUrl=str(request.url_for("calendar_feed", token=token)))


@router.get("/feed-token", response_model=FeedLink, responses=errors(401, 404))
def get_feed_token(request: Request, user_id: CurrentUser, engine: DbEngine) -> FeedLink:
    """The caller's feed URL (made on first use)."""
    with engine.begin() as conn:
        return _link(request, _known(lambda: players.feed_token(conn, user_id)))


@router.post("/feed-token", response_model=FeedLink, responses=errors(401, 404))
def rotate_feed_token(request: Request, user_id: CurrentUser, engine: DbEngine) -> FeedLink:
    """A new feed URL; the previous one answers 404 from now on."""
    with engine.begin() as conn:
        return _link(request, _known(lambda: players.rotate_feed_token(conn, user_id, datetime.now(UTC))))


@router.get(
    "/feed/{token}.ics",
    name="calendar_feed",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "the player's calendar (RFC 5545)"},
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
        **errors(404, 422),
    },
)
def calendar_feed(
    token: FeedToken, engine: DbEngine, if_none_match: Annotated[str | None, Header()] = None
) -> Response:
    """The ICS feed of the player the token belongs to; no login, the token is the secret."""
    with engine.connect() as conn:
        user_id = players.owner_of(conn, token)
        if user_id is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such feed (the token may have been rotated)")
        prefs = players.get_preferences(conn, user_id)
        body = ics.render(players.calendar_contests(conn, prefs, datetime.now(UTC)), prefs)
    tag = ics.etag(body)
    headers = {"ETag": tag, "Cache-Control": FEED_CACHE_CONTROL}
    if if_none_match and tag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
