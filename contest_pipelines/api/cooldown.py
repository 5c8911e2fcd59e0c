"""A per-player cooldown taken in one atomic step (`SET NX EX`): the contest Sync and the calendar Sync."""

from datetime import UTC, datetime

import redis
from fastapi.responses import JSONResponse

from contest_pipelines.api.schemas import RateLimited


def take(r: redis.Redis, key: str, seconds: int) -> JSONResponse | None:
    """None when the cooldown was free (and is now taken), else the 429 with Retry-After to answer."""
    if r.set(key, datetime.now(UTC).isoformat(), nx=True, ex=seconds):
        return None
    retry_after = max(int(r.ttl(key)), 1)
    return JSONResponse(
        RateLimited(retryAfter=retry_after).model_dump(), status_code=429, headers={"Retry-After": str(retry_after)}
    )


def calendar_key(user_id: str) -> str:
    return f"ratelimit:calendar:{user_id}"
