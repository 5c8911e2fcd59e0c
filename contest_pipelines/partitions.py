"""Partition definitions that more than one Dagster definition names (assets, jobs, sensors, schedules)."""

import dagster as dg

from contest_pipelines.domain.contests import JUDGES

# One partition per settled room, added by match_ended_sensor when the room first ends.
rooms_partitions = dg.DynamicPartitionsDefinition(name="rooms")

# challenge_solves by the UTC day a solve was made: today's partition syncs incrementally, earlier
# ones are backfills.
solve_days = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="UTC", end_offset=1)

# upcoming_contests: one partition per judge, so one judge failing fails only its own partition.
judge_partitions = dg.StaticPartitionsDefinition(list(JUDGES))

# What an operator is told to choose when a run of the asset was launched without a partition.
JUDGE_PARTITION_HINT = f"choose a judge partition: {', '.join(JUDGES)}"
ROOM_PARTITION_HINT = "choose a room partition: the id of an ended room, as match_ended_sensor added it to `rooms`"
SOLVE_DAY_HINT = (
    "choose a day partition: a UTC date, YYYY-MM-DD; today's is the incremental sync, earlier days backfills"
)


def partition_key_or_fail(context: dg.AssetExecutionContext, hint: str) -> str:
    """The run's partition key; or, for a run launched without one (UI or CLI alike), a dg.Failure that
    says which partition to choose instead of Dagster's "Cannot access partition_key for a
    non-partitioned run". Not retried: a retry would lack the partition just the same."""
    if context.has_partition_key:
        return context.partition_key
    asset = context.asset_key.to_user_string()
    if context.has_partition_key_range:
        keys = context.partition_key_range
        if keys.start == keys.end:
            return keys.start
        problem = f"{asset} materialises one partition per run, not the range {keys.start}...{keys.end}"
    else:
        problem = f"{asset} was launched without a partition"
    raise dg.Failure(
        description=f"{problem}; {hint} (CLI: --partition <key>)",
        metadata={"asset": asset},
        allow_retries=False,
    )
