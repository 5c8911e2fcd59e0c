"""Google Calendar push: the OAuth client, the API host and the token box, read at run time."""

import dagster as dg

from contest_pipelines.calendar.push import PER_PROJECT_PER_MINUTE, GoogleApp, SlidingWindow
from contest_pipelines.calendar.token_box import TokenBox
from contest_pipelines.clients.google_calendar import GoogleOAuth
from contest_pipelines.settings import google_missing


class GoogleCalendarResource(dg.ConfigurableResource):
    """GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and CALENDAR_TOKEN_KEYS are optional: unset, pushes skip."""

    client_id: str = ""
    client_secret: str = ""
    token_keys: str = ""
    oauth_url: str = "https://oauth2.googleapis.com"
    api_url: str = "https://www.googleapis.com"
    retry_seconds: float = 2.0

    def missing(self) -> list[str]:
        return google_missing(self.client_id, self.client_secret, self.token_keys)

    def unconfigured(self) -> dg.SkipReason | None:
        """The skip the push's sensor and schedule give while Google is not set up (names, never values)."""
        missing = self.missing()
        return dg.SkipReason(f"Google Calendar push not configured: set {', '.join(missing)}") if missing else None

    def app(self) -> GoogleApp:
        if missing := self.missing():
            raise dg.Failure(f"Google Calendar push not configured: set {', '.join(missing)}")
        return GoogleApp(
            oauth=GoogleOAuth(self.oauth_url, self.client_id, self.client_secret),
            api_url=self.api_url,
            box=TokenBox.from_setting(self.token_keys),
            project_quota=SlidingWindow(PER_PROJECT_PER_MINUTE),
            retry_seconds=self.retry_seconds,
        )
