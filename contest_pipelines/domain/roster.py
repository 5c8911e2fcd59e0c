"""Roster reconciliation and onboarding eligibility, pure (seed 001): what must change on the game
platform to match the database, and whether a competitor may be created there."""

from collections.abc import Iterable
from dataclasses import dataclass, field

Pair = tuple[str, str]  # (team id, the member's game-platform user id)


@dataclass(frozen=True)
class LocalTeam:
    team_id: str
    game_platform_id: str | None  # None: never created on the platform
    deleted: bool  # deleted here, still to be deleted there


@dataclass
class RosterPlan:
    create: list[str] = field(default_factory=list)  # teams unknown to the platform
    delete: list[str] = field(default_factory=list)  # teams deleted locally
    assign: list[Pair] = field(default_factory=list)  # memberships the platform lacks
    present: list[Pair] = field(default_factory=list)  # memberships the platform already has


def roster_plan(teams: Iterable[LocalTeam], memberships: Iterable[Pair], remote: Iterable[Pair]) -> RosterPlan:
    """The difference between the local rosters and the platform's team assignments. A team the
    platform already lists is not created again (a create whose answer was lost)."""
    remote_pairs = set(remote)
    remote_teams = {team for team, _ in remote_pairs}
    plan = RosterPlan()
    live = set()
    for team in teams:
        if team.deleted:
            plan.delete.append(team.team_id)
            continue
        live.add(team.team_id)
        if team.game_platform_id is None and team.team_id not in remote_teams:
            plan.create.append(team.team_id)
    for pair in memberships:
        if pair[0] in live:
            (plan.present if pair in remote_pairs else plan.assign).append(pair)
    return plan


def onboarding_refusal(game_platform_id: str | None, status: str, email: str | None) -> str | None:
    """Why a competitor cannot be created on the platform now, or None when they can."""
    if game_platform_id is not None:
        return f"already on the game platform as {game_platform_id}"
    if status != "compliance":
        return f"status is {status!r}; only competitors in 'compliance' can be added"
    if not email:
        return "the competitor has no email address"
    return None
