"""One asset per achievement processor, built from the registry: the ops team sees and re-runs each
processor alone; materialising one is one tick of its `reconcile`."""

import dagster as dg

from contest_pipelines import events
from contest_pipelines.achievements.processors import (
    REGISTRY,
    Processor,
    broken_completions,
    reconcile,
    refresh_rollup,
)
from contest_pipelines.resources import PostgresResource, RedisResource

ACHIEVEMENTS_GROUP = "achievements"
SOLVES = ["verified_solves", "challenge_solves"]
# The assets each processor's sources belong to (lineage in the UI; sources.py has the SQL).
SOURCES = {
    "first_verified_solve": ["verified_solves"],
    "category_specialist": ["challenge_solves"],
    "flash_ctf_participant": ["challenge_solves"],  # the Flash CTF rows come with the solves' sync
    "room_winner": ["settlement_ledger"],
    "weekly_top10": ["settlement_ledger"],
    "profile_complete": ["verified_solves"],
}
STICKY_CHECK = "completions_are_sticky"
ROLLUP = "achievement_solve_rollup"


class TickConfig(dg.Config):
    """Set in the launchpad: `rebuild` re-derives from the beginning (completed awards stay)."""

    rebuild: bool = False
    announce: bool = True  # with rebuild: publish achievement.completed for awards it completes


def achievement_asset(processor: Processor) -> dg.AssetsDefinition:
    name = f"achievement_{processor.achievement_id}"

    @dg.asset(
        name=name,
        group_name=ACHIEVEMENTS_GROUP,
        owners=["team:achievements"],
        kinds={"postgres"},
        deps=[ROLLUP] if processor.rollup else SOURCES.get(processor.achievement_id, SOLVES),
        description=f"Players' progress on `{processor.achievement_id}`, re-derived from the source rows that changed "
        "since the processor's checkpoint (docs/achievements.md).",
        check_specs=[
            dg.AssetCheckSpec(
                STICKY_CHECK,
                asset=name,
                description="No completed award was un-completed, changed its amount, or moved its completion later.",
            )
        ],
    )
    def _asset(
        context: dg.AssetExecutionContext, config: TickConfig, postgres: PostgresResource, redis: RedisResource
    ) -> dg.MaterializeResult:
        engine = postgres.engine()
        client = redis.client()
        announce = None if config.rebuild and not config.announce else events.publish_to(client)
        refresh = not (processor.rollup and rollup_runs_here(context))
        report = reconcile(engine, processor, announce, rebuild=config.rebuild, refresh=refresh)
        context.log.info(f"{processor.achievement_id}: {report.as_metadata()}")
        broken = [b for b in broken_completions(engine) if b[0] == processor.achievement_id]
        check = dg.AssetCheckResult(
            check_name=STICKY_CHECK,
            passed=not broken,
            description=f"changed after completion: {broken}" if broken else None,
            metadata={"broken": len(broken)},
        )
        return dg.MaterializeResult(metadata=report.as_metadata(), check_results=[check])

    return _asset


def rollup_runs_here(context: dg.AssetExecutionContext) -> bool:
    """Whether the rollup's own asset runs in this run, upstream of the reader asking: it has then just been
    refreshed (a reader run alone, or re-executed after a failure, refreshes it itself). The run's asset
    selection says nothing here (empty for a whole job); the executable assets do. Without them (another
    Dagster): refresh, which is right and a no-op when current."""
    try:
        return dg.AssetKey(ROLLUP) in context.job_def.asset_layer.executable_asset_keys
    except AttributeError:
        return False


class RollupConfig(dg.Config):
    """Set in the launchpad: `rebuild` refills the rollup from one scan of the sources."""

    rebuild: bool = False


@dg.asset(
    name=ROLLUP,
    group_name=ACHIEVEMENTS_GROUP,
    owners=["team:achievements"],
    kinds={"postgres"},
    deps=SOLVES,
    description="Per player: solves counted, CTF solves per category, runs of local days; kept from new solves "
    "only. What the solve tiers, the first CTF solve, the streaks and the category specialist read "
    "(docs/achievements.md).",
)
def achievement_solve_rollup(config: RollupConfig, postgres: PostgresResource) -> dg.MaterializeResult:
    report = refresh_rollup(postgres.engine(), rebuild=config.rebuild)
    metadata = {"players_changed": report.players, "players_rederived": report.reset, "duration_ms": report.duration_ms}
    return dg.MaterializeResult(metadata=metadata)


achievement_assets = [achievement_solve_rollup, *(achievement_asset(p) for p in REGISTRY)]
