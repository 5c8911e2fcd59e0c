"""Match provider resource: builds the client that reports prediction rooms' matches."""

import dagster as dg

from contest_pipelines.clients.match_provider import MatchProviderClient


class MatchProviderResource(dg.ConfigurableResource):
    """Where prediction rooms' match status and final scores come from (MATCH_PROVIDER_URL)."""

    base_url: str = ""  # empty: prediction rooms are not polled
    timeout_seconds: float = 5.0

    def client(self) -> MatchProviderClient:
        return MatchProviderClient(self.base_url, timeout_seconds=self.timeout_seconds)

    @property
    def configured(self) -> bool:
        return bool(self.base_url)
