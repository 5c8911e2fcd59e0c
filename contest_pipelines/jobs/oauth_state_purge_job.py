"""`oauth_state_purge_job`: forgets Google consent states that expired unused."""

from datetime import UTC, datetime

import dagster as dg

from contest_pipelines.calendar.push import purge_expired_states
from contest_pipelines.resources import PostgresResource


@dg.op
def purge_oauth_states(postgres: PostgresResource) -> dg.Output[int]:
    purged = purge_expired_states(postgres.engine(), datetime.now(UTC))
    return dg.Output(purged, metadata={"states_purged": purged})


@dg.job(executor_def=dg.in_process_executor, description="Forget expired Google consent states (every 15 min).")
def oauth_state_purge_job():
    purge_oauth_states()
