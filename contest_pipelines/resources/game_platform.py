"""Game platform resource: the CTF platform's API client, with its token read at run time."""

import dagster as dg

from contest_pipelines.clients.game_platform import GamePlatformClient
from contest_pipelines.game_platform.constants import REQUIRED_SETTINGS, not_configured
from contest_pipelines.settings import get_settings


class GamePlatformResource(dg.ConfigurableResource):
    """The CTF game platform (GAME_PLATFORM_API_URL, bearer GAME_PLATFORM_API_TOKEN)."""

    base_url: str
    token: str
    timeout_seconds: float = 10.0
    # Unset: GAME_PLATFORM_MAX_CONCURRENCY / GAME_PLATFORM_MAX_CALLS_PER_SECOND, read when a run starts.
    max_concurrency: int | None = None
    max_calls_per_second: float | None = None

    @property
    def configured(self) -> bool:
        return not self.missing()

    def missing(self) -> list[str]:
        """The required settings that are unset, by name."""
        return [name for name, value in zip(REQUIRED_SETTINGS, (self.base_url, self.token)) if not value]

    def unconfigured(self) -> dg.SkipReason | None:
        """The skip every game-platform sensor and schedule gives while the platform is not set up."""
        missing = self.missing()
        return dg.SkipReason(not_configured(missing)) if missing else None

    def client(self) -> GamePlatformClient:
        """A client for one run; an unconfigured platform fails the run with the same words the skips use."""
        if missing := self.missing():
            raise dg.Failure(
                description=(
                    f"{not_configured(missing)}. Set {' and '.join(missing)} where the Dagster code location runs "
                    "(README, Configuration), then launch the run again."
                ),
                metadata={"missing_settings": ", ".join(missing)},
                allow_retries=False,  # a retry cannot configure the platform
            )
        settings = get_settings()
        return GamePlatformClient(
            self.base_url,
            self.token,
            timeout_seconds=self.timeout_seconds,
            max_concurrency=self.max_concurrency or settings.game_platform_max_concurrency,
            max_calls_per_second=self.max_calls_per_second or settings.game_platform_max_calls_per_second,
        )
