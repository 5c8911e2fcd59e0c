"""Contest calendars (issue 10): the judges' contests, each judge's fetch history, players' preferences
and their ICS feed tokens."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from contest_pipelines.db.tables.base import NOW, TZ, metadata

# One row per (judge, key) ever listed. `sequence` rises with every change a player sees (ICS SEQUENCE,
# Google's update); `changed_at` is when that last happened (DTSTAMP). An upcoming contest missing from
# successful fetches gets `missing_since`, and `removed_at` (a tombstone calendars cancel) after 3 hours.
judge_contests = sa.Table(
    "judge_contests",
    metadata,
    sa.Column("judge", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("start_at", TZ, nullable=False),
    sa.Column("end_at", TZ, nullable=False),
    sa.Column("kind", sa.Text, nullable=True),
    sa.Column("raw", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_seen_at", TZ, nullable=False, server_default=NOW),
    sa.Column("last_seen_at", TZ, nullable=False, server_default=NOW),
    sa.Column("changed_at", TZ, nullable=False, server_default=NOW),
    sa.Column("missing_since", TZ, nullable=True),
    sa.Column("removed_at", TZ, nullable=True),
    sa.CheckConstraint("end_at >= start_at", name="ends_after_start"),
)
sa.Index("ix_judge_contests_start", judge_contests.c.start_at)

# Every fetch of a judge's list, kept for the asset check's baseline and the runbook.
judge_fetches = sa.Table(
    "judge_fetches",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("judge", sa.Text, nullable=False),
    sa.Column("fetched_at", TZ, nullable=False, server_default=NOW),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("upcoming", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("run_id", sa.Text, nullable=True),
)
sa.Index("ix_judge_fetches_judge", judge_fetches.c.judge, judge_fetches.c.fetched_at.desc())

calendar_preferences = sa.Table(
    "calendar_preferences",
    metadata,
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("judges", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("max_duration_hours", sa.Integer, nullable=True),
    sa.Column("reminder_minutes", sa.Integer, nullable=True),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
    sa.CheckConstraint("max_duration_hours IS NULL OR max_duration_hours > 0", name="max_duration_positive"),
    sa.CheckConstraint("reminder_minutes IS NULL OR reminder_minutes >= 0", name="reminder_not_negative"),
)

# The secret in a player's feed URL: calendar apps subscribe without a login. Rotating replaces it.
calendar_feed_tokens = sa.Table(
    "calendar_feed_tokens",
    metadata,
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("token", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
)
