"""`slo_checks_job`: every SLO check, without materialising anything."""

import dagster as dg

from contest_pipelines.assets.slo_checks import slo_checks

slo_checks_job = dg.define_asset_job(
    "slo_checks_job",
    selection=dg.AssetSelection.checks(*slo_checks),
    executor_def=dg.in_process_executor,
    description="Evaluate the SLO checks (queue age, dead letters, game-platform freshness, unsettled rooms, "
    "contest lists' age).",
)
