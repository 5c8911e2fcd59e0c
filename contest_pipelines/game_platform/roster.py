"""Reconciling team rosters with the game platform (seed 001): the platform follows the database."""

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from contest_pipelines.clients.game_platform import GamePlatformClient, GamePlatformError
from contest_pipelines.db.tables import players, team_members, teams
from contest_pipelines.domain.roster import LocalTeam, roster_plan

log = logging.getLogger(__name__)


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
    """Diff the platform's team assignments against the database (`domain.roster.roster_plan`) and close the gap."""
    report = RosterReport()
    remote = client.get_team_assignments()
    with engine.connect() as conn:
        local_teams = {t.team_id: t for t in conn.execute(sa.select(teams)).all()}
        memberships = conn.execute(
            sa.select(team_members.c.team_id, players.c.game_platform_id)
            .join(players, players.c.user_id == team_members.c.user_id)
            .where(players.c.game_platform_id.is_not(None))
        ).all()
    plan = roster_plan(
        [LocalTeam(t.team_id, t.game_platform_id, t.deleted_at is not None) for t in local_teams.values()],
        [(team_id, user) for team_id, user in memberships],
        [(a.syned_team_id, a.syned_user_id) for a in remote.assignments],
    )
    for team_id in plan.delete:
        _delete_team(engine, client, local_teams[team_id], report, dry_run)
    for team_id in plan.create:
        _create_team(engine, client, local_teams[team_id], report, dry_run)
    in_sync = list(plan.present)
    for team_id, syned_user_id in plan.assign:
        try:
            if not dry_run:
                client.assign_member(team_id, syned_user_id)
        except GamePlatformError as exc:
            report.errors.append(f"assign {syned_user_id} to {team_id}: {exc.code}")
            continue
        report.members_assigned += 1
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
