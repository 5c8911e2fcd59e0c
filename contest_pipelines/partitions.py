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
