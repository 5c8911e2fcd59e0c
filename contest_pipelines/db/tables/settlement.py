"""Settlement (seed 004): match results, room transitions, the ledger, room results and standings."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from contest_pipelines.db.tables.base import NOW, TZ, metadata, write_xid_column

LEDGER_STATUSES = ("applied", "skipped", "failed")
SCOPES = ("tournament", "league")

# What the match provider last said about a prediction room, and every status change we saw.
match_results = sa.Table(
    "match_results",
    metadata,
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("home_score", sa.Integer, nullable=True),
    sa.Column("away_score", sa.Integer, nullable=True),
    sa.Column("observed_at", TZ, nullable=False, server_default=NOW),
)

room_transitions = sa.Table(
    "room_transitions",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
    sa.Column("previous", sa.Text, nullable=True),
    sa.Column("current", sa.Text, nullable=False),
    sa.Column("result_hash", sa.Text, nullable=True),
    sa.Column("settlement_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("at", TZ, nullable=False, server_default=NOW),
)

# One row per settlement attempt of a room. `version` numbers the applied ones (unique per room): two
# racing settlements cannot both apply version N.
settlement_ledger = sa.Table(
    "settlement_ledger",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("idempotency_key", sa.Text, nullable=False),
    sa.Column("result_hash", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("members", sa.Integer, nullable=False, server_default="0"),
    sa.Column("changed_members", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("points_delta", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("db_ms", sa.Float, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("dagster_run_id", sa.Text, nullable=True),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    # An applied version's first place (highest points, earliest last scoring; ties share it): the history
    # the room_winner achievement reads, so a correction never erases who won the earlier version.
    sa.Column("winners", ARRAY(sa.Text), nullable=True),
    write_xid_column(),
    sa.UniqueConstraint("room_id", "version", name="uq_settlement_ledger_room_version"),
    sa.UniqueConstraint("idempotency_key", name="uq_settlement_ledger_idempotency_key"),
    sa.CheckConstraint(f"status IN {LEDGER_STATUSES!r}", name="status"),
    sa.CheckConstraint("(status = 'applied') = (version IS NOT NULL)", name="version_iff_applied"),
)

sa.Index("ix_settlement_ledger_write_xid", settlement_ledger.c.write_xid)

# The result of a room as last applied: what a correction is compared against.
room_results = sa.Table(
    "room_results",
    metadata,
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("last_scored_at", TZ, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
)
# No index on user_id alone: every read names the room (the recompute of a scope's last scoring time
# looks up (room, user) pairs through the primary key), and a second index costs each settlement's inserts.

# Tournament and league standings: the source of truth the Redis boards project.
standings = sa.Table(
    "standings",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("scope_id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("points", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_scored_at", TZ, nullable=True),
    sa.CheckConstraint(f"scope IN {SCOPES!r}", name="scope"),
    # Room on every page for the new version of each row a settlement rewrites, so the update stays
    # HOT (no index entries): at fillfactor 100 a third of a 50k settlement's updates were not HOT
    # and the standings upsert took up to twice as long (bench/settlement.py, migration 0004).
    postgresql_with={"fillfactor": 80},
)
# No index on points or last_scored_at on purpose: settlements rewrite them for every member, and an
# index on either would make each of those updates non-HOT (measured: the main cost of a 50k settle).
