"""The contest model every capability reads: players, coaches, teams, leagues, tournaments, rooms, guesses."""

import sqlalchemy as sa

from contest_pipelines.db.tables.base import NOW, TZ, metadata, write_xid_column

players = sa.Table(
    "players",
    metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("cf_handle", sa.Text, nullable=True),
    sa.Column("display_name", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
    # Competitors (seed 001): players managed by a coach and mirrored on the game platform.
    sa.Column("coach_id", sa.Text, sa.ForeignKey("coaches.coach_id", ondelete="SET NULL"), nullable=True),
    sa.Column("first_name", sa.Text, nullable=True),
    sa.Column("last_name", sa.Text, nullable=True),
    sa.Column("email", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("game_platform_id", sa.Text, nullable=True, unique=True),
    sa.Column("game_platform_sync_error", sa.Text, nullable=True),
    sa.Column("game_platform_synced_at", TZ, nullable=True),
    # The player's IANA zone: their "day" for streaks (null: UTC).
    sa.Column("time_zone", sa.Text, nullable=True),
    write_xid_column(),  # also stamped on update (trigger stamp_write_xid): achievements read the profile
    sa.CheckConstraint("status IN ('pending', 'profile', 'compliance', 'complete')", name="status"),
)
sa.Index("ix_players_write_xid", players.c.write_xid)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("team_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    sa.Column("coach_id", sa.Text, sa.ForeignKey("coaches.coach_id", ondelete="SET NULL"), nullable=True),
    sa.Column("division", sa.Text, nullable=True),
    sa.Column("affiliation", sa.Text, nullable=True),
    sa.Column("game_platform_id", sa.Text, nullable=True),
    sa.Column("game_platform_synced_at", TZ, nullable=True),
    # Deleted locally, still to be deleted remotely: the roster sync removes it, then the row.
    sa.Column("deleted_at", TZ, nullable=True),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
)

team_members = sa.Table(
    "team_members",
    metadata,
    sa.Column("team_id", sa.Text, sa.ForeignKey("teams.team_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("game_platform_synced_at", TZ, nullable=True),
    sa.Column("joined_at", TZ, nullable=False, server_default=NOW),
    write_xid_column(),
)
sa.Index("ix_team_members_write_xid", team_members.c.write_xid)
sa.Index("ix_team_members_user_id", team_members.c.user_id)

rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("room_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("starts_at", TZ, nullable=False),
    sa.Column("ends_at", TZ, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="scheduled"),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    sa.Column("tournament_id", sa.Text, sa.ForeignKey("tournaments.tournament_id", ondelete="SET NULL"), nullable=True),
    sa.Column("kind", sa.Text, nullable=False, server_default="contest"),
    sa.CheckConstraint("ends_at > starts_at", name="window"),
    sa.CheckConstraint("kind IN ('contest', 'prediction')", name="kind"),
)

room_problems = sa.Table(
    "room_problems",
    metadata,
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("problem_id", sa.Text, primary_key=True),
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("revealed_at", TZ, nullable=False),
)

room_members = sa.Table(
    "room_members",
    metadata,
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("team_id", sa.Text, sa.ForeignKey("teams.team_id", ondelete="SET NULL"), nullable=True),
)

leagues = sa.Table(
    "leagues",
    metadata,
    sa.Column("league_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
)

tournaments = sa.Table(
    "tournaments",
    metadata,
    sa.Column("tournament_id", sa.Text, primary_key=True),
    sa.Column("league_id", sa.Text, sa.ForeignKey("leagues.league_id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
)

# A prediction room's members guess the final score of one match.
guesses = sa.Table(
    "guesses",
    metadata,
    sa.Column("room_id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("home", sa.Integer, nullable=False),
    sa.Column("away", sa.Integer, nullable=False),
    sa.Column("guessed_at", TZ, nullable=False, server_default=NOW),
    sa.ForeignKeyConstraint(
        ["room_id", "user_id"], ["room_members.room_id", "room_members.user_id"], ondelete="CASCADE"
    ),
    sa.CheckConstraint("home >= 0 AND away >= 0", name="non_negative"),
)

coaches = sa.Table(
    "coaches",
    metadata,
    sa.Column("coach_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=True),
)
