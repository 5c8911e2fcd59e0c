"""Onboarding competitors onto the game platform and reconciling team rosters with it (seed 001)."""

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from contest_pipelines.clients.game_platform import GamePlatformClient, GamePlatformError
from contest_pipelines.db.tables import onboarding_requests, players, team_members, teams

log = logging.getLogger(__name__)


@dataclass
class OnboardingResult:
    request_id: int
    user_id: str
    status: str  # done | refused | failed
    reason: str | None = None


def request_onboarding(conn: sa.Connection, user_id: str, coach_id: str | None) -> int:
    return conn.execute(
        onboarding_requests.insert().values(user_id=user_id, coach_id=coach_id).returning(onboarding_requests.c.id)
    ).scalar_one()


def pending_onboarding(conn: sa.Connection) -> list[int]:
    return list(
        conn.execute(
            sa.select(onboarding_requests.c.id)
            .where(onboarding_requests.c.status == "pending")
            .order_by(onboarding_requests.c.id)
        ).scalars()
    )


def onboard(engine: sa.Engine, client: GamePlatformClient, request_id: int) -> OnboardingResult:
    """Create the competitor remotely (looking them up first) and promote them to `complete`.

    The player row stays locked for the whole step, so a concurrent onboarding of the same player
    waits and then finds them complete: one remote user, however many requests."""
    with engine.begin() as conn:
        request = conn.execute(
            sa.select(onboarding_requests).where(onboarding_requests.c.id == request_id).with_for_update()
        ).one_or_none()
        if request is None or request.status != "pending":
            return OnboardingResult(
                request_id, request.user_id if request else "?", "refused", "request already processed"
            )
        player = conn.execute(sa.select(players).where(players.c.user_id == request.user_id).with_for_update()).one()
        result = _onboard_locked(conn, client, request_id, player)
        conn.execute(
            onboarding_requests.update()
            .where(onboarding_requests.c.id == request_id)
            .values(status=result.status, reason=result.reason, processed_at=sa.func.now())
        )
    return result


def _onboard_locked(
    conn: sa.Connection, client: GamePlatformClient, request_id: int, player: sa.Row
) -> OnboardingResult:
    if player.game_platform_id is not None:
        return OnboardingResult(
            request_id, player.user_id, "refused", f"already on the game platform as {player.game_platform_id}"
        )
    if player.status != "compliance":
        return OnboardingResult(
            request_id,
            player.user_id,
            "refused",
            f"status is {player.status!r}; only competitors in 'compliance' can be added",
        )
    if not player.email:
        return OnboardingResult(request_id, player.user_id, "refused", "the competitor has no email address")
    try:
        remote = client.get_user(player.user_id) or client.create_user(
            first_name=player.first_name or player.display_name or player.user_id,
            last_name=player.last_name or "",
            email=player.email,
            role="user",
            syned_user_id=player.user_id,
        )
    except GamePlatformError as exc:
        conn.execute(
            players.update().where(players.c.user_id == player.user_id).values(game_platform_sync_error=str(exc)[:500])
        )
        return OnboardingResult(request_id, player.user_id, "failed", exc.code)
    conn.execute(
        players.update()
        .where(players.c.user_id == player.user_id)
        .values(
            game_platform_id=remote.syned_user_id,
            status="complete",
            game_platform_sync_error=None,
            game_platform_synced_at=sa.func.now(),
            updated_at=sa.func.now(),
        )
    )
    return OnboardingResult(request_id, player.user_id, "done")


@dataclass
class RosterReport:
    teams_created: int = 0
    members_assigned: int = 0
    teams_deleted: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            **{k: v for k, v in self.__dict__.items() if k != "errors"},
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
        }


def pending_roster_changes(conn: sa.Connection) -> int:
    """Local roster changes the platform has not seen yet (what roster_change_sensor watches)."""
    return conn.execute(
        sa.text("""
        SELECT (SELECT count(*) FROM teams WHERE deleted_at IS NOT NULL OR game_platform_synced_at IS NULL
                    OR updated_at > game_platform_synced_at)
             + (SELECT count(*) FROM team_members m JOIN players p USING (user_id)
                    WHERE m.game_platform_synced_at IS NULL AND p.game_platform_id IS NOT NULL)""")
    ).scalar_one()


def sync_roster(engine: sa.Engine, client: GamePlatformClient, *, dry_run: bool = False) -> RosterReport:
    """Diff the platform's team assignments against the database and close the gap."""
    report = RosterReport()
    remote = client.get_team_assignments()
    remote_pairs = {(a.syned_team_id, a.syned_user_id) for a in remote.assignments}
    remote_teams = {team for team, _ in remote_pairs}
    with engine.connect() as conn:
        local_teams = conn.execute(sa.select(teams)).all()
        memberships = conn.execute(
            sa.select(team_members.c.team_id, players.c.game_platform_id)
            .join(players, players.c.user_id == team_members.c.user_id)
            .where(players.c.game_platform_id.is_not(None))
        ).all()
    for team in local_teams:
        if team.deleted_at is not None:
            _delete_team(engine, client, team, report, dry_run)
        elif team.game_platform_id is None and team.team_id not in remote_teams:
            _create_team(engine, client, team, report, dry_run)
    live = {t.team_id for t in local_teams if t.deleted_at is None}
    in_sync: list[tuple[str, str]] = []
    for team_id, syned_user_id in memberships:
        if team_id not in live:
            continue
        if (team_id, syned_user_id) not in remote_pairs:
            try:
                if not dry_run:
                    client.assign_member(team_id, syned_user_id)
                report.members_assigned += 1
            except GamePlatformError as exc:
                report.errors.append(f"assign {syned_user_id} to {team_id}: {exc.code}")
                continue
        in_sync.append((team_id, syned_user_id))
    if not dry_run and in_sync:
        with engine.begin() as conn:  # one set-based update for every membership now on the platform
            conn.execute(
                sa.text(
                    "UPDATE team_members m SET game_platform_synced_at = now()"
                    " FROM unnest(CAST(:teams AS text[]), CAST(:users AS text[])) AS s(team_id, syned_user_id)"
                    " JOIN players p ON p.game_platform_id = s.syned_user_id"
                    " WHERE m.team_id = s.team_id AND m.user_id = p.user_id"
                ),
                {"teams": [t for t, _ in in_sync], "users": [u for _, u in in_sync]},
            )
    if not dry_run:
        with engine.begin() as conn:
            conn.execute(
                teams.update()
                .where(teams.c.deleted_at.is_(None), teams.c.game_platform_id.is_not(None))
                .values(game_platform_synced_at=sa.func.now())
            )
    return report


def _create_team(
    engine: sa.Engine, client: GamePlatformClient, team: sa.Row, report: RosterReport, dry_run: bool
) -> None:
    try:
        if dry_run:
            report.teams_created += 1
            return
        remote = client.create_team(
            team.team_id, team.coach_id or "", team.name, team.division or "", team.affiliation or ""
        )
    except GamePlatformError as exc:
        report.errors.append(f"create team {team.team_id}: {exc.code}")
        return
    with engine.begin() as conn:
        conn.execute(
            teams.update()
            .where(teams.c.team_id == team.team_id)
            .values(game_platform_id=str(remote.metactf_team_id), game_platform_synced_at=sa.func.now())
        )
    report.teams_created += 1


def _delete_team(
    engine: sa.Engine, client: GamePlatformClient, team: sa.Row, report: RosterReport, dry_run: bool
) -> None:
    """Deleted locally: delete it remotely too; a remote failure is logged and never blocks the local deletion."""
    if dry_run:
        report.teams_deleted += 1
        return
    if team.game_platform_id is not None:
        try:
            client.delete_team(team.team_id)
        except GamePlatformError as exc:
            log.warning("remote deletion of team %s failed (%s); deleting it locally anyway", team.team_id, exc.code)
            report.errors.append(f"delete team {team.team_id}: {exc.code}")
    with engine.begin() as conn:
        conn.execute(teams.delete().where(teams.c.team_id == team.team_id, teams.c.deleted_at.is_not(None)))
    report.teams_deleted += 1


def delete_team_locally(conn: sa.Connection, team_id: str) -> str:
    """Mark an empty team deleted; the roster sync removes it from the platform, then here."""
    members = conn.execute(sa.select(sa.func.count()).where(team_members.c.team_id == team_id)).scalar_one()
    if members:
        return "has_members"
    result = conn.execute(
        teams.update().where(teams.c.team_id == team_id, teams.c.deleted_at.is_(None)).values(deleted_at=sa.func.now())
    )
    return "deleted" if result.rowcount else "not_found"
