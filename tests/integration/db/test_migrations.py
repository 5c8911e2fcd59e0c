"""The Alembic migration matches the SQLAlchemy tables and downgrades cleanly."""

import uuid

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from contest_pipelines.db.engine import get_engine
from contest_pipelines.db.migrate import alembic_config, upgrade
from contest_pipelines.db.tables import metadata
from tests.conftest import _with_path


def test_migrated_schema_has_no_drift_from_the_tables(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_upgrade_downgrade_upgrade_round_trip(pg_server_url):
    from contest_pipelines.embedded import create_database, drop_database

    name = f"cp_test_mig_{uuid.uuid4().hex[:8]}"
    create_database(pg_server_url, name)
    url = _with_path(pg_server_url, f"/{name}")
    try:
        upgrade(url)
        command.downgrade(alembic_config(url), "base")
        with get_engine(url).connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) == {"alembic_version"}
        upgrade(url)
        with get_engine(url).connect() as conn:
            assert {"sync_requests", "detections", "rooms"} <= set(sa.inspect(conn).get_table_names())
    finally:
        get_engine(url).dispose()
        drop_database(pg_server_url, name)
