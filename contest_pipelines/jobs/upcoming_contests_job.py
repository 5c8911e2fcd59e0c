"""`upcoming_contests_job`: refreshes one judge's partition of `upcoming_contests`."""

import dagster as dg

from contest_pipelines.assets.upcoming_contests import upcoming_contests

upcoming_contests_job = dg.define_asset_job(
    "upcoming_contests_job",
    selection=[upcoming_contests],
    description="Fetch one judge's contest list and store it (upsert, tombstones after 3 hours missing).",
)
