"""`alert_sensor`: a failed asset check or a failed run posts one message to ALERT_WEBHOOK_URL when its
breach starts, and one when it ends (the check passes again, the job's next run succeeds), never once
per tick. Read from Dagster's instance: each check's latest execution, and the runs that finished
since the last tick (on SQLite and PostgreSQL storage alike). The cursor keeps what is failing, so a
restart of the daemon neither repeats an alert nor loses one."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from contest_pipelines.domain.alerts import Alert, transition
from contest_pipelines.resources import AlertWebhookResource
from contest_pipelines.resources.alerts import AlertDeliveryError

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
RUN_BATCH = 200


@dataclass(frozen=True)
class Observation:
    key: str  # what the cursor remembers as failing or not: `check:<asset>/<check>` or `job:<name>`
    failing: bool
    subject: str
    detail: str
    run_id: str | None


def _check_observations(context: dg.SensorEvaluationContext, seen: dict[str, int]) -> list[Observation]:
    """Each check whose latest execution finished since the last tick."""
    keys = list(context.repository_def.asset_graph.asset_check_keys) if context.repository_def else []
    latest = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(keys) if keys else {}
    found = []
    for key, record in latest.items():
        name = f"{key.asset_key.to_user_string()}/{key.name}"
        if record.event is None or seen.get(name) == record.id:
            continue  # still running (planned), or already seen
        seen[name] = record.id
        evaluation = record.event.dagster_event.event_specific_data
        detail = evaluation.description or ("check passed" if evaluation.passed else "check failed")
        found.append(Observation(f"check:{name}", not evaluation.passed, name, detail, record.run_id))
    return found


def _run_observations(instance: dg.DagsterInstance, after: float) -> tuple[list[Observation], float]:
    """Runs that finished after `after` (a timestamp), oldest first; and the new `after`."""
    records = instance.get_run_records(
        dg.RunsFilter(statuses=FINISHED, updated_after=datetime.fromtimestamp(after, UTC)),
        limit=RUN_BATCH,
        order_by="update_timestamp",
        ascending=True,
    )
    found = []
    for record in records:
        run = record.dagster_run
        failing = run.status == dg.DagsterRunStatus.FAILURE
        detail = "the job's latest run succeeded"
        if failing:
            [failure, *_] = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE) or [None]
            detail = (failure.message if failure else None) or "run failed"
        found.append(Observation(f"job:{run.job_name}", failing, f"job {run.job_name}", detail[:500], run.run_id))
        after = max(after, record.update_timestamp.timestamp())
    return found, after


@dg.sensor(
    name="alert_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts a failed check or run to ALERT_WEBHOOK_URL once per breach, and its recovery.",
)
def alert_sensor(context: dg.SensorEvaluationContext, alert_webhook: AlertWebhookResource) -> dg.SkipReason | None:
    if not alert_webhook.configured:
        return dg.SkipReason("ALERT_WEBHOOK_URL is not set: failed checks and runs are not announced")
    state = json.loads(context.cursor) if context.cursor else None
    first = state is None
    state = state or {"after": datetime.now(UTC).timestamp(), "checks": {}, "failing": {}}
    checks = _check_observations(context, state["checks"])
    runs, after = _run_observations(context.instance, state["after"])
    if first:  # the first tick starts from now: what is failing is remembered, history is not announced
        for o in checks:
            transition(state["failing"], o.key, o.failing)
        context.update_cursor(json.dumps(state))
        return dg.SkipReason("alerts start from now")
    sent = 0
    for o in [*checks, *runs]:
        before = state["failing"].get(o.key, False)
        change = transition(state["failing"], o.key, o.failing)
        if change is None:
            continue
        link = f"{alert_webhook.ui_url.rstrip('/')}/runs/{o.run_id}" if alert_webhook.ui_url and o.run_id else None
        try:
            alert_webhook.post(Alert(change, o.subject, o.detail, link).body())
        except AlertDeliveryError as exc:  # the state stays as it was: the same message is posted next tick
            state["failing"][o.key] = before
            if o.key.startswith("check:"):
                state["checks"].pop(o.subject, None)
            context.update_cursor(json.dumps(state))
            return dg.SkipReason(f"{exc}; {o.subject} is posted again next tick ({sent} sent)")
        sent += 1
    state["after"] = after
    context.update_cursor(json.dumps(state))
    return dg.SkipReason(f"{sent} alerts sent") if sent else None
