"""The data the reconcilers keep that no asset function writes: the sync queue and verified solves
(written by `cf_sync_job`), the game platform's sync state (by `challenge_solves`' runs) and the
calendar pushes (by `calendar_push_job`). Declared as external assets so the UI's lineage follows the
data from solves to totals, boards and achievements; the jobs that write them report materialisations."""

import dagster as dg

from contest_pipelines.calendar.constants import CALENDAR_GROUP
from contest_pipelines.game_platform.constants import GAME_GROUP

PLAYER_SYNC_GROUP = "player_sync"

data_map_specs = [
    dg.AssetSpec(
        "sync_requests",
        group_name=PLAYER_SYNC_GROUP,
        owners=["team:player-sync"],
        kinds={"postgres"},
        description="The durable sync queue (`sync_requests`): one row per player's Sync click, claimed by "
        "`cf_sync_job` runs; health: oldest waiting request, dead letters (GET /api/admin/queue).",
    ),
    dg.AssetSpec(
        "verified_solves",
        deps=["sync_requests"],
        group_name=PLAYER_SYNC_GROUP,
        owners=["team:player-sync"],
        kinds={"postgres"},
        description="Solves verified on Codeforces (`detections`), exactly once per room, player and problem; "
        "written by `cf_sync_job`.",
    ),
    dg.AssetSpec(
        "game_platform_sync_state",
        deps=["challenge_solves"],
        group_name=GAME_GROUP,
        owners=["team:game-platform"],
        kinds={"postgres"},
        description="Each competitor's cursors, activity tier and next due time (`sync_state`), advanced by "
        "the `challenge_solves` runs.",
    ),
    dg.AssetSpec(
        "calendar_pushes",
        deps=["upcoming_contests"],
        group_name=CALENDAR_GROUP,
        owners=["team:calendar"],
        kinds={"postgres", "googlecalendar"},
        description="What each connected player's Google calendar holds, as Google last confirmed it "
        "(`calendar_pushes`); written by `calendar_push_job`.",
    ),
]
