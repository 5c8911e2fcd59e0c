"""The cron console: schedules, sensors and daemon heartbeats as Dagster reports them, shaped for the
admin API, and what "run now", "start" and "stop" do.

Nothing here is stored: every answer is read from the Dagster webserver at request time, so the
console and the Dagster UI can never disagree.
"""

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from contest_pipelines.clients.dagster_webserver import (
    DaemonStatus,
    DagsterWebserverClient,
    Instigator,
    RunSummary,
    Tick,
)

# Tags of a run the console launches: Dagster's own instigator tags make it the schedule's (or
# sensor's) run in the UI and in its last run; ours says an operator asked for it.
SCHEDULE_TAG, SENSOR_TAG = "dagster/schedule_name", "dagster/sensor_name"
LAUNCHED_BY_TAG, LAUNCHED_BY = "contest_pipelines/launched_by", "cron-console"
# Dagster's job for sensors that target assets rather than a job (its name starts with this).
IMPLICIT_ASSET_JOB = "__ASSET_JOB"
# A failed run with no failure event among the first events read (a very long run's log).
NO_FAILURE_EVENT = "failed; no failure event among its first events: see the run in the Dagster UI"


class UnknownInstigator(LookupError):
    def __init__(self, name: str):
        super().__init__(f"no schedule or sensor named {name!r} in the code location")


class NotRunnable(Exception):
    """The schedule or sensor has no job that "run now" could launch as it is."""


class LastTick(BaseModel):
    at: datetime
    status: Literal["started", "skipped", "success", "failure"]
    skipReason: str | None
    error: str | None = Field(description="first line of the tick's error, and of its cause")
    runIds: list[str]


class LastRun(BaseModel):
    runId: str
    job: str
    status: str = Field(examples=["queued", "started", "success", "failure", "canceled"])
    startedAt: datetime | None
    endedAt: datetime | None
    durationSeconds: float | None = Field(description="end minus start; null until the run ends")
    error: str | None = Field(description="why it failed: the failed steps' errors; null unless it failed")
    url: str = Field(description="the run in the Dagster UI")


class CronEntry(BaseModel):
    name: str
    kind: Literal["schedule", "sensor"]
    status: Literal["running", "stopped"]
    description: str | None
    jobs: list[str] = Field(description="what it launches; empty for a run-status sensor")
    cron: str | None = Field(description="schedules: the cron expression")
    timezone: str | None = Field(description="schedules: the zone the cron expression is read in")
    minIntervalSeconds: int | None = Field(description="sensors: the shortest time between two ticks")
    sensorType: str | None = Field(description="sensors: standard, run_status, ...")
    lastTick: LastTick | None
    lastRun: LastRun | None = Field(description="the newest run it launched, or launched through this console")
    nextTick: datetime | None = Field(
        description="null when stopped. Schedules: the next cron time. Sensors: last tick + minimum interval "
        "(in the past while the daemon is late; the daemon loop ticks every 5 s at best)"
    )


class RunLaunched(BaseModel):
    runId: str
    job: str
    url: str = Field(description="the run in the Dagster UI")


class DaemonHeartbeat(BaseModel):
    daemonType: str = Field(examples=["SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR"])
    required: bool
    lastHeartbeatAt: datetime | None
    ageSeconds: float | None
    healthy: bool
    errors: list[str] = Field(description="the daemon's recent errors as its last heartbeat reported them")


class DaemonHealth(BaseModel):
    healthy: bool = Field(description="every required daemon has a heartbeat younger than maxAgeSeconds")
    maxAgeSeconds: float
    checkedAt: datetime
    daemons: list[DaemonHeartbeat]


def _at(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def _tick(tick: Tick | None) -> LastTick | None:
    if tick is None:
        return None
    return LastTick(
        at=_at(tick.timestamp),
        status=tick.status.lower(),
        skipReason=tick.skip_reason,
        error=tick.error,
        runIds=list(tick.run_ids),
    )


def _run(client: DagsterWebserverClient, run: RunSummary | None, failures: dict[str, str]) -> LastRun | None:
    if run is None:
        return None
    ended = run.start_time is not None and run.end_time is not None
    return LastRun(
        runId=run.run_id,
        job=run.job_name,
        status=run.status.lower(),
        startedAt=_at(run.start_time),
        endedAt=_at(run.end_time),
        durationSeconds=round(run.end_time - run.start_time, 3) if ended else None,
        error=failures.get(run.run_id, NO_FAILURE_EVENT) if run.status == "FAILURE" else None,
        url=client.run_url(run.run_id),
    )


def next_tick(instigator: Instigator) -> float | None:
    """When it should tick next: never while stopped; a schedule's next cron time; a sensor's last tick
    plus its interval (a sensor that never ticked has no known next tick)."""
    if not instigator.running:
        return None
    if instigator.kind == "schedule":
        return instigator.next_tick
    if instigator.last_tick is None or instigator.min_interval_seconds is None:
        return None
    return instigator.last_tick.timestamp + instigator.min_interval_seconds


def entry(client: DagsterWebserverClient, instigator: Instigator, failures: dict[str, str]) -> CronEntry:
    return CronEntry(
        name=instigator.name,
        kind=instigator.kind,
        status="running" if instigator.running else "stopped",
        description=instigator.description,
        jobs=list(instigator.jobs),
        cron=instigator.cron_schedule,
        timezone=instigator.timezone,
        minIntervalSeconds=instigator.min_interval_seconds,
        sensorType=instigator.sensor_type.lower() if instigator.sensor_type else None,
        lastTick=_tick(instigator.last_tick),
        lastRun=_run(client, instigator.last_run, failures),
        nextTick=_at(next_tick(instigator)),
    )


def _failures(client: DagsterWebserverClient, instigators: list[Instigator]) -> dict[str, str]:
    failed = [i.last_run.run_id for i in instigators if i.last_run and i.last_run.status == "FAILURE"]
    return client.run_failures(failed)


def console(client: DagsterWebserverClient) -> list[CronEntry]:
    """Every schedule, then every sensor, with last tick, last run and next tick."""
    instigators = client.instigators()
    failures = _failures(client, instigators)
    return [entry(client, i, failures) for i in instigators]


def _lookup(client: DagsterWebserverClient, name: str) -> Instigator:
    instigator = client.instigator(name)
    if instigator is None:
        raise UnknownInstigator(name)
    return instigator


def set_running(client: DagsterWebserverClient, name: str, running: bool) -> CronEntry:
    """Start or stop it (nothing to do when it already is), then its entry as Dagster now reports it."""
    instigator = _lookup(client, name)
    if instigator.running != running:
        client.set_running(instigator, running)
        instigator = _lookup(client, name)
    return entry(client, instigator, _failures(client, [instigator]))


def runnable_job(instigator: Instigator, partitioned_jobs: set[str]) -> str:
    """The one job "run now" launches, with its default config; NotRunnable says why there is none."""
    what = instigator.name
    if not instigator.jobs:
        kind = f"a {instigator.sensor_type.lower()} sensor" if instigator.sensor_type else instigator.kind
        raise NotRunnable(f"{what} launches no job ({kind}): there is nothing to run")
    if len(instigator.jobs) > 1:
        raise NotRunnable(f"{what} targets several jobs ({', '.join(instigator.jobs)}): launch one from the Dagster UI")
    [job] = instigator.jobs
    if job.startswith(IMPLICIT_ASSET_JOB):
        raise NotRunnable(f"{what} requests asset materializations, not a job run: materialize from the Dagster UI")
    if job in partitioned_jobs:
        raise NotRunnable(
            f"{what} runs {job}, which is partitioned: launch a partition or a backfill from the Dagster UI"
        )
    return job


def run_now(client: DagsterWebserverClient, name: str) -> RunLaunched:
    """Launch its job now, tagged as its run. Raises LaunchFailed (LaunchRefused: Dagster said no, such
    as a job whose config the schedule or sensor computes) or NotRunnable."""
    instigator = _lookup(client, name)
    job = runnable_job(instigator, client.partitioned_jobs())
    tags = {SCHEDULE_TAG if instigator.kind == "schedule" else SENSOR_TAG: name, LAUNCHED_BY_TAG: LAUNCHED_BY}
    run_id = client.launch_run(job, {}, tags)
    return RunLaunched(runId=run_id, job=job, url=client.run_url(run_id))


def judge_daemons(statuses: list[DaemonStatus], max_age_seconds: float, now: float) -> DaemonHealth:
    """Healthy: a heartbeat no older than max_age_seconds. Overall: every required daemon healthy (and
    at least one daemon known: an instance that reports none runs no daemon)."""
    daemons = []
    for s in statuses:
        age = None if s.last_heartbeat is None else max(0.0, round(now - s.last_heartbeat, 3))
        daemons.append(
            DaemonHeartbeat(
                daemonType=s.daemon_type,
                required=s.required,
                lastHeartbeatAt=_at(s.last_heartbeat),
                ageSeconds=age,
                healthy=age is not None and age <= max_age_seconds,
                errors=list(s.errors),
            )
        )
    return DaemonHealth(
        healthy=bool(daemons) and all(d.healthy for d in daemons if d.required),
        maxAgeSeconds=max_age_seconds,
        checkedAt=_at(now),
        daemons=daemons,
    )
