"""achievements, second set: streaks, category specialist, Flash CTF, room winner, weekly top 10, profile

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 01:10:00

Stamps every further source the processors read with its writer's transaction id (`write_xid`): on
insert by the column default, on update by the `stamp_write_xid` trigger (a player changing their time
zone, a Flash CTF row re-synced, a feed token rotated, a Google account reconnected). The settlement
ledger records each applied version's first place (`winners`), so a room winner's award is derived from
the ledger's history, not from whoever leads after a correction. Progress rows gain `detail` (a streak's
current and longest run, a weekly rank), checkpoints a `clock_at` for the awards time makes due.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = ("id", "name", "description", "kind", "step_count", "amount", "gated_on", "repeat_key")
CATALOG = [
    ("streak_7", "7-day streak", "Solve something (Codeforces or CTF) seven days in a row, in your own time zone.",
     "streak", 7, 50, None, "user"),
    ("streak_30", "30-day streak", "Solve something thirty days in a row, in your own time zone.", "streak", 30, 250,
     None, "user"),
    ("category_specialist", "Category specialist", "Ten CTF solves in one category (one award per category).",
     "per_object", 10, 50, None, "user:category"),
    ("flash_ctf_participant", "Flash CTF participant", "Take part in a Flash CTF event (one award per event).",
     "per_object", 1, 20, None, "user:event"),
    ("room_winner", "Room winner", "First place in a settled room (one award per room).", "per_object", 1, 100, None,
     "user:room"),
    ("weekly_top10", "Weekly top 10", "Top 10 of a tournament's points for an ISO week (UTC), awarded once the week "
     "has ended: 3x for first, 2x for second and third.", "weekly_rank", 1, 100, None, "user:tournament:week"),
    ("profile_complete", "Profile complete", "Codeforces handle linked, on the game platform, in a team, a first "
     "verified solve, and a calendar connected.", "numeric", 5, 25, None, "user"),
]
# Sources stamped here: (table, whether updates matter to a processor).
SOURCES = ("flash_ctf_events", "settlement_ledger", "players", "team_members", "google_accounts",
           "calendar_feed_tokens")
STAMPED_ON_UPDATE = ("detections", "challenge_solves", *SOURCES)


def seed(catalog) -> None:
    table = sa.table("achievements", *(sa.column(c) for c in COLUMNS))
    stmt = postgresql.insert(table).values([dict(zip(COLUMNS, r)) for r in catalog])
    op.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={c: stmt.excluded[c] for c in COLUMNS[1:]}))


def upgrade() -> None:
    op.execute(
        "CREATE FUNCTION stamp_write_xid() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN NEW.write_xid := pg_current_xact_id(); RETURN NEW; END $$"
    )
    for table in SOURCES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN write_xid xid8 NOT NULL DEFAULT pg_current_xact_id()")
        op.create_index(f"ix_{table}_write_xid", table, ["write_xid"])
    for table in STAMPED_ON_UPDATE:
        op.execute(f"CREATE TRIGGER stamp_write_xid BEFORE UPDATE ON {table} FOR EACH ROW"
                   " EXECUTE FUNCTION stamp_write_xid()")  # fmt: skip
    # Per-player reads of verified solves (the solve counts, streaks and the profile's first solve).
    op.create_index("ix_detections_user_id", "detections", ["user_id", "cf_timestamp"])
    op.add_column("team_members", sa.Column("joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                                            nullable=False))  # fmt: skip
    op.add_column("settlement_ledger", sa.Column("winners", postgresql.ARRAY(sa.Text()), nullable=True))
    # The latest applied version of each room already settled: its first place, as room_results says.
    op.execute(
        "UPDATE settlement_ledger l SET winners = w.users FROM ("
        "  SELECT room_id, array_agg(user_id ORDER BY user_id) AS users FROM ("
        "    SELECT room_id, user_id, rank() OVER (PARTITION BY room_id ORDER BY points DESC,"
        "      last_scored_at ASC NULLS LAST) AS r, points FROM room_results) ranked"
        "  WHERE r = 1 AND points > 0 GROUP BY room_id) w,"
        " (SELECT room_id, max(version) AS version FROM settlement_ledger WHERE status = 'applied' GROUP BY room_id) v"
        " WHERE l.room_id = w.room_id AND l.room_id = v.room_id AND l.version = v.version"
    )
    op.add_column("achievement_progress", sa.Column("detail", postgresql.JSONB(), nullable=True))
    op.add_column("achievement_checkpoints", sa.Column("clock_at", sa.DateTime(timezone=True), nullable=True))
    seed(CATALOG)


def downgrade() -> None:
    ids = ", ".join(f"'{r[0]}'" for r in CATALOG)
    for table in ("achievement_completions", "achievement_progress"):
        op.execute(f"DELETE FROM {table} WHERE achievement_id IN ({ids})")
    op.execute(f"DELETE FROM achievement_checkpoints WHERE processor IN ({ids})")
    op.execute(f"DELETE FROM achievements WHERE id IN ({ids})")
    op.drop_column("achievement_checkpoints", "clock_at")
    op.drop_column("achievement_progress", "detail")
    op.drop_column("settlement_ledger", "winners")
    op.drop_column("team_members", "joined_at")
    op.drop_index("ix_detections_user_id", table_name="detections")
    for table in STAMPED_ON_UPDATE:
        op.execute(f"DROP TRIGGER stamp_write_xid ON {table}")
    for table in SOURCES:
        op.drop_index(f"ix_{table}_write_xid", table_name=table)
        op.drop_column(table, "write_xid")
    op.execute("DROP FUNCTION stamp_write_xid()")
