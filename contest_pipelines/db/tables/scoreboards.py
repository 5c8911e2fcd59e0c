"""Board versions: what a Redis projection must reflect to be current."""

import sqlalchemy as sa

from contest_pipelines.db.tables.base import metadata

# Bumped in the transaction of every change to a board's source data; a Redis board is current only
# while it says it reflects this version.
board_versions = sa.Table(
    "board_versions",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("scope_id", sa.Text, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
)
