"""Game platform resource: the CTF platform's API client, with its token read at run time."""

import dagster as dg

from contest_pipelines.clients.game_platform import GamePlatformClient
from contest_pipelines.game_platform.constants import NOT_CONFIGURED


class GamePlatformResource(dg.ConfigurableResource):
    """The CTF game platform (GAME_PLATFORM_API_URL, bearer GAME_PLATFORM_API_TOKEN)."""

    base_url: str
    token: str
    timeout_seconds: float = 10.0

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.token)

    def unconfigured(self) -> dg.SkipReason | None:
        """The skip every game-platform sensor and schedule gives while the platform is not set up."""
        return None if self.configured else dg.SkipReason(NOT_CONFIGURED)

    def client(self) -> GamePlatformClient:
        return GamePlatformClient(self.base_url, self.token, timeout_seconds=self.timeout_seconds)
