"""`onboarding_job`: creates the competitors coaches asked for on the game platform."""

import dagster as dg

from contest_pipelines.game_platform.onboarding import onboard_pending
from contest_pipelines.resources import GamePlatformResource, PostgresResource


@dg.op
def onboard_pending_competitors(
    context: dg.OpExecutionContext, postgres: PostgresResource, game_platform: GamePlatformResource
) -> dg.Output[dict]:
    """Processes every pending onboarding request (guarded, idempotent)."""
    with game_platform.client() as client:
        results = onboard_pending(postgres.engine(), client)
        api_calls = client.api_calls
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result.status] = outcomes.get(result.status, 0) + 1
        if result.status != "done":
            context.log.warning(
                f"onboarding request {result.request_id} ({result.user_id}) {result.status}: {result.reason}"
            )
    metadata = {"requests": len(results), **outcomes, "api_calls": api_calls}
    return dg.Output(metadata, metadata=metadata)


@dg.job(executor_def=dg.in_process_executor, description="Create pending competitors on the game platform.")
def onboarding_job():
    onboard_pending_competitors()
