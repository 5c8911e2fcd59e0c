"""Codeforces resource: builds the paced, circuit-protected client for a run or a sensor tick."""

from datetime import datetime

import dagster as dg
import redis

from contest_pipelines.clients.codeforces import (
    CodeforcesClient,
    breaker_storage,
    circuit_open_until,
    circuit_opened_by_call_limit,
)
from contest_pipelines.settings import REAL_CODEFORCES_API_URL


class CodeforcesResource(dg.ConfigurableResource):
    """Codeforces API access shared across processes through Redis (pacing and circuit breaker)."""

    base_url: str = REAL_CODEFORCES_API_URL
    redis_url: str
    min_interval_seconds: float = 2.0
    circuit_seconds: int = 30
    timeout_seconds: float = 10.0

    def client(self) -> CodeforcesClient:
        return CodeforcesClient(
            self.base_url,
            self.redis_url,
            min_interval_seconds=self.min_interval_seconds,
            circuit_seconds=self.circuit_seconds,
            timeout_seconds=self.timeout_seconds,
        )

    def circuit_open_until(self) -> datetime | None:
        """Reads only the circuit's Redis state: a sensor tick asks this every 2 s and needs no HTTP client."""
        return self.circuit_state()[0]

    def circuit_state(self) -> tuple[datetime | None, bool]:
        """(when the circuit closes or None, whether a call limit opened it), from Redis alone."""
        client = redis.Redis.from_url(self.redis_url, decode_responses=False)
        try:
            until = circuit_open_until(breaker_storage(client), self.circuit_seconds)
            return until, until is not None and circuit_opened_by_call_limit(client)
        finally:
            client.close()
