"""achievement completions: every completion recorded once, for the stickiness check and the events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "achievement_completions",
        sa.Column("achievement_id", sa.Text(), nullable=False),
        sa.Column("specifier", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["achievement_id"], ["achievements.id"],
                                name=op.f("fk_achievement_completions_achievement_id_achievements")),
        sa.ForeignKeyConstraint(["user_id"], ["players.user_id"], ondelete="CASCADE",
                                name=op.f("fk_achievement_completions_user_id_players")),
        sa.PrimaryKeyConstraint("achievement_id", "specifier", name=op.f("pk_achievement_completions")),
    )
    # Completions recorded before this table existed.
    op.execute(
        "INSERT INTO achievement_completions (achievement_id, specifier, user_id, completed_at, amount)"
        " SELECT achievement_id, specifier, user_id, completed_at, amount FROM achievement_progress WHERE complete"
    )


def downgrade() -> None:
    op.drop_table("achievement_completions")
