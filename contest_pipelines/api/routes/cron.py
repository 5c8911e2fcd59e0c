"""The cron console (admin token): every schedule and sensor with its last tick, last run and next tick;
run one's job now, start or stop it; and the Dagster daemons' heartbeats. All read from the Dagster
webserver named by DAGSTER_WEBSERVER_URL (docs/operations.md, "Cron console")."""

import time

from fastapi import APIRouter, HTTPException, status

from contest_pipelines.api import cron_console
from contest_pipelines.api.cron_console import CronEntry, DaemonHealth, NotRunnable, RunLaunched, UnknownInstigator
from contest_pipelines.api.deps import AdminOnly, SettingsDep, SyncLauncher
from contest_pipelines.api.schemas import IdPath, errors
from contest_pipelines.clients.dagster_webserver import (
    DagsterUnavailable,
    DagsterWebserverClient,
    LaunchFailed,
    LaunchRefused,
)

router = APIRouter(prefix="/api/admin", tags=["admin", "cron"], dependencies=[AdminOnly])


def _dagster(client: DagsterWebserverClient | None) -> DagsterWebserverClient:
    # The same webserver client as the push path (deps.sync_launcher): one setting names Dagster for the API.
    if client is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "DAGSTER_WEBSERVER_URL is not set: the cron console reads schedules, sensors and daemons from the "
            "Dagster webserver",
        )
    return client


def _unavailable(exc: Exception) -> HTTPException:
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"Dagster did not answer: {exc}")


@router.get("/cron", responses=errors(401, 503))
def cron_console_list(dagster: SyncLauncher) -> list[CronEntry]:
    """Every schedule, then every sensor, of the code location: running or stopped, last tick (skip
    reason or error), last run (with why it failed), next tick. Read from Dagster at each request."""
    try:
        return cron_console.console(_dagster(dagster))
    except DagsterUnavailable as exc:
        raise _unavailable(exc) from exc


@router.post("/cron/{name}/run", status_code=status.HTTP_202_ACCEPTED, responses=errors(401, 404, 409, 422, 503))
def run_now(name: IdPath, dagster: SyncLauncher) -> RunLaunched:
    """Launch the job of this schedule or sensor now, with its default config, tagged as its run (it
    becomes its last run). 409 when there is no such job to launch as is: a run-status sensor, a sensor
    of assets, a partitioned job, a job whose config the schedule or sensor computes."""
    try:
        return cron_console.run_now(_dagster(dagster), name)
    except UnknownInstigator as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except NotRunnable as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except LaunchRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"Dagster refused to launch the job of {name}: {exc}") from exc
    except (DagsterUnavailable, LaunchFailed) as exc:
        raise _unavailable(exc) from exc


def _switch(client: DagsterWebserverClient | None, name: str, running: bool) -> CronEntry:
    try:
        return cron_console.set_running(_dagster(client), name, running)
    except UnknownInstigator as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except DagsterUnavailable as exc:
        raise _unavailable(exc) from exc


@router.post("/cron/{name}/start", responses=errors(401, 404, 422, 503))
def start(name: IdPath, dagster: SyncLauncher) -> CronEntry:
    """Start the schedule or sensor (a no-op if it runs); its entry as Dagster now reports it."""
    return _switch(dagster, name, True)


@router.post("/cron/{name}/stop", responses=errors(401, 404, 422, 503))
def stop(name: IdPath, dagster: SyncLauncher) -> CronEntry:
    """Stop the schedule or sensor (a no-op if it is stopped); its entry as Dagster now reports it."""
    return _switch(dagster, name, False)


@router.get("/health/daemons", responses=errors(401, 503))
def daemon_health(dagster: SyncLauncher, settings: SettingsDep) -> DaemonHealth:
    """The Dagster daemons' last heartbeats and their age; a daemon is unhealthy once its heartbeat is
    older than DAEMON_HEARTBEAT_MAX_AGE_SECONDS (60 s; daemons beat every 30 s, the scheduler once a
    minute). A dead daemon answers 200 with `healthy: false`; 503: the webserver itself did not answer.

    Not part of /readyz on purpose: readiness says whether this API can serve players (PostgreSQL and
    Redis), and must stay cheap and local. A stopped daemon delays syncs and settlements but the API
    still serves, and making it unready would take every replica out of the load balancer at once."""
    try:
        statuses = _dagster(dagster).daemon_statuses()
    except DagsterUnavailable as exc:
        raise _unavailable(exc) from exc
    return cron_console.judge_daemons(statuses, settings.daemon_heartbeat_max_age_seconds, time.time())
