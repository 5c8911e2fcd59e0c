"""achievements: a player's verified problems by index; the change log says when a longest run grew;
the runs table holds finished runs only

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 08:00:00

A refresh asks, for each new detection, whether the player had verified that problem before: with only
(user_id, cf_timestamp) that read every detection of the player (78 ms of a 10,000-solve tick in
bench/achievements.py); (user_id, problem_id, cf_timestamp) answers it, and a player's first verification
of each problem, from the index alone. `longest_grew` on the change log: the player's longest run of days
grew with that change (true for a change whose effect is unknown: re-derived whole, a rebuild); the
streak processors skip the others (sources.DIRTY_ROLLUP_STREAK). A player's last run lives on their totals
row only (it already did; the tick updates that row anyway): a new day extending it no longer deletes and
re-inserts a run row (~2,800 of them in that tick, 146 ms).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_detections_user_problem", "detections", ["user_id", "problem_id", "cf_timestamp"])
    op.add_column(
        "achievement_solve_changes",
        sa.Column("longest_grew", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.execute("DELETE FROM achievement_solve_runs r USING achievement_solve_totals t"
               " WHERE r.user_id = t.user_id AND r.first_day = t.last_run_first")  # fmt: skip


def downgrade() -> None:
    op.execute("INSERT INTO achievement_solve_runs (user_id, first_day, last_day, length)"
               " SELECT user_id, last_run_first, last_run_last, last_run_last - last_run_first + 1"
               " FROM achievement_solve_totals WHERE last_run_first IS NOT NULL")  # fmt: skip
    op.drop_column("achievement_solve_changes", "longest_grew")
    op.drop_index("ix_detections_user_problem", table_name="detections")
