"""Engine factory: one pooled SQLAlchemy engine per process and URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa

from contest_pipelines.settings import sqlalchemy_url


@lru_cache(maxsize=8)
def get_engine(database_url: str) -> sa.Engine:
    return sa.create_engine(sqlalchemy_url(database_url), pool_pre_ping=True, pool_size=10, max_overflow=20)


@contextmanager
def hash_joins(conn: sa.Connection) -> Iterator[None]:
    """Within the caller's transaction: plan joins without nested loops while the block runs.

    For statements that read a whole room or scope. Right after a bulk load (a 50k-member room loaded
    and settled before autovacuum analyzes it) the statistics say the room has one member, and the
    planner picks a nested loop that rescans the room for every member: quadratic, minutes at 50k.
    Hash and merge joins are linear whatever the estimates; they are the right plan for these reads
    anyway."""
    conn.execute(sa.text("SET LOCAL enable_nestloop = off"))
    try:
        yield
    finally:
        conn.execute(sa.text("SET LOCAL enable_nestloop TO DEFAULT"))
