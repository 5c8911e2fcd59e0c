"""Names the game platform's Dagster definitions share."""

GAME_GROUP = "game_platform"
NOT_CONFIGURED = "GAME_PLATFORM_API_URL / GAME_PLATFORM_API_TOKEN are not set: the game platform is not synced"
