"""The player's contest calendar: preferences, and the ICS feed calendar apps subscribe to."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from contest_pipelines.api import cooldown
from contest_pipelines.api.deps import CurrentUser, DbEngine, RedisDep, SettingsDep
from contest_pipelines.api.schemas import (
    CalendarPreferences,
    ConsentLink,
    FeedLink,
    GoogleStatus,
    PushQueued,
    RateLimited,
    errors,
)
from contest_pipelines.calendar import google, ics, players
from contest_pipelines.calendar.token_box import TokenBox
from contest_pipelines.clients.google_calendar import GoogleError, GoogleOAuth
from contest_pipelines.settings import Settings

router = APIRouter(prefix="/api/calendar", tags=["calendar"])
# Subscribed apps poll (Google every 8-24 h, Apple hourly by default): let them and any cache in
# between reuse the feed for 15 minutes, then revalidate cheaply with If-None-Match.
FEED_CACHE_CONTROL = "private, max-age=900"
FEEDS = ics.RenderedFeeds()  # this process's rendered feeds by ETag: a poll of an unchanged feed renders nothing
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
        now = datetime.now(UTC)
        tag = ics.etag(players.calendar_version(conn, prefs, now))  # one aggregate query, nothing rendered
        headers = {"ETag": tag, "Cache-Control": FEED_CACHE_CONTROL}
        if if_none_match and tag in {t.strip() for t in if_none_match.split(",")}:
            return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
        body = FEEDS.get(tag)
        if body is None:
            body = ics.render(players.calendar_contests(conn, prefs, now), prefs)
            FEEDS.put(tag, body)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


def _google_app(settings: Settings) -> tuple[GoogleOAuth, TokenBox]:
    if missing := settings.google_missing:
        # Not a fault of this server but a feature it does not offer: 404, saying why.
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"Google Calendar is not configured on this server ({', '.join(missing)})"
        )
    secret = settings.google_client_secret.get_secret_value()  # type: ignore[union-attr]
    oauth = GoogleOAuth(settings.google_oauth_url, settings.google_client_id or "", secret)
    return oauth, TokenBox.from_setting(settings.calendar_token_keys.get_secret_value())  # type: ignore[union-attr]


def _redirect_uri(request: Request, settings: Settings) -> str:
    return settings.google_redirect_url or str(request.url_for("google_callback"))


@router.get("/google", response_model=GoogleStatus, responses=errors(401))
def google_status(user_id: CurrentUser, engine: DbEngine) -> GoogleStatus:
    """Whether the caller's Google calendar is connected, and how its last push went."""
    with engine.connect() as conn:
        row = google.status(conn, user_id)
    if row is None:
        return GoogleStatus(connected=False)
    return GoogleStatus(connected=row.connected, status=row.status, lastSyncedAt=row.last_synced_at,
                        lastError=row.last_error)  # fmt: skip


@router.get("/google/connect", response_model=ConsentLink, responses=errors(401, 404))
def google_connect(request: Request, user_id: CurrentUser, engine: DbEngine, settings: SettingsDep) -> ConsentLink:
    """The Google consent URL for the caller, with a single-use state that lives 10 minutes."""
    oauth, _ = _google_app(settings)
    with engine.begin() as conn:
        _known(lambda: players.require_player(conn, user_id))
        state = google.start_consent(conn, user_id, datetime.now(UTC))
    return ConsentLink(consentUrl=oauth.consent_url(settings.google_auth_url, _redirect_uri(request, settings), state))


@router.get("/google/callback", name="google_callback", response_model=GoogleStatus, responses=errors(400, 404, 422))
def google_callback(
    request: Request,
    engine: DbEngine,
    settings: SettingsDep,
    code: Annotated[str, Query(min_length=1, max_length=2048)],
    state: Annotated[str, Query(min_length=1, max_length=256)],
) -> GoogleStatus:
    """Where Google sends the player back: the code is exchanged and the refresh token sealed."""
    oauth, box = _google_app(settings)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        user_id = google.take_state(conn, state, now)
    if user_id is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unknown, used or expired consent state: connect again")
    try:
        grant = oauth.exchange_code(code, _redirect_uri(request, settings))
    except GoogleError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Google refused the consent: {exc.reason}") from None
    if not grant.refresh_token:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Google sent no refresh token: connect again")
    with engine.begin() as conn:
        google.store_grant(conn, box, user_id, grant.refresh_token, now)
    return GoogleStatus(connected=True, status="pending")


@router.delete("/google", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 404))
def google_disconnect(user_id: CurrentUser, engine: DbEngine) -> Response:
    """Forget the caller's Google token; the calendar stays in their Google account."""
    with engine.begin() as conn:
        if not google.disconnect(conn, user_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Google is not connected")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/sync",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PushQueued,
    responses={**errors(401, 409), 429: {"model": RateLimited, "description": "the player's calendar Sync cooldown"}},
)
def calendar_sync(
    user_id: CurrentUser, engine: DbEngine, r: RedisDep, settings: SettingsDep
) -> PushQueued | JSONResponse:
    """Push the caller's Google calendar soon (calendar_push_sensor picks the request up)."""
    if limited := cooldown.take(r, cooldown.calendar_key(user_id), settings.calendar_sync_cooldown_seconds):
        return limited
    with engine.begin() as conn:
        if not google.request_push(conn, user_id, datetime.now(UTC)):
            r.delete(cooldown.calendar_key(user_id))  # nothing was asked: the cooldown is not spent
            raise HTTPException(status.HTTP_409_CONFLICT, "connect Google first (GET /api/calendar/google/connect)")
    return PushQueued()
