"""achievements: the solve rollup (per player totals, per category counts, runs of days)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 04:30:00

The solve-reading processors re-derived each touched player's whole history at every tick (a tick after
10,000 solves of 8,000 players: 29.7 s in bench/achievements.py). The rollup is kept from new source
rows only (achievements/rollup.py); its first refresh fills it from the sources. Two indexes give a
player's CTF solves in time order, overall and per category (a day's first solve, the Nth solve).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

WRITE_XID = "write_xid xid8 NOT NULL DEFAULT pg_current_xact_id()"
# A player's rows in the tables without a foreign key go with their totals row (deleted with the player).
FORGET = """
CREATE FUNCTION achievement_solve_forget() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    DELETE FROM achievement_solve_categories WHERE user_id IN (SELECT user_id FROM gone);
    DELETE FROM achievement_solve_runs WHERE user_id IN (SELECT user_id FROM gone);
    DELETE FROM achievement_solve_changes WHERE user_id IN (SELECT user_id FROM gone);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "achievement_solve_totals",
        sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("verified", sa.Integer, nullable=False),
        sa.Column("ctf", sa.Integer, nullable=False),
        sa.Column("zone", sa.Text, nullable=False),
        sa.Column("game_platform_id", sa.Text, nullable=True),
        sa.Column("longest_run", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_run_first", sa.Date, nullable=True),
        sa.Column("last_run_last", sa.Date, nullable=True),
    )
    op.execute(f"ALTER TABLE achievement_solve_totals ADD COLUMN {WRITE_XID}")
    op.execute("CREATE TRIGGER stamp_write_xid BEFORE UPDATE ON achievement_solve_totals FOR EACH ROW"
               " EXECUTE FUNCTION stamp_write_xid()")  # fmt: skip
    op.execute("ALTER TABLE achievement_solve_totals SET (fillfactor = 80)")  # restamped by refreshes: HOT
    op.create_index("ix_achievement_solve_totals_game_platform_id", "achievement_solve_totals", ["game_platform_id"])
    op.create_table(
        "achievement_solve_categories",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("category", sa.Text, primary_key=True),
        sa.Column("solves", sa.Integer, nullable=False),
    )
    op.execute(f"ALTER TABLE achievement_solve_categories ADD COLUMN {WRITE_XID}")
    op.execute("ALTER TABLE achievement_solve_categories SET (fillfactor = 80)")
    op.execute("CREATE TRIGGER stamp_write_xid BEFORE UPDATE ON achievement_solve_categories FOR EACH ROW"
               " EXECUTE FUNCTION stamp_write_xid()")  # fmt: skip
    op.create_table(
        "achievement_solve_runs",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("first_day", sa.Date, primary_key=True),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("length", sa.Integer, nullable=False),
    )
    op.create_table(
        "achievement_solve_changes",
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(f"ALTER TABLE achievement_solve_changes ADD COLUMN {WRITE_XID}")
    op.create_index("ix_achievement_solve_changes_user_id", "achievement_solve_changes", ["user_id", "write_xid"])
    op.create_table("achievement_solve_consumed", sa.Column("row_key", sa.Text, primary_key=True))
    op.execute(f"ALTER TABLE achievement_solve_consumed ADD COLUMN {WRITE_XID}")
    op.create_index("ix_achievement_solve_consumed_write_xid", "achievement_solve_consumed", ["write_xid"])
    op.execute(FORGET)
    op.execute("CREATE TRIGGER achievement_solve_forget AFTER DELETE ON achievement_solve_totals"
               " REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION achievement_solve_forget()")  # fmt: skip
    # A tick rewrites a touched player's progress (steps, a streak's detail): room on the page keeps those
    # updates HOT (no index entries). Applies to pages written from now on.
    op.execute("ALTER TABLE achievement_progress SET (fillfactor = 80)")
    op.create_index("ix_challenge_solves_user_solved_at", "challenge_solves", ["syned_user_id", "solved_at"])
    op.create_index(
        "ix_challenge_solves_user_category",
        "challenge_solves",
        ["syned_user_id", sa.text("lower(btrim(category))"), "solved_at"],
    )


def downgrade() -> None:
    op.execute("ALTER TABLE achievement_progress RESET (fillfactor)")
    op.drop_index("ix_challenge_solves_user_category", table_name="challenge_solves")
    op.drop_index("ix_challenge_solves_user_solved_at", table_name="challenge_solves")
    op.execute("DROP TRIGGER achievement_solve_forget ON achievement_solve_totals")
    op.execute("DROP FUNCTION achievement_solve_forget()")
    for table in ("achievement_solve_consumed", "achievement_solve_changes", "achievement_solve_runs", "achievement_solve_categories",
                  "achievement_solve_totals"):  # fmt: skip
        op.drop_table(table)
