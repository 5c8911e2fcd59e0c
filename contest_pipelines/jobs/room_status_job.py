"""`room_status_job`: ends contest rooms past their end time and asks the match provider about prediction rooms."""

import dagster as dg

from contest_pipelines.resources import MatchProviderResource, PostgresResource
from contest_pipelines.settlement.room_status import refresh_room_status


@dg.op(tags={"kind": "match_provider"})
def update_room_status(
    context: dg.OpExecutionContext, postgres: PostgresResource, match_provider: MatchProviderResource
) -> dg.Output[dict]:
    """Records every room status transition; match_ended_sensor turns the settling ones into settlement runs."""
    client = match_provider.client() if match_provider.configured else None
    try:
        report = refresh_room_status(postgres.engine(), client)
    finally:
        if client is not None:
            client.close()
    for fault in report.faults:  # asked again on the next run; never settled on partial data
        context.log.warning(fault)
    metadata = {
        "contests_ended": report.contests_ended,
        "matches_polled": report.matches_polled,
        "settlements_requested": report.settlements_requested,
        "provider_faults": len(report.faults),
        "match_provider": report.provider,
    }
    if not match_provider.configured:
        metadata["matches_unwatched"] = report.matches_unwatched
    return dg.Output(metadata, metadata=metadata)


@dg.job(
    executor_def=dg.in_process_executor,
    description="Record room status transitions (launched by room_status_sensor when a room is due to change).",
    tags={"pipeline": "settlement"},
)
def room_status_job():
    update_room_status()
