"""Engine factory: one pooled SQLAlchemy engine per process and URL."""

from functools import lru_cache

import sqlalchemy as sa

from contest_pipelines.settings import sqlalchemy_url


@lru_cache(maxsize=8)
def get_engine(database_url: str) -> sa.Engine:
    return sa.create_engine(sqlalchemy_url(database_url), pool_pre_ping=True, pool_size=10, max_overflow=20)
