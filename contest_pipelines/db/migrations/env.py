"""Alembic environment: runs migrations against the URL the caller put in the config."""

from alembic import context

from contest_pipelines.db.engine import get_engine
from contest_pipelines.db.tables import metadata

config = context.config


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
