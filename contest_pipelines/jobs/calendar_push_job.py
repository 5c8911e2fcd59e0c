"""`calendar_push_job`: pushes players' contests into their Google calendars."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import dagster as dg

from contest_pipelines.calendar.push import players_to_push, push_player
from contest_pipelines.resources import GoogleCalendarResource, PostgresResource


class CalendarPushConfig(dg.Config):
    user_ids: list[str] = []  # empty: every connected player
    concurrency: int = 4  # players pushed at once (Google's quotas are per user and per project)


@dg.op(tags={"kind": "google"})
def push_calendars(
    context: dg.OpExecutionContext,
    config: CalendarPushConfig,
    postgres: PostgresResource,
    google_calendar: GoogleCalendarResource,
) -> dg.Output[dict]:
    """One push per player, each under its own lock; one player's failure never stops the others."""
    app = google_calendar.app()
    engine = postgres.engine()
    users = config.user_ids or players_to_push(engine)
    now = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=max(1, config.concurrency)) as pool:
        outcomes = list(pool.map(lambda user: push_player(engine, app, user, now), users))
    by_status: dict[str, int] = {}
    for outcome in outcomes:
        by_status[outcome.status] = by_status.get(outcome.status, 0) + 1
        if outcome.error:
            context.log.warning(f"{outcome.user_id}: {outcome.status}: {outcome.error}")
    metadata = {
        "players": len(users),
        **{f"players_{status}": n for status, n in sorted(by_status.items())},
        "inserted": sum(o.inserted for o in outcomes),
        "updated": sum(o.updated for o in outcomes),
        "deleted": sum(o.deleted for o in outcomes),
        "unchanged": sum(o.unchanged for o in outcomes),
        "google_calls": sum(o.calls for o in outcomes),
    }
    context.log.info(f"calendar push: {metadata}")
    writes = metadata["inserted"] + metadata["updated"] + metadata["deleted"]
    if writes:  # the data map: calendar_pushes changed (an external asset this job writes)
        context.log_event(dg.AssetMaterialization("calendar_pushes", metadata={"writes": writes, **by_status}))
    return dg.Output(metadata, metadata=metadata)


@dg.job(
    executor_def=dg.in_process_executor,
    description="Push players' contests into their Google calendars (inserts, updates, deletes; exactly once).",
    tags={"pipeline": "contest_calendars"},
)
def calendar_push_job():
    push_calendars()
