"""settlement writes: standings at fillfactor 80 (updates stay HOT), no room_results(user_id) index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:45:00

Applies to pages written from now on; `VACUUM FULL standings` (an exclusive lock) repacks an
existing table at the new fillfactor.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE standings SET (fillfactor = 80)")
    op.drop_index("ix_room_results_user", table_name="room_results")


def downgrade() -> None:
    op.create_index("ix_room_results_user", "room_results", ["user_id"])
    op.execute("ALTER TABLE standings RESET (fillfactor)")
