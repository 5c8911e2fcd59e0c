"""The CTF game platform (seed 001): onboarding, challenge solves, Flash CTF events, sync state, totals, runs."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from contest_pipelines.db.tables.base import NOW, TZ, metadata, write_xid_column

# A coach's request to add a competitor to the game platform, processed by onboarding_job.
onboarding_requests = sa.Table(
    "onboarding_requests",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("coach_id", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("requested_at", TZ, nullable=False, server_default=NOW),
    sa.Column("processed_at", TZ, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'done', 'refused', 'failed')", name="status"),
)
sa.Index(
    "ix_onboarding_requests_pending",
    onboarding_requests.c.requested_at,
    postgresql_where=onboarding_requests.c.status == "pending",
)

challenge_solves = sa.Table(
    "challenge_solves",
    metadata,
    sa.Column("syned_user_id", sa.Text, primary_key=True),
    sa.Column("challenge_solve_id", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("challenge_id", sa.Text, nullable=True),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("category", sa.Text, nullable=True),
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("solved_at", TZ, nullable=False),
    sa.Column("raw", JSONB, nullable=True),
    sa.Column("ingested_at", TZ, nullable=False, server_default=NOW),
    write_xid_column(),
    sa.CheckConstraint("source IN ('odl', 'flash_ctf')", name="source"),
)
sa.Index("ix_challenge_solves_solved_at", challenge_solves.c.solved_at)

flash_ctf_events = sa.Table(
    "flash_ctf_events",
    metadata,
    sa.Column("syned_user_id", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("challenges_solved", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_earned", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rank", sa.Integer, nullable=True),
    sa.Column("starts_at", TZ, nullable=True),
    sa.Column("ends_at", TZ, nullable=True),
    sa.Column("raw", JSONB, nullable=True),
    sa.Column("synced_at", TZ, nullable=False, server_default=NOW),
    write_xid_column(),
)
sa.Index("ix_flash_ctf_events_event", flash_ctf_events.c.event_id)
sa.Index("ix_flash_ctf_events_write_xid", flash_ctf_events.c.write_xid)

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("syned_user_id", sa.Text, primary_key=True),
    sa.Column("last_odl_synced_at", TZ, nullable=True),
    sa.Column("last_flash_synced_at", TZ, nullable=True),
    sa.Column("last_attempt_at", TZ, nullable=True),
    sa.Column("last_result", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("needs_totals_refresh", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("activity_tier", sa.Text, nullable=False, server_default="active"),
    sa.Column("last_activity_at", TZ, nullable=True),
    sa.Column("next_due_at", TZ, nullable=False, server_default=NOW),
)
sa.Index("ix_sync_state_due", sync_state.c.next_due_at)
sa.Index("ix_sync_state_refresh", sync_state.c.syned_user_id, postgresql_where=sync_state.c.needs_totals_refresh)

player_totals = sa.Table(
    "player_totals",
    metadata,
    sa.Column("syned_user_id", sa.Text, primary_key=True),
    sa.Column("challenges_completed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_score", sa.Integer, nullable=False, server_default="0"),
    sa.Column("monthly_ctf_challenges", sa.Integer, nullable=False, server_default="0"),
    sa.Column("refreshed_at", TZ, nullable=False, server_default=NOW),
)

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("job", sa.Text, nullable=False),
    sa.Column("dagster_run_id", sa.Text, nullable=True),
    sa.Column("started_at", TZ, nullable=False, server_default=NOW),
    sa.Column("finished_at", TZ, nullable=True),
    sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("with_new_data", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("api_calls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("duration_ms", sa.Float, nullable=True),
    sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("batch", JSONB, nullable=True),
)
sa.Index("ix_sync_runs_started", sync_runs.c.started_at)

sa.Index("ix_challenge_solves_write_xid", challenge_solves.c.write_xid)
# A player's solves in time order (a day's solves, the Nth solve), and per category (the Nth in one):
# the achievement rollup's reads (migration 0011).
sa.Index("ix_challenge_solves_user_solved_at", challenge_solves.c.syned_user_id, challenge_solves.c.solved_at)
sa.Index(
    "ix_challenge_solves_user_category",
    challenge_solves.c.syned_user_id,
    sa.func.lower(sa.func.btrim(challenge_solves.c.category)),
    challenge_solves.c.solved_at,
)
