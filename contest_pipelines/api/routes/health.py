"""GET /healthz (the process is up) and GET /readyz (PostgreSQL and Redis answer)."""

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contest_pipelines.api.deps import DbEngine, RedisDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a dependency does not answer"}})
def readyz(engine: DbEngine, r: RedisDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        checks["postgres"] = "ok"
    except sa.exc.SQLAlchemyError as exc:
        checks["postgres"] = f"error: {type(exc).__name__}"
    try:
        r.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # any client failure means not ready
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )
