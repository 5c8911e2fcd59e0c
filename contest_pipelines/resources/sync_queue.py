"""Sync-queue resource: the PostgreSQL database plus the retry policy of the durable sync queue."""

from contest_pipelines.player_sync.worker import Policy
from contest_pipelines.resources.postgres import PostgresResource


class SyncQueueResource(PostgresResource):
    """The `sync_requests` queue in PostgreSQL and how its requests are retried."""

    retry_base_seconds: float = 5.0
    max_attempts: int = 4
    recheck_seconds: float = 5.0
    deadline_seconds: float = 300.0
    batch_size: int = 200
    push_grace_seconds: float = 15.0
    stream_maxlen: int = 1000  # EVENTS_STREAM_MAXLEN: the worker caps the players' streams as the API does

    def policy(self) -> Policy:
        """The worker's retry policy, from this resource's configuration."""
        return Policy(
            retry_base_seconds=self.retry_base_seconds,
            max_attempts=self.max_attempts,
            recheck_seconds=self.recheck_seconds,
            deadline_seconds=self.deadline_seconds,
            stream_maxlen=self.stream_maxlen,
        )
