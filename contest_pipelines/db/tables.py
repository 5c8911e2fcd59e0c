"""SQLAlchemy Core tables: the source of truth for players, rooms, the sync queue and detections."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")

SYNC_STATUSES = ("queued", "running", "detected", "failed", "dead")

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
    sa.CheckConstraint("status IN ('pending', 'profile', 'compliance', 'complete')", name="status"),
)

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
)

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

# The durable queue behind POST /api/contests/sync. `generation` grows each time a request becomes
# due again (re-check or retry), so the sensor's run keys never collide with an earlier dispatch.
sync_requests = sa.Table(
    "sync_requests",
    metadata,
    sa.Column("id", UUID(as_uuid=False), primary_key=True, server_default=sa.text("gen_random_uuid()")),
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("team_id", sa.Text, nullable=True),
    sa.Column("cf_handle", sa.Text, nullable=False),
    sa.Column("problem_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rechecks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", TZ, nullable=False, server_default=NOW),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("position", sa.Integer, nullable=False, server_default="1"),
    sa.Column("dagster_run_id", sa.Text, nullable=True),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
    sa.Column("finished_at", TZ, nullable=True),
    sa.CheckConstraint(f"status IN {SYNC_STATUSES!r}", name="status"),
)
sa.Index("ix_sync_requests_due", sync_requests.c.next_attempt_at, postgresql_where=sync_requests.c.status == "queued")
sa.Index(
    "ix_sync_requests_handle_due",
    sa.func.lower(sync_requests.c.cf_handle),
    postgresql_where=sync_requests.c.status == "queued",
)
sa.Index(
    "ix_sync_requests_handle_running",
    sa.func.lower(sync_requests.c.cf_handle),
    postgresql_where=sync_requests.c.status == "running",
)
sa.Index(
    "ix_sync_requests_waiting",
    sync_requests.c.created_at,
    postgresql_where=sync_requests.c.status.in_(("queued", "running")),
)
sa.Index("ix_sync_requests_user", sync_requests.c.user_id, sync_requests.c.created_at)
sa.Index("ix_sync_requests_run", sync_requests.c.dagster_run_id, postgresql_where=sync_requests.c.status == "running")

# The internal `sync.detected` record: a solve is credited once per room, player and problem, and one
# Codeforces submission is credited once per room.
detections = sa.Table(
    "detections",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("team_id", sa.Text, nullable=True),
    sa.Column("problem_id", sa.Text, nullable=False),
    sa.Column("cf_submission_id", sa.BigInteger, nullable=False),
    sa.Column("cf_timestamp", sa.BigInteger, nullable=False),
    sa.Column("verdict", sa.Text, nullable=False, server_default="OK"),
    sa.Column("points_awarded", sa.Integer, nullable=True),
    sa.Column("request_id", UUID(as_uuid=False), nullable=True),
    sa.Column("raw", JSONB, nullable=True),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    sa.UniqueConstraint("room_id", "user_id", "problem_id", name="uq_detections_room_user_problem"),
    sa.UniqueConstraint("room_id", "cf_submission_id", name="uq_detections_room_submission"),
)

# --- Scoring (seed 004): leagues hold tournaments, tournaments hold rooms --------------------------

ROOM_KINDS = ("contest", "prediction")
LEDGER_STATUSES = ("applied", "skipped", "failed")
SCOPES = ("tournament", "league")

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

# What the match provider last said about a prediction room, and every status change we saw.
match_results = sa.Table(
    "match_results",
    metadata,
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("home_score", sa.Integer, nullable=True),
    sa.Column("away_score", sa.Integer, nullable=True),
    sa.Column("observed_at", TZ, nullable=False, server_default=NOW),
)

room_transitions = sa.Table(
    "room_transitions",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
    sa.Column("previous", sa.Text, nullable=True),
    sa.Column("current", sa.Text, nullable=False),
    sa.Column("result_hash", sa.Text, nullable=True),
    sa.Column("settlement_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("at", TZ, nullable=False, server_default=NOW),
)

# One row per settlement attempt of a room. `version` numbers the applied ones (unique per room): two
# racing settlements cannot both apply version N.
settlement_ledger = sa.Table(
    "settlement_ledger",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("idempotency_key", sa.Text, nullable=False),
    sa.Column("result_hash", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("members", sa.Integer, nullable=False, server_default="0"),
    sa.Column("changed_members", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("points_delta", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("db_ms", sa.Float, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("dagster_run_id", sa.Text, nullable=True),
    sa.Column("created_at", TZ, nullable=False, server_default=NOW),
    sa.UniqueConstraint("room_id", "version", name="uq_settlement_ledger_room_version"),
    sa.UniqueConstraint("idempotency_key", name="uq_settlement_ledger_idempotency_key"),
    sa.CheckConstraint(f"status IN {LEDGER_STATUSES!r}", name="status"),
    sa.CheckConstraint("(status = 'applied') = (version IS NOT NULL)", name="version_iff_applied"),
)

# The result of a room as last applied: what a correction is compared against.
room_results = sa.Table(
    "room_results",
    metadata,
    sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("last_scored_at", TZ, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
)
# No index on user_id alone: every read names the room (the recompute of a scope's last scoring time
# looks up (room, user) pairs through the primary key), and a second index costs each settlement's inserts.

# Tournament and league standings: the source of truth the Redis boards project.
standings = sa.Table(
    "standings",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("scope_id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("points", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_scored_at", TZ, nullable=True),
    sa.CheckConstraint(f"scope IN {SCOPES!r}", name="scope"),
    # Room on every page for the new version of each row a settlement rewrites, so the update stays
    # HOT (no index entries): at fillfactor 100 a third of a 50k settlement's updates were not HOT
    # and the standings upsert took up to twice as long (bench/settlement.py, migration 0004).
    postgresql_with={"fillfactor": 80},
)
# No index on points or last_scored_at on purpose: settlements rewrite them for every member, and an
# index on either would make each of those updates non-HOT (measured: the main cost of a 50k settle).

# Bumped in the transaction of every change to a board's source data; a Redis board is current only
# while it says it reflects this version.
board_versions = sa.Table(
    "board_versions",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("scope_id", sa.Text, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
)

# --- CTF game platform (seed 001) -------------------------------------------------------------------

COMPETITOR_STATUSES = ("pending", "profile", "compliance", "complete")

coaches = sa.Table(
    "coaches",
    metadata,
    sa.Column("coach_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=True),
)

# A coach's request to add a competitor to the game platform, processed by onboarding_job.
onboarding_requests = sa.Table(
    "onboarding_requests",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("user_id", sa.Text, sa.ForeignKey("players.user_id", ondelete="CASCADE"), nullable=False),
    sa.Column("coach_id", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("requested_at", TZ, nullable=False, server_default=NOW),
    sa.Column("processed_at", TZ, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'done', 'refused', 'failed')", name="status"),
)
sa.Index(
    "ix_onboarding_requests_pending",
    onboarding_requests.c.requested_at,
    postgresql_where=onboarding_requests.c.status == "pending",
)

challenge_solves = sa.Table(
    "challenge_solves",
    metadata,
    sa.Column("syned_user_id", sa.Text, primary_key=True),
    sa.Column("challenge_solve_id", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("challenge_id", sa.Text, nullable=True),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("category", sa.Text, nullable=True),
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("solved_at", TZ, nullable=False),
    sa.Column("raw", JSONB, nullable=True),
    sa.Column("ingested_at", TZ, nullable=False, server_default=NOW),
    sa.CheckConstraint("source IN ('odl', 'flash_ctf')", name="source"),
)
sa.Index("ix_challenge_solves_solved_at", challenge_solves.c.solved_at)

flash_ctf_events = sa.Table(
    "flash_ctf_events",
    metadata,
    sa.Column("syned_user_id", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("challenges_solved", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_earned", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rank", sa.Integer, nullable=True),
    sa.Column("starts_at", TZ, nullable=True),
    sa.Column("ends_at", TZ, nullable=True),
    sa.Column("raw", JSONB, nullable=True),
    sa.Column("synced_at", TZ, nullable=False, server_default=NOW),
)
sa.Index("ix_flash_ctf_events_event", flash_ctf_events.c.event_id)

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("syned_user_id", sa.Text, primary_key=True),
    sa.Column("last_odl_synced_at", TZ, nullable=True),
    sa.Column("last_flash_synced_at", TZ, nullable=True),
    sa.Column("last_attempt_at", TZ, nullable=True),
    sa.Column("last_result", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("needs_totals_refresh", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("activity_tier", sa.Text, nullable=False, server_default="active"),
    sa.Column("last_activity_at", TZ, nullable=True),
    sa.Column("next_due_at", TZ, nullable=False, server_default=NOW),
)
sa.Index("ix_sync_state_due", sync_state.c.next_due_at)
sa.Index("ix_sync_state_refresh", sync_state.c.syned_user_id, postgresql_where=sync_state.c.needs_totals_refresh)

player_totals = sa.Table(
    "player_totals",
    metadata,
    sa.Column("syned_user_id", sa.Text, primary_key=True),
    sa.Column("challenges_completed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_score", sa.Integer, nullable=False, server_default="0"),
    sa.Column("monthly_ctf_challenges", sa.Integer, nullable=False, server_default="0"),
    sa.Column("refreshed_at", TZ, nullable=False, server_default=NOW),
)

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("job", sa.Text, nullable=False),
    sa.Column("dagster_run_id", sa.Text, nullable=True),
    sa.Column("started_at", TZ, nullable=False, server_default=NOW),
    sa.Column("finished_at", TZ, nullable=True),
    sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("with_new_data", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("api_calls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("duration_ms", sa.Float, nullable=True),
    sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("batch", JSONB, nullable=True),
)
sa.Index("ix_sync_runs_started", sync_runs.c.started_at)
