"""Redis resource: event streams, sync-state hashes, board projections and the cleanup's stream trims."""

import dagster as dg
import redis


class RedisResource(dg.ConfigurableResource):
    """A Redis connection pool; Redis holds only what can be lost or rebuilt."""

    redis_url: str

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, decode_responses=True)
