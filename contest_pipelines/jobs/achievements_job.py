"""`achievements_job`: one tick of every achievement processor, in registry order (gates first)."""

import dagster as dg

from contest_pipelines.assets.achievements import achievement_assets

achievements_job = dg.define_asset_job(
    "achievements_job",
    selection=achievement_assets,
    executor_def=dg.in_process_executor,
    description="Tick every achievement processor once (each in its own transaction; one failing skips no other).",
)
