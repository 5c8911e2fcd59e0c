"""The game platform's payloads as pydantic models: unknown fields are ignored, missing ones are errors."""

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # The vendor adds fields without notice; unknown ones must not break a sync.
    model_config = ConfigDict(extra="ignore")


class PlatformUser(_Model):
    syned_user_id: str
    metactf_user_id: int
    metactf_username: str
    metactf_user_status: str


class PlatformTeam(_Model):
    syned_team_id: str
    metactf_team_id: int


class TeamAssignment(_Model):
    syned_team_id: str
    syned_user_id: str


class TeamAssignments(_Model):
    assignments: list[TeamAssignment] = Field(default_factory=list)
    total_count: int


class ChallengeSolve(_Model):
    challenge_solve_id: int
    challenge_id: int
    challenge_title: str
    challenge_category: str
    challenge_points: int
    timestamp_unix: int


class OdlScores(_Model):
    """ODL scores. The totals always cover every solve; `challenge_solves` only those after the cursor."""

    syned_user_id: str
    metactf_user_id: int
    total_challenges_solved: int
    total_points: int
    monthly_ctf_challenges: int = 0
    challenge_solves: list[ChallengeSolve] = Field(default_factory=list)


class FlashCtfEvent(_Model):
    event_id: str
    flash_ctf_name: str
    challenges_solved: int
    points_earned: int
    rank: int | None = None  # unranked participants
    flash_ctf_time_start_unix: int
    flash_ctf_time_end_unix: int


class FlashCtfProgress(_Model):
    """Every Flash CTF event of the user: the platform has no incremental cursor for these."""

    syned_user_id: str
    flash_ctfs: list[FlashCtfEvent] = Field(default_factory=list)
