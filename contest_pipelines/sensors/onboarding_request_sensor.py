"""`onboarding_request_sensor`: runs onboarding_job when coaches have asked to add competitors."""

import dagster as dg

from contest_pipelines.assets.game_platform import NOT_CONFIGURED
from contest_pipelines.game_roster import pending_onboarding
from contest_pipelines.jobs.game_platform_ops import onboarding_job
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
    if not game_platform.configured:
        return dg.SkipReason(NOT_CONFIGURED)
    with postgres.engine().connect() as conn:
        pending = [i for i in pending_onboarding(conn) if i > int(context.cursor or 0)]
    if not pending:
        return dg.SkipReason("no new onboarding request")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"onboarding:{pending[-1]}")], cursor=str(pending[-1]))
