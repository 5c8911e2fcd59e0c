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
streak processors skip the others (readers.DIRTY_ROLLUP_STREAK). A player's last run lives on their totals
row only (it already did; the tick updates that row anyway): a new day extending it no longer deletes and
re-inserts a run row (~2,800 of them in that tick, 146 ms). `last_at` on the totals row and the change
log's `prior_total` / `prior_last_at` let a reader skip a player whose award was complete before a change
that came after every event it had counted (readers.DIRTY_ROLLUP_COUNT); a category's `last_at` and
`prior_last_at` do the same per category (readers.CHANGED_CATEGORIES). The rollup's checkpoint goes back
to the beginning: its next refresh rebuilds it (filling `last_at`), and its readers re-derive everyone.
`achievement_progress` at fillfactor 60: a tick updates ~40% of a tier's rows (8,000 of 20,000) and at 80
a page freshly written by a rebuild had room for ~10 new versions of its ~45 rows; the rest were not HOT
(the first tick's solves_1000 took 263 ms at 80, 208 at 60).
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
    op.add_column("achievement_solve_totals", sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("achievement_solve_categories", sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("achievement_solve_categories", sa.Column("prior_last_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("achievement_solve_changes", sa.Column("prior_total", sa.Integer, nullable=True))
    op.add_column("achievement_solve_changes", sa.Column("prior_last_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE achievement_checkpoints SET lower_xid = '0'::xid8 WHERE processor = 'solve_rollup'")
    op.execute("ALTER TABLE achievement_progress SET (fillfactor = 60)")  # pages written from now on
    op.execute("DELETE FROM achievement_solve_runs r USING achievement_solve_totals t"
               " WHERE r.user_id = t.user_id AND r.first_day = t.last_run_first")  # fmt: skip


def downgrade() -> None:
    op.execute("ALTER TABLE achievement_progress SET (fillfactor = 80)")
    op.execute("INSERT INTO achievement_solve_runs (user_id, first_day, last_day, length)"
               " SELECT user_id, last_run_first, last_run_last, last_run_last - last_run_first + 1"
               " FROM achievement_solve_totals WHERE last_run_first IS NOT NULL")  # fmt: skip
    op.execute("UPDATE achievement_checkpoints SET lower_xid = '0'::xid8 WHERE processor = 'solve_rollup'")
    op.drop_column("achievement_solve_changes", "prior_last_at")
    op.drop_column("achievement_solve_changes", "prior_total")
    op.drop_column("achievement_solve_totals", "last_at")
    op.drop_column("achievement_solve_categories", "prior_last_at")
    op.drop_column("achievement_solve_categories", "last_at")
    op.drop_column("achievement_solve_changes", "longest_grew")
    op.drop_index("ix_detections_user_problem", table_name="detections")
