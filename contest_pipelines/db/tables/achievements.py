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
    # A tick rewrites a touched player's steps and detail (~40% of a tier's rows in the bench tick); room on
    # the page keeps those updates HOT (migration 0012).
    postgresql_with={"fillfactor": 60},
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

# The solve rollup (achievements/rollup.py): what the solve-reading processors derive from instead of
# every solve a player ever made, kept from new source rows only; a rebuild fills it from one scan of the
# sources. Per player: verified problems and CTF solves, and the zone and game platform id they were
# counted with (a change of either re-derives the player). Stamped on every change: the processors' dirty set.
achievement_solve_totals = sa.Table(
    "achievement_solve_totals",
    metadata,
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("verified", sa.Integer, nullable=False),
    sa.Column("ctf", sa.Integer, nullable=False),
    sa.Column("zone", sa.Text, nullable=False),
    sa.Column("game_platform_id", sa.Text, nullable=True),
    # Their longest run of days and their last one (the streaks' progress; the current streak at read time).
    sa.Column("longest_run", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_run_first", sa.Date, nullable=True),
    sa.Column("last_run_last", sa.Date, nullable=True),
    # The latest event counted (an upper bound): no award of theirs completed after it.
    sa.Column("last_at", TZ, nullable=True),
    write_xid_column(),  # also stamped on update (trigger stamp_write_xid)
    postgresql_with={"fillfactor": 80},  # rewritten by every refresh that changes the player: HOT updates
)
# No index on write_xid: each refresh restamps every player it changes, and an indexed column would make
# every one of those updates a new index entry in each index (not HOT); the readers scan the table instead.
sa.Index("ix_achievement_solve_totals_game_platform_id", achievement_solve_totals.c.game_platform_id)
# The tables below hold no foreign key (a check per row made a rebuild's millions of inserts slow): a
# player's rows go with their totals row (trigger achievement_solve_forget, migration 0011).
# CTF solves per category as the vendor names it, trimmed and lower-cased (blank ones are not counted).
achievement_solve_categories = sa.Table(
    "achievement_solve_categories",
    metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("category", sa.Text, primary_key=True),
    sa.Column("solves", sa.Integer, nullable=False),
    # The latest solve counted in it, and what that was before its latest change (NULL: none, or unknown).
    sa.Column("last_at", TZ, nullable=True),
    sa.Column("prior_last_at", TZ, nullable=True),
    write_xid_column(),  # also stamped on update: the categories a tick looks at
    postgresql_with={"fillfactor": 80},
)
# Finished runs of consecutive local days (the player's zone) with a solve of either kind: gaps and
# islands. Every run but the player's last, which is on their totals row (a tick extends it there).
achievement_solve_runs = sa.Table(
    "achievement_solve_runs",
    metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("first_day", sa.Date, primary_key=True),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("length", sa.Integer, nullable=False),
)
# One row per player per refresh that changed them, with the earliest event time among the new rows
# (NULL: no time of its own, a zone change): lets a processor keep a completion no new event precedes.
# Pruned below every solve processor's checkpoint.
achievement_solve_changes = sa.Table(
    "achievement_solve_changes",
    metadata,
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("at", TZ, nullable=True),
    # The player's longest run of days grew (true when unknown: re-derived whole, a rebuild).
    sa.Column("longest_grew", sa.Boolean, nullable=False, server_default=sa.true()),
    # Their solves counted and latest event counted before the change (NULL when unknown).
    sa.Column("prior_total", sa.Integer, nullable=True),
    sa.Column("prior_last_at", TZ, nullable=True),
    write_xid_column(),
)
sa.Index(
    "ix_achievement_solve_changes_user_id", achievement_solve_changes.c.user_id, achievement_solve_changes.c.write_xid
)
# No index on write_xid alone: the planner, which cannot know how many rows are above a fresh checkpoint,
# chose it for a per-player probe and scanned every new row once per player.
# Source rows a refresh counted above its horizon (read again by the next one, skipped then), by key
# ('c:<syned user>:<solve id>', 'd:<detection id>'); deleted once the checkpoint passes them.
achievement_solve_consumed = sa.Table(
    "achievement_solve_consumed",
    metadata,
    sa.Column("row_key", sa.Text, primary_key=True),
    write_xid_column(),
)
sa.Index("ix_achievement_solve_consumed_write_xid", achievement_solve_consumed.c.write_xid)
