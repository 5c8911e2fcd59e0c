"""The Dagster webserver's GraphQL API: launch a run of a job now (the sync push path).

The API shim uses this to start a `cf_sync_job` run the moment a request is accepted, instead of
waiting for the next sensor tick. It is Dagster's own public launch API (the `launchRun` mutation the
UI's Launchpad uses), reached over HTTP so the shim imports no Dagster.
"""

import logging

import httpx

log = logging.getLogger(__name__)

LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}"""


class LaunchFailed(Exception):
    """The webserver did not launch the run (down, refused, or an error answer); the sensor will."""


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
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=timeout_seconds, transport=transport)
        self.location, self.repository = location, repository

    def close(self) -> None:
        self._http.close()

    def launch_run(self, job_name: str, run_config: dict, tags: dict[str, str]) -> str:
        """Launch a run now; its run id. Raises LaunchFailed with a readable reason."""
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
            raise LaunchFailed(f"{result.get('__typename')}: {str(result.get('message', ''))[:300]}")
        return result["run"]["runId"]
