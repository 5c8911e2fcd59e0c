"""Names the game platform's Dagster definitions share."""

GAME_GROUP = "game_platform"
# The settings without which nothing talks to the platform (README, Configuration).
REQUIRED_SETTINGS = ("GAME_PLATFORM_API_URL", "GAME_PLATFORM_API_TOKEN")


def not_configured(missing: list[str]) -> str:
    """What a skipped tick or a failed run says while settings are missing: their names, never a value."""
    names = " / ".join(missing)
    return f"{names} {'is' if len(missing) == 1 else 'are'} not set: the game platform is not synced"
