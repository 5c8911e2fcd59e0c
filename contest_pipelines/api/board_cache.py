"""The board page cache of one API process.

Pages are rendered once and shared: for BOARD_CACHE_SECONDS (1 s) every request for the same page
in this API process gets the same bytes, and concurrent misses of one page wait for one render
(async-lru coalesces them), so a popular board costs one Redis read per second per process, not one
per request. A page is at most that much older than the board; an admin rebuild forgets the pages,
and players learn of a settlement from its event, not by polling faster.

Two layers: `BoardPageCache`, a plain ASGI middleware, answers a hit before routing (a dict lookup
and a send: no dependency resolution, validation or serialisation); a miss goes through the route,
whose renderer coalesces concurrent misses, and the middleware keeps the bytes until the render is
BOARD_CACHE_SECONDS old (the renderer stamps when it rendered, so the two layers never add up).
When a page expires, one request re-renders it while the others are still answered the page just
expired (stale-while-revalidate, for at most another BOARD_CACHE_SECONDS): a burst never queues
behind a render.
"""

import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime

import redis
import sqlalchemy as sa
from async_lru import alru_cache
from fastapi import FastAPI, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from contest_pipelines import scoreboards
from contest_pipelines.settings import Settings


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


# (engine, redis, scope, scope_id, limit, offset, around, by_team) -> (when it was rendered, the page's
# JSON bytes). The engine and the Redis client are arguments, so dependency overrides reach them;
# they are per-process singletons, so they do not split the cache.
PageRenderer = Callable[[sa.Engine, redis.Redis, str, str, int, int, str | None, bool], Awaitable[tuple[float, bytes]]]
# How the route tells the middleware when its page was rendered (time.monotonic()); never sent out.
RENDERED_AT = b"x-board-rendered-at"
BOARD_PATH = re.compile(r"^/api/(rooms/[^/]+/scoreboard|scoreboards/[^/]+/[^/]+)$")


def _page(
    engine, r, scope: str, scope_id: str, limit: int, offset: int, around: str | None, by_team: bool
) -> BoardPage:
    try:
        if by_team:
            board = scoreboards.read_teams(engine, scope_id, limit=limit, offset=offset, around=around)
        else:
            board = scoreboards.read(engine, r, scope, scope_id, limit=limit, offset=offset, around=around)
    except scoreboards.BoardNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    if by_team:
        rows = [
            BoardRow(rank=x.rank, teamId=x.user_id, points=x.points, lastScoredAt=x.last_scored_at) for x in board.rows
        ]
    else:
        teams = scoreboards.room_teams(engine, scope_id, [x.user_id for x in board.rows]) if scope == "room" else {}
        rows = [
            BoardRow(
                rank=x.rank,
                userId=x.user_id,
                teamId=teams.get(x.user_id),
                points=x.points,
                lastScoredAt=x.last_scored_at,
            )
            for x in board.rows
        ]
    return BoardPage(
        scope=scope,
        scopeId=scope_id,
        ranking=board.ranking,
        total=board.total,
        source=board.source,
        offset=board.offset,
        rows=rows,
    )


def page_renderer(settings: Settings) -> PageRenderer:
    """The page function of one app: cached for `board_cache_seconds` when that is above 0."""

    async def render(
        engine, r, scope: str, scope_id: str, limit: int, offset: int, around: str | None, by_team: bool
    ) -> tuple[float, bytes]:
        def build() -> tuple[float, bytes]:
            page = _page(engine, r, scope, scope_id, limit, offset, around, by_team)
            return time.monotonic(), page.model_dump_json().encode()

        return await run_in_threadpool(build)

    if settings.board_cache_seconds <= 0:
        return render
    return alru_cache(maxsize=settings.board_cache_pages, ttl=settings.board_cache_seconds)(render)


def forget_pages(app: FastAPI) -> None:
    """Drop this process's cached pages (after an admin rebuild, say)."""
    if hasattr(app.state.board_pages, "cache_clear"):
        app.state.board_pages.cache_clear()
    app.state.board_page_store.clear()


class PageStore:
    """Rendered pages by (path, query): (expires at, response headers, body), oldest evicted first."""

    def __init__(self, ttl: float, max_pages: int):
        self.ttl, self.max_pages = ttl, max_pages
        self.pages: OrderedDict[tuple[str, bytes], tuple[float, list, bytes]] = OrderedDict()
        self.refreshing: set[tuple[str, bytes]] = set()

    def get(self, key: tuple[str, bytes]) -> tuple[tuple[float, list, bytes] | None, bool]:
        """(the entry or None, whether it is fresh). An expired entry stays usable, as stale, for one
        more period while it is being re-rendered; after that it is gone."""
        entry = self.pages.get(key)
        if entry is None:
            return None, False
        now = time.monotonic()
        if now < entry[0]:
            return entry, True
        if now < entry[0] + self.ttl:
            return entry, False
        del self.pages[key]
        return None, False

    def put(self, key: tuple[str, bytes], rendered_at: float, headers: list, body: bytes) -> None:
        self.pages[key] = (rendered_at + self.ttl, headers, body)
        self.pages.move_to_end(key)
        while len(self.pages) > self.max_pages:
            self.pages.popitem(last=False)

    def clear(self) -> None:
        self.pages.clear()


class BoardPageCache:
    """ASGI middleware: a board page hit is answered from `PageStore` before routing."""

    def __init__(self, app, store: PageStore):
        self.app, self.store = app, store

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not BOARD_PATH.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        entry, fresh = self.store.get(key)
        if entry is not None and (fresh or key in self.store.refreshing):
            _, headers, body = entry
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if entry is None:  # a cold miss: the renderer coalesces concurrent ones
            await self.app(scope, receive, self._keeping(key, send))
            return
        self.store.refreshing.add(key)  # this request re-renders; the others get the page just expired
        try:
            await self.app(scope, receive, self._keeping(key, send))
        finally:
            self.store.refreshing.discard(key)

    def _keeping(self, key: tuple[str, bytes], send):
        """Forward the route's answer; keep a fresh 200 page (the renderer's stamp says how fresh)."""
        state: dict = {}

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != RENDERED_AT]
                stamp = next((v for k, v in message.get("headers", []) if k == RENDERED_AT), None)
                if message["status"] == 200 and stamp is not None:
                    state.update(rendered_at=float(stamp), headers=headers, body=[])
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and "body" in state:
                state["body"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.store.put(key, state["rendered_at"], state["headers"], b"".join(state["body"]))
            await send(message)

        return keep


def cache_control(settings: Settings) -> str:
    """A reverse proxy or CDN in front may share a page for as long as one API process does."""
    max_age = int(settings.board_cache_seconds)
    return f"public, max-age={max_age}" if max_age else "no-cache"
