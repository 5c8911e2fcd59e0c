"""`match_ended_sensor`: records room status transitions and requests a settlement for each real end."""

import dagster as dg

from contest_pipelines.assets.settlement_ledger import rooms_partitions, settlement_ledger
from contest_pipelines.clients.match_provider import MatchProviderError
from contest_pipelines.db import match_status
from contest_pipelines.resources import MatchProviderResource, PostgresResource


@dg.sensor(
    asset_selection=[settlement_ledger],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Ends contest rooms at their end time, asks the match provider about prediction rooms, "
    "and settles each room once per real `-> ended` transition (and again after a corrected score).",
)
def match_ended_sensor(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, match_provider: MatchProviderResource
) -> dg.SensorResult:
    engine = postgres.engine()
    with engine.begin() as conn:
        ended_contests = match_status.end_due_contest_rooms(conn)
        to_poll = match_status.prediction_rooms_to_poll(conn) if match_provider.base_url else []
    faults = [] if match_provider.base_url else ["MATCH_PROVIDER_URL is not set: prediction rooms are not polled"]
    client = match_provider.client() if to_poll else None
    try:
        for room_id in to_poll:
            try:
                report = client.match(room_id)
            except MatchProviderError as exc:  # asked again next tick; never settled on partial data
                faults.append(str(exc))
                continue
            with engine.begin() as conn:
                match_status.record_report(conn, room_id, report)
    finally:
        if client is not None:
            client.close()
    for fault in faults:
        context.log.warning(fault)

    # The cursor is the last transition turned into a run request: a tick that died after writing
    # transitions leaves them for the next one, and run keys make a repeated request harmless.
    after = int(context.cursor or 0)
    with engine.connect() as conn:
        requested = match_status.requested_settlements(conn, after)
    if not requested:
        return dg.SensorResult(
            skip_reason=f"no room ended (polled {len(to_poll)} matches, {len(faults)} provider faults, {ended_contests} contests ended)",
            cursor=str(after),
        )
    rooms = sorted({room_id for _, room_id in requested})
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=room_id, run_key=f"settle:{room_id}:{tid}") for tid, room_id in requested
        ],
        dynamic_partitions_requests=[rooms_partitions.build_add_request(rooms)],
        cursor=str(requested[-1][0]),
    )
