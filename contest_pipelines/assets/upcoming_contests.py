"""`upcoming_contests`: each judge's upcoming and running contests, one partition per judge."""

from datetime import UTC, datetime

import dagster as dg

from contest_pipelines.calendar.constants import CALENDAR_GROUP, COUNT_CHECK
from contest_pipelines.calendar.extraction import FetchFailed, refresh
from contest_pipelines.partitions import JUDGE_PARTITION_HINT, judge_partitions, partition_key_or_fail
from contest_pipelines.resources import JudgesResource, PostgresResource


@dg.asset(
    partitions_def=judge_partitions,
    group_name=CALENDAR_GROUP,
    owners=["team:calendar"],
    kinds={"postgres"},
    retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
    check_specs=[
        dg.AssetCheckSpec(
            COUNT_CHECK,
            asset="upcoming_contests",
            partitions_def=judge_partitions,
            description="A successful fetch lists at least half the upcoming contests the judge usually has "
            "(median of its last 24 successful fetches): fewer looks like a changed page, not cancellations.",
        )
    ],
)
def upcoming_contests(
    context: dg.AssetExecutionContext, postgres: PostgresResource, judges: JudgesResource
) -> dg.MaterializeResult:
    """The judge's contests as players see them (title, start, end, URL), upserted on (judge, key);
    an upcoming contest missing from successful fetches for 3 hours is tombstoned."""
    judge = partition_key_or_fail(context, JUDGE_PARTITION_HINT)
    try:
        with judges.adapter(judge) as adapter:
            result = refresh(postgres.engine(), adapter, datetime.now(UTC), context.run_id)
    except FetchFailed as exc:
        # A changed layout will not fix itself in a minute: no retry, the next scheduled refresh tries again.
        raise dg.Failure(
            description=str(exc), metadata={"judge": judge, "reason": exc.reason}, allow_retries=exc.retryable
        ) from None
    metadata = {**result.report.as_metadata(), "usual_upcoming": result.usual_upcoming}
    context.log.info(f"{judge}: {metadata}")
    check = dg.AssetCheckResult(
        check_name=COUNT_CHECK,
        passed=not result.collapsed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{result.report.upcoming} upcoming contests where {judge} usually lists {result.usual_upcoming}: "
            "absences were not applied; check the adapter (docs/calendar.md)"
            if result.collapsed
            else None
        ),
        metadata={"upcoming": result.report.upcoming, "usual_upcoming": result.usual_upcoming},
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[check])
