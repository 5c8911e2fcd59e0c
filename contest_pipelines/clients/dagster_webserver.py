"""The Dagster webserver's GraphQL API: launch a run now (the sync push path, the cron console's "run
now"), and read and switch the schedules, sensors and daemon heartbeats the cron console shows.

It is Dagster's own public API (what its UI calls), reached over HTTP so the API shim imports no
Dagster and needs no DAGSTER_HOME: Dagster stays the only record of ticks, runs and states.
"""

import logging
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}"""

_FRAGMENTS = """
fragment Failure on PythonError { message cause { message } }
fragment Tick on InstigationTick { timestamp status skipReason runIds error { ...Failure } }
fragment LastRun on Run { runId jobName status startTime endTime }
fragment ScheduleFields on Schedule {
  id name description cronSchedule executionTimezone pipelineName
  scheduleState { status ticks(limit: 1) { ...Tick } runs(limit: 1) { ...LastRun } nextTick { timestamp } }
}
fragment SensorFields on Sensor {
  id name description minIntervalSeconds sensorType targets { pipelineName }
  sensorState { status ticks(limit: 1) { ...Tick } runs(limit: 1) { ...LastRun } }
}"""
INSTIGATORS = (
    _FRAGMENTS
    + """
query Instigators($repo: RepositorySelector!) {
  schedulesOrError(repositorySelector: $repo) {
    __typename ... on Schedules { results { ...ScheduleFields } } ... on Error { message } }
  sensorsOrError(repositorySelector: $repo) {
    __typename ... on Sensors { results { ...SensorFields } } ... on Error { message } }
}"""
)
INSTIGATOR = (
    _FRAGMENTS
    + """
query Instigator($schedule: ScheduleSelector!, $sensor: SensorSelector!) {
  scheduleOrError(scheduleSelector: $schedule) { __typename ...ScheduleFields ... on Error { message } }
  sensorOrError(sensorSelector: $sensor) { __typename ...SensorFields ... on Error { message } }
}"""
)
# Each answers with the instigator's new status (or an error), under the field named here.
SWITCHES = {
    ("schedule", True): """mutation($selector: ScheduleSelector!) { result: startSchedule(scheduleSelector: $selector) {
      __typename ... on ScheduleStateResult { state: scheduleState { status } } ... on Error { message } } }""",
    ("schedule", False): """mutation($id: String!) { result: stopRunningSchedule(id: $id) {
      __typename ... on ScheduleStateResult { state: scheduleState { status } } ... on Error { message } } }""",
    ("sensor", True): """mutation($selector: SensorSelector!) { result: startSensor(sensorSelector: $selector) {
      __typename ... on Sensor { state: sensorState { status } } ... on Error { message } } }""",
    ("sensor", False): """mutation($id: String!) { result: stopSensor(id: $id) {
      __typename ... on StopSensorMutationResult { state: instigationState { status } } ... on Error { message } } }""",
}
PARTITIONED_JOBS = """
query PartitionedJobs($repo: RepositorySelector!) {
  repositoryOrError(repositorySelector: $repo) {
    __typename ... on Repository { partitionSets { pipelineName } } ... on Error { message } }
}"""
RUN_FAILURE = """
fragment Failure on PythonError { message cause { message } }
fragment RunFailure on Run { eventConnection(limit: 5000) { events { __typename
  ... on ExecutionStepFailureEvent { stepKey error { ...Failure } }
  ... on RunFailureEvent { message error { ...Failure } } } } }"""
DAEMONS = """
query Daemons { instance { daemonHealth { allDaemonStatuses {
  daemonType required lastHeartbeatTime lastHeartbeatErrors { message } } } } }"""
# Reads of the console may take longer than a launch on a busy webserver (ticks and runs of every instigator).
CONSOLE_TIMEOUT_SECONDS = 15.0
SUMMARY_CHARS = 300


class LaunchFailed(Exception):
    """The webserver did not launch the run (down, refused, or an error answer); the sensor will."""


class LaunchRefused(LaunchFailed):
    """The webserver answered, and refused the run (unknown job, invalid config): retrying will not help."""


class DagsterUnavailable(Exception):
    """The webserver did not answer, or answered with an error (its code location not loaded, say)."""


@dataclass(frozen=True)
class Tick:
    timestamp: float
    status: str  # STARTED | SKIPPED | SUCCESS | FAILURE
    skip_reason: str | None
    error: str | None
    run_ids: tuple[str, ...]


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    job_name: str
    status: str  # Dagster's RunStatus: QUEUED, STARTED, SUCCESS, FAILURE, CANCELED, ...
    start_time: float | None
    end_time: float | None


@dataclass(frozen=True)
class Instigator:
    """A schedule or a sensor as Dagster reports it, with its last tick and last run."""

    kind: str  # schedule | sensor
    id: str
    name: str
    description: str | None
    running: bool
    jobs: tuple[str, ...]  # what it launches (a run-status sensor: nothing)
    last_tick: Tick | None
    last_run: RunSummary | None
    cron_schedule: str | None = None
    timezone: str | None = None
    next_tick: float | None = None  # schedules: Dagster's next cron time while running
    min_interval_seconds: int | None = None
    sensor_type: str | None = None


@dataclass(frozen=True)
class DaemonStatus:
    daemon_type: str
    required: bool
    last_heartbeat: float | None
    errors: tuple[str, ...]


def summary(error: dict | None) -> str | None:
    """The first line of a Dagster error, and of its cause: what an operator reads first."""
    if not error:
        return None
    lines = [_first_line(error.get("message"))]
    if (error.get("cause") or {}).get("message"):
        lines.append(f"caused by {_first_line(error['cause']['message'])}")
    return " ".join(line for line in lines if line)[:SUMMARY_CHARS] or None


def _first_line(text: str | None) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def _tick(raw: list[dict]) -> Tick | None:
    if not raw:
        return None
    t = raw[0]
    return Tick(t["timestamp"], t["status"], t.get("skipReason"), summary(t.get("error")), tuple(t.get("runIds") or ()))


def _run(raw: list[dict]) -> RunSummary | None:
    if not raw:
        return None
    r = raw[0]
    return RunSummary(r["runId"], r["jobName"], r["status"], r.get("startTime"), r.get("endTime"))


def _schedule(s: dict) -> Instigator:
    state = s["scheduleState"]
    return Instigator(
        kind="schedule", id=s["id"], name=s["name"], description=s.get("description"),
        running=state["status"] == "RUNNING", jobs=(s["pipelineName"],),
        cron_schedule=s["cronSchedule"], timezone=s.get("executionTimezone"),
        next_tick=(state.get("nextTick") or {}).get("timestamp"),
        last_tick=_tick(state["ticks"]), last_run=_run(state["runs"]),
    )  # fmt: skip


def _sensor(s: dict) -> Instigator:
    state = s["sensorState"]
    return Instigator(
        kind="sensor", id=s["id"], name=s["name"], description=s.get("description"),
        running=state["status"] == "RUNNING", jobs=tuple(t["pipelineName"] for t in s.get("targets") or ()),
        min_interval_seconds=s["minIntervalSeconds"], sensor_type=s["sensorType"],
        last_tick=_tick(state["ticks"]), last_run=_run(state["runs"]),
    )  # fmt: skip


def _failure_summary(events: list[dict]) -> str | None:
    """Failed steps first (their error is the cause), else the run's own failure."""
    steps = [f"{e.get('stepKey')}: {summary(e.get('error')) or 'failed'}" for e in events if e.get("stepKey")]
    if steps:
        return "; ".join(steps)[:SUMMARY_CHARS]
    run = next((e for e in events if e["__typename"] == "RunFailureEvent"), None)
    return (summary(run.get("error")) or _first_line(run.get("message"))) if run else None


class DagsterWebserverClient:
    def __init__(
        self,
        base_url: str,
        *,
        location: str,
        repository: str = "__repository__",
        timeout_seconds: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url, self.timeout_seconds = base_url.rstrip("/"), timeout_seconds
        self._http = httpx.Client(base_url=self.base_url + "/", timeout=timeout_seconds, transport=transport)
        self.location, self.repository = location, repository

    def close(self) -> None:
        self._http.close()

    def run_url(self, run_id: str) -> str:
        """The run's page in the Dagster UI served by this webserver."""
        return f"{self.base_url}/runs/{run_id}"

    def launch_run(self, job_name: str, run_config: dict, tags: dict[str, str]) -> str:
        """Launch a run now; its run id. Raises LaunchFailed with a readable reason (LaunchRefused when
        the webserver answered and said no)."""
        params = {
            "selector": {
                "repositoryLocationName": self.location,
                "repositoryName": self.repository,
                "jobName": job_name,
            },
            "runConfigData": run_config,
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        try:
            response = self._http.post("graphql", json={"query": LAUNCH_RUN, "variables": {"executionParams": params}})
        except httpx.HTTPError as exc:
            raise LaunchFailed(f"webserver unreachable: {type(exc).__name__}") from exc
        try:
            body = response.json()
            result = body["data"]["launchRun"]
        except (ValueError, KeyError, TypeError):
            raise LaunchFailed(f"webserver answered HTTP {response.status_code}: {response.text[:200]!r}") from None
        if result.get("__typename") != "LaunchRunSuccess":
            reason = result.get("message") or "; ".join(e["message"] for e in result.get("errors") or ())
            raise LaunchRefused(f"{result.get('__typename')}: {str(reason)[:300]}")
        return result["run"]["runId"]

    # The cron console: reads and switches, each one GraphQL request (DagsterUnavailable when it fails).

    def instigators(self) -> list[Instigator]:
        """Every schedule, then every sensor, of the code location, by name."""
        data = self._query(INSTIGATORS, {"repo": self._repo()})
        found = []
        for field, results, parse in (
            ("schedulesOrError", "Schedules", _schedule),
            ("sensorsOrError", "Sensors", _sensor),
        ):
            answer = self._expect(data[field], results)
            found.extend(sorted((parse(x) for x in answer["results"]), key=lambda i: i.name))
        return found

    def instigator(self, name: str) -> Instigator | None:
        """The schedule or sensor with this name; None when the code location has neither."""
        data = self._query(
            INSTIGATOR,
            {"schedule": {**self._repo(), "scheduleName": name}, "sensor": {**self._repo(), "sensorName": name}},
        )
        if data["scheduleOrError"]["__typename"] == "Schedule":
            return _schedule(data["scheduleOrError"])
        if data["sensorOrError"]["__typename"] == "Sensor":
            return _sensor(data["sensorOrError"])
        for answer, not_found in (
            (data["scheduleOrError"], "ScheduleNotFoundError"),
            (data["sensorOrError"], "SensorNotFoundError"),
        ):
            self._expect(answer, not_found)  # anything else (the location failed to load, say) is not "unknown"
        return None

    def set_running(self, instigator: Instigator, running: bool) -> bool:
        """Start or stop a schedule or sensor; whether Dagster now reports it running."""
        selector_key = "scheduleName" if instigator.kind == "schedule" else "sensorName"
        variables = {"selector": {**self._repo(), selector_key: instigator.name}} if running else {"id": instigator.id}
        result = self._query(SWITCHES[(instigator.kind, running)], variables)["result"]
        if not result.get("state"):
            raise DagsterUnavailable(f"{result.get('__typename')}: {_first_line(result.get('message'))}")
        return result["state"]["status"] == "RUNNING"

    def partitioned_jobs(self) -> set[str]:
        """The jobs that need a partition to run (they have a partition set)."""
        data = self._query(PARTITIONED_JOBS, {"repo": self._repo()})
        return {p["pipelineName"] for p in self._expect(data["repositoryOrError"], "Repository")["partitionSets"]}

    def run_failures(self, run_ids: list[str]) -> dict[str, str]:
        """A one-line reason for each failed run, from its failure events."""
        if not run_ids:
            return {}
        aliases = {f"r{i}": run_id for i, run_id in enumerate(run_ids)}
        query = (
            RUN_FAILURE
            + f"\nquery RunFailures({', '.join(f'${a}: ID!' for a in aliases)}) {{"
            + " ".join(f"{a}: runOrError(runId: ${a}) {{ __typename ...RunFailure }}" for a in aliases)
            + "}"
        )
        data = self._query(query, aliases)
        reasons = {}
        for alias, run_id in aliases.items():
            if data[alias]["__typename"] == "Run":
                reason = _failure_summary(data[alias]["eventConnection"]["events"])
                if reason:
                    reasons[run_id] = reason
        return reasons

    def daemon_statuses(self) -> list[DaemonStatus]:
        """Each daemon type the instance runs, with its last heartbeat (epoch seconds) and its recent errors."""
        statuses = self._query(DAEMONS, {})["instance"]["daemonHealth"]["allDaemonStatuses"]
        return [
            DaemonStatus(
                s["daemonType"],
                s["required"],
                s.get("lastHeartbeatTime"),
                tuple(_first_line(e["message"]) for e in s.get("lastHeartbeatErrors") or ()),
            )
            for s in statuses
        ]

    def _repo(self) -> dict[str, str]:
        return {"repositoryLocationName": self.location, "repositoryName": self.repository}

    @staticmethod
    def _expect(answer: dict, typename: str) -> dict:
        if answer.get("__typename") != typename:
            raise DagsterUnavailable(
                f"{answer.get('__typename')}: {_first_line(answer.get('message'))}"[:SUMMARY_CHARS]
            )
        return answer

    def _query(self, query: str, variables: dict) -> dict:
        try:
            response = self._http.post(
                "graphql",
                json={"query": query, "variables": variables},
                timeout=max(self.timeout_seconds, CONSOLE_TIMEOUT_SECONDS),
            )
        except httpx.HTTPError as exc:
            raise DagsterUnavailable(f"Dagster webserver unreachable at {self.base_url}: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            raise DagsterUnavailable(
                f"Dagster webserver answered HTTP {response.status_code}: {response.text[:200]!r}"
            ) from None
        if not isinstance(body, dict) or body.get("errors") or not isinstance(body.get("data"), dict):
            errors = body.get("errors") if isinstance(body, dict) else None
            detail = "; ".join(str(e.get("message"))[:200] for e in errors or () if isinstance(e, dict))
            raise DagsterUnavailable(f"Dagster webserver answered HTTP {response.status_code}: {detail or 'no data'}")
        return body["data"]
