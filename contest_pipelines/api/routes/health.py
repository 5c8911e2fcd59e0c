"""GET /healthz (the process is up) and GET /readyz (PostgreSQL and Redis answer)."""

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contest_pipelines.api.deps import DbEngine, RedisDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    status: str = Field(examples=["ready", "not_ready"])
    checks: dict[str, str] = Field(examples=[{"postgres": "ok", "redis": "error: ConnectionError"}])


@router.get("/healthz")
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "a dependency does not answer"}},
)
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
