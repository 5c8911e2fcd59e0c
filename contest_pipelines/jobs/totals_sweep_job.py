"""`totals_sweep_job`: materialises `player_totals` for the competitors flagged by new solves."""

import dagster as dg

from contest_pipelines.assets.player_totals import player_totals

totals_sweep_job = dg.define_asset_job(
    "totals_sweep_job", selection=[player_totals], description="Refresh totals of flagged competitors."
)
