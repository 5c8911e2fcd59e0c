"""PostgreSQL resource: the product database (source of truth) for assets and sensors."""

import dagster as dg
import sqlalchemy as sa

from contest_pipelines.db.engine import get_engine


class PostgresResource(dg.ConfigurableResource):
    """The contest_pipelines database."""

    database_url: str

    def engine(self) -> sa.Engine:
        return get_engine(self.database_url)
