"""`match_ended_sensor`: requests a settlement run for each recorded `-> ended` transition (and correction)."""

import dagster as dg

from contest_pipelines.assets.settlement_ledger import settlement_ledger
from contest_pipelines.partitions import rooms_partitions
from contest_pipelines.resources import PostgresResource
from contest_pipelines.settlement.room_status import requested_settlements


@dg.sensor(
    asset_selection=[settlement_ledger],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Settles each room once per real `-> ended` transition (and again after a corrected score), "
    "as room_status_job records them.",
)
def match_ended_sensor(context: dg.SensorEvaluationContext, postgres: PostgresResource) -> dg.SensorResult:
    # The cursor is the last transition turned into a run request; run keys make a repeated request harmless.
    after = int(context.cursor or 0)
    with postgres.engine().connect() as conn:
        requested = requested_settlements(conn, after)
    if not requested:
        return dg.SensorResult(skip_reason="no room ended since the last settlement request", cursor=str(after))
    rooms = sorted({room_id for _, room_id in requested})
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=room_id, run_key=f"settle:{room_id}:{tid}") for tid, room_id in requested
        ],
        dynamic_partitions_requests=[rooms_partitions.build_add_request(rooms)],
        cursor=str(requested[-1][0]),
    )
