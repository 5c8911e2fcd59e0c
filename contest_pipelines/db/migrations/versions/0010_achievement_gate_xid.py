"""achievements: completions stamped with their writer's transaction id; team_members by player

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 02:00:00

A gated tier looks only at the gate's completions written since its own checkpoint (it re-derived
every player waiting on a gate at every tick: 20,000 players, 6 s, in bench/achievements.py). The
profile reads a player's teams by player.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE achievement_completions ADD COLUMN write_xid xid8 NOT NULL DEFAULT pg_current_xact_id()")
    op.create_index("ix_achievement_completions_write_xid", "achievement_completions", ["achievement_id", "write_xid"])
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_team_members_user_id", table_name="team_members")
    op.drop_index("ix_achievement_completions_write_xid", table_name="achievement_completions")
    op.drop_column("achievement_completions", "write_xid")
