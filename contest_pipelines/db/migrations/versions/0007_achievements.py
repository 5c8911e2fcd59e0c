"""achievements: catalog (seeded), progress, checkpoints; write_xid on the solve tables; players.time_zone

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:45:00

The catalog rows are seeded here and kept in step by later migrations with the same
INSERT ... ON CONFLICT (id) DO UPDATE (docs/achievements.md). `write_xid` stamps each solve with its
writer's transaction id, so a processor's checkpoint never skips a row that commits late; adding it
rewrites the two tables once (the default is volatile).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# id, name, description, kind, step_count, amount, gated_on, repeat_key
CATALOG = [
    ("first_verified_solve", "First verified solve", "Solve a problem on Codeforces and have it verified here.",
     "boolean", 1, 10, None, "user"),
    ("first_ctf_solve", "First CTF solve", "Solve a challenge on the CTF game platform.", "boolean", 1, 10, None,
     "user"),
    ("solves_10", "10 solves", "Ten solves, verified Codeforces and CTF together.", "numeric", 10, 25, None, "user"),
    ("solves_100", "100 solves", "A hundred solves, verified Codeforces and CTF together.", "numeric", 100, 100,
     "solves_10", "user"),
    ("solves_1000", "1,000 solves", "A thousand solves, verified Codeforces and CTF together.", "numeric", 1000, 1000,
     "solves_100", "user"),
]


def seed(catalog) -> None:
    table = sa.table(
        "achievements",
        *(sa.column(c) for c in ("id", "name", "description", "kind", "step_count", "amount", "gated_on", "repeat_key")),
    )
    rows = [dict(zip(("id", "name", "description", "kind", "step_count", "amount", "gated_on", "repeat_key"), r))
            for r in catalog]
    stmt = postgresql.insert(table).values(rows)
    op.execute(stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={c: stmt.excluded[c] for c in ("name", "description", "kind", "step_count", "amount", "gated_on",
                                            "repeat_key")},
    ))


def upgrade() -> None:
    op.create_table(
        "achievements",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("step_count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gated_on", sa.Text(), nullable=True),
        sa.Column("repeat_key", sa.Text(), server_default="user", nullable=False),
        sa.CheckConstraint("kind IN ('boolean', 'numeric', 'streak', 'per_object', 'weekly_rank')",
                           name=op.f("ck_achievements_kind")),
        sa.CheckConstraint("step_count >= 1", name=op.f("ck_achievements_step_count_positive")),
        sa.ForeignKeyConstraint(["gated_on"], ["achievements.id"], name=op.f("fk_achievements_gated_on_achievements")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
    )
    op.create_table(
        "achievement_progress",
        sa.Column("achievement_id", sa.Text(), nullable=False),
        sa.Column("specifier", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("current_step", sa.Integer(), server_default="0", nullable=False),
        sa.Column("complete", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["achievement_id"], ["achievements.id"],
                                name=op.f("fk_achievement_progress_achievement_id_achievements")),
        sa.ForeignKeyConstraint(["user_id"], ["players.user_id"], ondelete="CASCADE",
                                name=op.f("fk_achievement_progress_user_id_players")),
        sa.PrimaryKeyConstraint("achievement_id", "specifier", name=op.f("pk_achievement_progress")),
    )
    op.create_index("ix_achievement_progress_user", "achievement_progress", ["user_id"])
    op.create_table(
        "achievement_checkpoints",
        sa.Column("processor", sa.Text(), nullable=False),
        sa.Column("lower_xid", sa.Text(), nullable=True),  # made xid8 below (SQLAlchemy has no xid8 type)
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_players", sa.Integer(), nullable=True),
        sa.Column("last_changed", sa.Integer(), nullable=True),
        sa.Column("last_completed", sa.Integer(), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("processor", name=op.f("pk_achievement_checkpoints")),
    )
    op.execute("ALTER TABLE achievement_checkpoints ALTER COLUMN lower_xid TYPE xid8 USING '0'::xid8, "
               "ALTER COLUMN lower_xid SET DEFAULT '0'::xid8, ALTER COLUMN lower_xid SET NOT NULL")
    for table in ("detections", "challenge_solves"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN write_xid xid8 NOT NULL DEFAULT pg_current_xact_id()")
        op.create_index(f"ix_{table}_write_xid", table, ["write_xid"])
    op.add_column("players", sa.Column("time_zone", sa.Text(), nullable=True))
    seed(CATALOG)


def downgrade() -> None:
    op.drop_column("players", "time_zone")
    for table in ("detections", "challenge_solves"):
        op.drop_index(f"ix_{table}_write_xid", table_name=table)
        op.drop_column(table, "write_xid")
    op.drop_table("achievement_checkpoints")
    op.drop_index("ix_achievement_progress_user", table_name="achievement_progress")
    op.drop_table("achievement_progress")
    op.drop_table("achievements")
