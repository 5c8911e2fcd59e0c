"""The SLOs as asset checks on the assets they are about, visible in the UI and failing when breached;
`slo_checks_job` runs them all every 5 minutes (`slo_checks_schedule`), and each can be run alone from
the asset's Checks tab. A failed check alerts once per breach (alert_sensor)."""

import dagster as dg

from contest_pipelines.calendar import slo as calendar_slo
from contest_pipelines.domain.contests import JUDGES
from contest_pipelines.domain.slo import SloResult
from contest_pipelines.game_platform import slo as game_slo
from contest_pipelines.player_sync import slo as sync_slo
from contest_pipelines.resources import PostgresResource
from contest_pipelines.settings import Settings
from contest_pipelines.settlement import slo as settlement_slo


def _result(slo: SloResult) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=slo.passed, description=slo.description, metadata=slo.metadata)


@dg.asset_check(asset="sync_requests", description="No sync request has waited longer than the sync deadline.")
def oldest_waiting_request(postgres: PostgresResource) -> dg.AssetCheckResult:
    return _result(sync_slo.oldest_waiting(postgres.engine(), Settings().sync_deadline_seconds))


@dg.asset_check(asset="sync_requests", description="No sync request is dead (replay them from the admin API).")
def no_dead_letters(postgres: PostgresResource) -> dg.AssetCheckResult:
    return _result(sync_slo.dead_letters(postgres.engine()))


@dg.asset_check(
    asset="game_platform_sync_state",
    description="Every competitor synced within its tier: active <= 30 min, moderate <= 2 h, inactive <= 8 h stale.",
)
def synced_within_tier(postgres: PostgresResource) -> dg.AssetCheckResult:
    return _result(game_slo.freshness(postgres.engine()))


@dg.asset_check(asset="settlement_ledger", description="A room that ended is settled within 5 minutes.")
def rooms_settled_within_5_minutes(postgres: PostgresResource) -> dg.AssetCheckResult:
    return _result(settlement_slo.unsettled_rooms(postgres.engine()))


@dg.asset_check(asset="upcoming_contests", description="Each judge's contest list was fetched within 3 hours.")
def contest_lists_fresh(postgres: PostgresResource) -> dg.AssetCheckResult:
    return _result(calendar_slo.contest_lists_fresh(postgres.engine(), list(JUDGES)))


slo_checks = [
    oldest_waiting_request,
    no_dead_letters,
    synced_within_tier,
    rooms_settled_within_5_minutes,
    contest_lists_fresh,
]
