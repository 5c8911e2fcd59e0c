"""Builds the FastAPI app: routers, and errors shaped as `{"error", "detail"}`.

Importing this module builds nothing: servers call the factory (`uvicorn --factory
contest_pipelines.api.main:create_app`), tests call `create_app()` with their own settings.
"""

import gc
import logging
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from contest_pipelines.api import board_cache, limits
from contest_pipelines.api.routes import (
    achievements,
    admin,
    calendar,
    cron,
    events,
    health,
    players,
    scoreboards,
    sync,
)
from contest_pipelines.clients import quiet_http_logs
from contest_pipelines.player_sync.intake import RejectReason, SyncRequestRejected
from contest_pipelines.settings import Settings, get_settings

ERROR_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "invalid_request",
    503: "unavailable",
}


def error_code(status_code: int) -> str:
    """The `error` of an error body: ours where we named it, else the status's phrase (405 -> method_not_allowed)."""
    try:
        return ERROR_CODES.get(status_code) or HTTPStatus(status_code).phrase.lower().replace(" ", "_").replace(
            "-", "_"
        )
    except ValueError:
        return "error"


# Not a member (or no such room) is a 404; a problem the room lacks or a missing handle is the body's fault.
REJECTION_STATUS = {RejectReason.NOT_A_MEMBER: 404, RejectReason.UNKNOWN_PROBLEM: 422, RejectReason.NO_HANDLE: 422}


class RedactStreamTokens(logging.Filter):
    """Secrets that must ride in URLs stay out of the access log: the stream token (EventSource can send
    nothing else), the feed token in an ICS feed's path (calendar apps can send nothing else), and the
    OAuth code and state Google sends back to the callback."""

    SECRETS = (
        (re.compile(r"([?&](?:streamToken|code|state)=)[^&\s]+"), r"\1***"),
        (re.compile(r"(/api/calendar/feed/)[^/?\s]+(\.ics)"), r"\1***\2"),
    )

    def _redact(self, text: str) -> str:
        for pattern, replacement in self.SECRETS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._redact(a) if isinstance(a, str) else a for a in record.args)
        return True


ROUTE_MODULES = (sync, events, scoreboards, calendar, players, achievements, health, admin, cron)


def allowed_methods(path: str) -> list[str]:
    """Every method of the path: Starlette's 405 names only the first route's, and a path such as
    /api/calendar/preferences has one route per method."""
    routes = (r for m in ROUTE_MODULES for r in m.router.routes if isinstance(r, APIRoute) and r.path_regex.match(path))
    return sorted({method for route in routes for method in route.methods})


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """The board page cache inside CORS (added first, so CORS wraps it and cached pages get CORS headers)."""
    ttl = settings.board_cache_seconds
    app.state.board_page_store = board_cache.PageStore(ttl, settings.board_cache_pages if ttl > 0 else 1)
    if ttl > 0:
        app.add_middleware(board_cache.BoardPageCache, store=app.state.board_page_store)
    app.add_middleware(limits.RequestLimits)  # outside the page cache, inside CORS
    if settings.cors_allowed_origins:
        # Only the listed front-ends; no cookies, so no credentials. A preflight from any other origin is refused.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allowed_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            expose_headers=["Retry-After"],
            max_age=600,
        )


# A thread holding the GIL (a board re-render, a sync SQL call) makes the event loop wait up to this
# long for it, instead of Python's default 5 ms: a cache hit should not queue behind a render.
GIL_SWITCH_SECONDS = 0.001


@asynccontextmanager
async def latency_tuned(_: FastAPI) -> AsyncIterator[None]:
    """Start-up: everything built so far (modules, routes, models: ~all the heap) is moved out of the
    garbage collector's sight, so a full collection scans only what requests allocate (a 70 ms pause set
    a cached board's p99; now ~1 ms), and the GIL is handed over sooner. Undone at shutdown; measured
    in bench/board_reads.py, reasons in docs/decisions.md."""
    switch = sys.getswitchinterval()
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    try:
        yield
    finally:
        sys.setswitchinterval(switch)
        gc.unfreeze()


def create_app() -> FastAPI:
    quiet_http_logs()
    settings = get_settings()
    if settings.insecure_defaults:
        logging.getLogger(__name__).warning(
            "%s still at the development default: set them before exposing the API",
            ", ".join(settings.insecure_defaults),
        )
    app = FastAPI(title="contest_pipelines API", version="0.1.0", lifespan=latency_tuned)
    _add_middleware(app, settings)
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactStreamTokens) for f in access_log.filters):
        access_log.addFilter(RedactStreamTokens())
    for module in ROUTE_MODULES:
        app.include_router(module.router)
    app.state.board_pages = board_cache.page_renderer(settings)
    app.state.board_cache_control = board_cache.cache_control(settings)

    @app.exception_handler(SyncRequestRejected)
    async def _rejected(_: Request, exc: SyncRequestRejected) -> JSONResponse:
        status_code = REJECTION_STATUS[exc.reason]
        return JSONResponse({"error": ERROR_CODES[status_code], "detail": exc.detail}, status_code=status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request.url.path))}
        return JSONResponse(
            {"error": error_code(exc.status_code), "detail": exc.detail}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"error": "invalid_request", "detail": problems}, status_code=422)

    return app
