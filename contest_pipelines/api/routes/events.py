"""GET /api/events: the caller's event stream as Server-Sent Events, resumable with Last-Event-ID;
POST /api/events/stream-token: the URL a browser's EventSource opens it with."""

import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

import redis.asyncio as aioredis
from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from contest_pipelines import events
from contest_pipelines.api.auth import issue_stream_token
from contest_pipelines.api.deps import SSE_BLOCK_SECONDS, AsyncRedisDep, CurrentUser, SettingsDep, StreamReader
from contest_pipelines.api.schemas import errors

router = APIRouter(prefix="/api", tags=["events"])

STREAM_ID = re.compile(r"^\d+(-\d+)?$")
log = logging.getLogger(__name__)


async def _latest_id(r: aioredis.Redis, key: str) -> str:
    try:
        return (await r.xinfo_stream(key))["last-generated-id"]
    except aioredis.ResponseError:  # no stream yet: everything it will ever hold is new
        return "0-0"


async def _stream(r: aioredis.Redis, user_id: str, last_id: str) -> AsyncIterator[ServerSentEvent]:
    key = events.stream_key(user_id)
    try:
        while True:
            try:
                batches = await r.xread({key: last_id}, block=SSE_BLOCK_SECONDS * 1000, count=100)
            except aioredis.RedisError as exc:
                # End the stream; EventSource reconnects with Last-Event-ID and loses nothing.
                log.warning("event stream for %s ended: %s", user_id, exc)
                return
            for _, entries in batches:
                for entry_id, fields in entries:
                    event = events.decode_entry(entry_id, fields)
                    last_id = event.id
                    yield ServerSentEvent(
                        data=json.dumps(event.data, separators=(",", ":")), event=event.type, id=event.id
                    )
    finally:
        await r.aclose()


class StreamToken(BaseModel):
    url: str = Field(
        description="path of the caller's event stream with a stream token: `new EventSource(apiBase + url)`"
    )
    expiresAt: datetime


@router.post("/events/stream-token", responses=errors(401))
def create_stream_token(user_id: CurrentUser, settings: SettingsDep) -> StreamToken:
    """A URL a browser's EventSource can open: it carries a stream token that reads only the caller's
    stream, for `STREAM_TOKEN_SECONDS` (reconnections with Last-Event-ID included); never the JWT."""
    token, expires = issue_stream_token(
        settings.api_jwt_secret.get_secret_value(), user_id, timedelta(seconds=settings.stream_token_seconds)
    )
    return StreamToken(url=f"{router.prefix}/events?{urlencode({'streamToken': token})}", expiresAt=expires)


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **errors(401, 422)},
)
async def stream_events(
    user_id: StreamReader,
    r: AsyncRedisDep,
    settings: SettingsDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    since: Annotated[
        str | None, Query(description="Stream id to resume after; `0` replays the retained history")
    ] = None,
) -> EventSourceResponse:
    """`event:` is the type, `id:` the stream id, `data:` the JSON payload; comments keep the line alive."""
    start = last_event_id or since
    if start is None or not STREAM_ID.match(start):
        # No (valid) resume point: begin with what is published from now on.
        start = await _latest_id(r, events.stream_key(user_id))
    return EventSourceResponse(_stream(r, user_id, start), ping=settings.sse_keepalive_seconds)
