"""The game platform (MetaCTF) client package: `client` talks HTTP, `models` parses, `errors` types failures."""

from contest_pipelines.clients.game_platform.client import GamePlatformClient
from contest_pipelines.clients.game_platform.errors import GamePlatformError
from contest_pipelines.clients.game_platform.models import (
    ChallengeSolve,
    FlashCtfEvent,
    FlashCtfProgress,
    OdlScores,
    PlatformTeam,
    PlatformUser,
    TeamAssignment,
    TeamAssignments,
)

__all__ = [
    "ChallengeSolve",
    "FlashCtfEvent",
    "FlashCtfProgress",
    "GamePlatformClient",
    "GamePlatformError",
    "OdlScores",
    "PlatformTeam",
    "PlatformUser",
    "TeamAssignment",
    "TeamAssignments",
]
