"""`game_platform_sync_job`: materialises a `challenge_solves` partition (today's: incremental; earlier: a backfill)."""

import dagster as dg

from contest_pipelines.assets.challenge_solves import challenge_solves

game_platform_sync_job = dg.define_asset_job(
    "game_platform_sync_job",
    selection=[challenge_solves],
    description="Incremental solves (today's partition) or a day's backfill.",
)
