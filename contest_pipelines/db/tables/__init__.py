"""SQLAlchemy Core tables, one module per capability; every table is registered on `metadata`.

Capabilities import their tables from here (`from contest_pipelines.db.tables import rooms`), so a
table can move between modules without touching its readers.
"""

from contest_pipelines.db.tables.achievements import (
    achievement_checkpoints,
    achievement_completions,
    achievement_progress,
    achievement_solve_categories,
    achievement_solve_changes,
    achievement_solve_consumed,
    achievement_solve_runs,
    achievement_solve_totals,
    achievements,
)
from contest_pipelines.db.tables.base import metadata
from contest_pipelines.db.tables.calendar import (
    calendar_feed_tokens,
    calendar_preferences,
    calendar_pushes,
    google_accounts,
    google_oauth_states,
    judge_contests,
    judge_fetches,
)
from contest_pipelines.db.tables.contests import (
    coaches,
    guesses,
    leagues,
    players,
    room_members,
    room_problems,
    rooms,
    team_members,
    teams,
    tournaments,
)
from contest_pipelines.db.tables.game_platform import (
    challenge_solves,
    flash_ctf_events,
    onboarding_requests,
    player_totals,
    sync_runs,
    sync_state,
)
from contest_pipelines.db.tables.player_sync import SYNC_STATUSES, detections, sync_requests
from contest_pipelines.db.tables.scoreboards import board_versions
from contest_pipelines.db.tables.settlement import (
    LEDGER_STATUSES,
    SCOPES,
    match_results,
    room_results,
    room_transitions,
    settlement_ledger,
    standings,
)

__all__ = [
    "achievement_checkpoints",
    "achievement_completions",
    "achievement_progress",
    "achievement_solve_categories",
    "achievement_solve_changes",
    "achievement_solve_consumed",
    "achievement_solve_runs",
    "achievement_solve_totals",
    "achievements",
    "LEDGER_STATUSES",
    "SCOPES",
    "SYNC_STATUSES",
    "board_versions",
    "calendar_feed_tokens",
    "calendar_preferences",
    "calendar_pushes",
    "challenge_solves",
    "coaches",
    "detections",
    "google_accounts",
    "google_oauth_states",
    "judge_contests",
    "judge_fetches",
    "flash_ctf_events",
    "guesses",
    "leagues",
    "match_results",
    "metadata",
    "onboarding_requests",
    "player_totals",
    "players",
    "room_members",
    "room_problems",
    "room_results",
    "room_transitions",
    "rooms",
    "settlement_ledger",
    "standings",
    "sync_requests",
    "sync_runs",
    "sync_state",
    "team_members",
    "teams",
    "tournaments",
]
