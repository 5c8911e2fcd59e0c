"""The scoreboards players read, as assets: the Redis projections of the room, tournament and league
boards. Materialising one rebuilds every board of that scope from PostgreSQL; its check compares each
board with PostgreSQL (runnable alone from the UI). Lineage: the ledger and the verified solves feed them."""

import dagster as dg

from contest_pipelines.resources import PostgresResource, RedisResource
from contest_pipelines.scoreboards.projection import SCOPES, compare_scope, rebuild_scope
from contest_pipelines.settlement.constants import SCORING_GROUP

PROJECTION_CHECK = "projection_matches_postgres"
SOURCES = {
    "room": ["settlement_ledger", "verified_solves"],  # contest rooms score detections, prediction rooms results
    "tournament": ["settlement_ledger"],
    "league": ["settlement_ledger"],
}


def scoreboard_asset(scope: str) -> tuple[dg.AssetsDefinition, dg.AssetChecksDefinition]:
    @dg.asset(
        name=f"{scope}_scoreboards",
        group_name=SCORING_GROUP,
        owners=["team:scoring"],
        kinds={"redis"},
        deps=SOURCES[scope],
        description=f"The {scope} boards players read: Redis sorted sets projected from PostgreSQL; materialising "
        "rebuilds them all (a read rebuilds one that fell behind by itself).",
    )
    def _asset(postgres: PostgresResource, redis: RedisResource) -> dg.MaterializeResult:
        report = rebuild_scope(redis.client(), postgres.engine(), scope)
        return dg.MaterializeResult(metadata=report.as_metadata())

    @dg.asset_check(
        asset=_asset,
        name=PROJECTION_CHECK,
        description="Every board that says it reflects PostgreSQL's current version has the same members and "
        "scores as PostgreSQL (boards behind are counted as stale: the next read rebuilds them).",
    )
    def _check(postgres: PostgresResource, redis: RedisResource) -> dg.AssetCheckResult:
        report = compare_scope(redis.client(), postgres.engine(), scope)
        return dg.AssetCheckResult(
            passed=not report.wrong,
            description=f"differ from PostgreSQL: {', '.join(report.wrong[:20])}" if report.wrong else None,
            metadata=report.as_metadata(),
        )

    return _asset, _check


scoreboard_assets, scoreboard_checks = zip(*(scoreboard_asset(scope) for scope in SCOPES), strict=True)
