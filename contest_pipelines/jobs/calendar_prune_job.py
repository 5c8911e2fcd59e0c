"""`calendar_prune_job`: forgets contests that ended or were removed more than 30 days ago."""

from datetime import UTC, datetime

import dagster as dg

from contest_pipelines.calendar.contests import PRUNE_AFTER
from contest_pipelines.calendar.extraction import prune_stored
from contest_pipelines.resources import PostgresResource


@dg.op
def prune_contests(context: dg.OpExecutionContext, postgres: PostgresResource) -> dg.Output[dict]:
    """Deletes ended and removed contests past the window, and the fetch history as old."""
    pruned = prune_stored(postgres.engine(), datetime.now(UTC))
    context.log.info(f"calendar prune: {pruned}")
    return dg.Output(pruned, metadata=pruned)


@dg.job(
    executor_def=dg.in_process_executor,
    description=f"Forget contests that ended or were removed more than {PRUNE_AFTER.days} days ago.",
)
def calendar_prune_job():
    prune_contests()
