"""`onboarding_request_sensor`: runs onboarding_job when coaches have asked to add competitors."""

import dagster as dg

from contest_pipelines.game_platform.onboarding import pending_onboarding
from contest_pipelines.jobs.onboarding_job import onboarding_job
from contest_pipelines.resources import GamePlatformResource, PostgresResource


@dg.sensor(
    job=onboarding_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches onboarding_job for pending onboarding requests (cursor: the last request id launched).",
)
def onboarding_request_sensor(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, game_platform: GamePlatformResource
) -> dg.SensorResult | dg.SkipReason:
    if skip := game_platform.unconfigured():
        return skip
    last_launched = int(context.cursor or 0)
    with postgres.engine().connect() as conn:
        pending = [i for i in pending_onboarding(conn) if i > last_launched]
    if not pending:
        return dg.SkipReason("no new onboarding request")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"onboarding:{pending[-1]}")], cursor=str(pending[-1]))
