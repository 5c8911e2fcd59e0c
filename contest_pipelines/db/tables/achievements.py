"""Achievements (issue 11, seed 003): the catalog, players' progress, and each processor's checkpoint."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, TEXT

from contest_pipelines.db.tables.base import NOW, TZ, Xid8, metadata, write_xid_column

# Seeded and kept in step by migrations (INSERT ... ON CONFLICT DO UPDATE); the processors read it.
achievements = sa.Table(
    "achievements",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("step_count", sa.Integer, nullable=False),
    sa.Column("amount", sa.Integer, nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("starts_at", TZ, nullable=True),  # events before it do not count; null: history counts
    sa.Column("gated_on", sa.Text, sa.ForeignKey("achievements.id"), nullable=True),
    sa.Column("repeat_key", sa.Text, nullable=False, server_default="user"),
    sa.CheckConstraint("kind IN ('boolean', 'numeric', 'streak', 'per_object', 'weekly_rank')", name="kind"),
    sa.CheckConstraint("step_count >= 1", name="step_count_positive"),
)

# One row per award: (achievement, specifier), the specifier naming the player and, for repeatable
# awards, the object or period. Completion is sticky: completed_at and amount never change once set.
achievement_progress = sa.Table(
    "achievement_progress",
    metadata,
    sa.Column("achievement_id", sa.Text, sa.ForeignKey("achievements.id"), primary_key=True),
    sa.Column("specifier", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("current_step", sa.Integer, nullable=False, server_default="0"),
    sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("completed_at", TZ, nullable=True),  # the source event's time, not the processor's
    sa.Column("amount", sa.Integer, nullable=True),
    # What else the player sees with it: a streak's longest and last run, a weekly rank and points.
    sa.Column("detail", JSONB, nullable=True),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
)
sa.Index("ix_achievement_progress_user", achievement_progress.c.user_id)

# Per processor: every source row written by a transaction below `lower_xid` has been consumed.
achievement_checkpoints = sa.Table(
    "achievement_checkpoints",
    metadata,
    sa.Column("processor", TEXT, primary_key=True),
    sa.Column("lower_xid", Xid8, nullable=False, server_default=sa.text("'0'::xid8")),
    sa.Column("last_run_at", TZ, nullable=True),
    sa.Column("last_players", sa.Integer, nullable=True),
    sa.Column("last_changed", sa.Integer, nullable=True),
    sa.Column("last_completed", sa.Integer, nullable=True),
    sa.Column("last_duration_ms", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("clock_at", TZ, nullable=True),  # the last tick's clock: awards time makes due (a week ending)
)

# Every completion ever recorded, written once (ON CONFLICT DO NOTHING) in the tick that completed it:
# what the stickiness check compares progress with, and what `achievement.completed` is published from.
achievement_completions = sa.Table(
    "achievement_completions",
    metadata,
    sa.Column("achievement_id", sa.Text, sa.ForeignKey("achievements.id"), primary_key=True),
    sa.Column("specifier", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("completed_at", TZ, nullable=False),
    sa.Column("amount", sa.Integer, nullable=True),
    sa.Column("recorded_at", TZ, nullable=False, server_default=NOW),
    write_xid_column(),  # a gated tier reads its gate's completions since its checkpoint
)
sa.Index(
    "ix_achievement_completions_write_xid",
    achievement_completions.c.achievement_id,
    achievement_completions.c.write_xid,
)
