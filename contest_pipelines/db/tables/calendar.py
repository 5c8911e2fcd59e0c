"""Contest calendars (issue 10): the judges' contests, each judge's fetch history, players' preferences
and their ICS feed tokens."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from contest_pipelines.db.tables.base import NOW, TZ, metadata, write_xid_column

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
    write_xid_column(),
)
sa.Index("ix_calendar_feed_tokens_write_xid", calendar_feed_tokens.c.write_xid)

# A consent in flight: the single-use `state` of the Google consent URL, purged every 15 minutes once expired.
google_oauth_states = sa.Table(
    "google_oauth_states",
    metadata,
    sa.Column("state", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    sa.Column("expires_at", TZ, nullable=False),
)
sa.Index("ix_google_oauth_states_expires", google_oauth_states.c.expires_at)

# A player's Google connection: the refresh token sealed with AES-256-GCM (calendar/token_box.py), the
# calendar the pushes write to, and the push status the player sees.
google_accounts = sa.Table(
    "google_accounts",
    metadata,
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key_id", sa.Text, nullable=False),
    sa.Column("sealed_token", sa.LargeBinary, nullable=False),
    sa.Column("calendar_id", sa.Text, nullable=True),
    sa.Column("connected", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("last_synced_at", TZ, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("push_requested_at", TZ, nullable=True),
    sa.Column("connected_at", TZ, nullable=False, server_default=NOW),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
    write_xid_column(),
    sa.CheckConstraint("status IN ('pending', 'syncing', 'ok', 'error', 'disconnected')", name="status"),
)
sa.Index("ix_google_accounts_write_xid", google_accounts.c.write_xid)

# What each player's Google calendar holds, as last confirmed by Google: the event id (deterministic,
# so a retry can never duplicate) and the fingerprint of the body pushed; `deleted` once removed there.
calendar_pushes = sa.Table(
    "calendar_pushes",
    metadata,
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("judge", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("fingerprint", sa.Text, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("pushed_at", TZ, nullable=False, server_default=NOW),
)
