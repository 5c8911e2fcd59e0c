"""Sync-queue resource: the PostgreSQL engine plus the retry policy of the durable sync queue."""

import dagster as dg
import sqlalchemy as sa

from contest_pipelines.db.engine import get_engine


class SyncQueueResource(dg.ConfigurableResource):
    """The `sync_requests` queue in PostgreSQL and how its requests are retried."""

    database_url: str
    retry_base_seconds: float = 5.0
    max_attempts: int = 4
    recheck_seconds: float = 5.0
    deadline_seconds: float = 900.0
    batch_size: int = 200

    def engine(self) -> sa.Engine:
        return get_engine(self.database_url)
