"""Player sync (seed 000): the durable request queue and the detections it credits."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from contest_pipelines.db.tables.base import NOW, TZ, metadata, write_xid_column

SYNC_STATUSES = ("queued", "running", "detected", "failed", "dead")

# The durable queue behind POST /api/contests/sync. `generation` grows each time a request becomes
# due again (re-check or retry), so the sensor's run keys never collide with an earlier dispatch.
sync_requests = sa.Table(
    "sync_requests",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True, server_default=sa.text("gen_random_uuid()")),
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("team_id", sa.Text, nullable=True),
    sa.Column("cf_handle", sa.Text, nullable=False),
    sa.Column("problem_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rechecks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", TZ, nullable=False, server_default=NOW),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("position", sa.Integer, nullable=False, server_default="1"),
    sa.Column("dagster_run_id", sa.Text, nullable=True),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
    sa.Column("finished_at", TZ, nullable=True),
    sa.CheckConstraint(f"status IN {SYNC_STATUSES!r}", name="status"),
)
sa.Index("ix_sync_requests_due", sync_requests.c.next_attempt_at, postgresql_where=sync_requests.c.status == "queued")
sa.Index(
    "ix_sync_requests_handle_due",
    sa.func.lower(sync_requests.c.cf_handle),
    postgresql_where=sync_requests.c.status == "queued",
)
sa.Index(
    "ix_sync_requests_handle_running",
    sa.func.lower(sync_requests.c.cf_handle),
    postgresql_where=sync_requests.c.status == "running",
)
sa.Index(
    "ix_sync_requests_waiting",
    sync_requests.c.created_at,
    postgresql_where=sync_requests.c.status.in_(("queued", "running")),
)
sa.Index("ix_sync_requests_user", sync_requests.c.user_id, sync_requests.c.created_at)
sa.Index("ix_sync_requests_run", sync_requests.c.dagster_run_id, postgresql_where=sync_requests.c.status == "running")

# The internal `sync.detected` record: a solve is credited once per room, player and problem, and one
# Codeforces submission is credited once per room.
detections = sa.Table(
    "detections",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("team_id", sa.Text, nullable=True),
    sa.Column("problem_id", sa.Text, nullable=False),
    sa.Column("cf_submission_id", sa.BigInteger, nullable=False),
    sa.Column("cf_timestamp", sa.BigInteger, nullable=False),
    sa.Column("verdict", sa.Text, nullable=False, server_default="OK"),
    sa.Column("points_awarded", sa.Integer, nullable=True),
    sa.Column("request_id", UUID(as_uuid=False), nullable=True),
    sa.Column("raw", JSONB, nullable=True),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    write_xid_column(),
    sa.UniqueConstraint("room_id", "user_id", "problem_id", name="uq_detections_room_user_problem"),
    sa.UniqueConstraint("room_id", "cf_submission_id", name="uq_detections_room_submission"),
)

sa.Index("ix_detections_write_xid", detections.c.write_xid)
sa.Index("ix_detections_user_id", detections.c.user_id, detections.c.cf_timestamp)  # achievements read per player
# Has the player verified this problem before; their first verification of each (achievements).
sa.Index("ix_detections_user_problem", detections.c.user_id, detections.c.problem_id, detections.c.cf_timestamp)
