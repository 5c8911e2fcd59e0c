"""Onboarding competitors onto the game platform (seed 001): a coach's request, processed once per player."""

from dataclasses import dataclass

import sqlalchemy as sa

from contest_pipelines.clients.game_platform import GamePlatformClient, GamePlatformError
from contest_pipelines.db.tables import onboarding_requests, players
from contest_pipelines.domain.roster import onboarding_refusal


@dataclass
class OnboardingResult:
    request_id: int
    user_id: str
    status: str  # done | refused | failed
    reason: str | None = None


class UnknownPlayer(Exception):
    """Onboarding was asked for a user id the database does not know."""


def request_onboarding(conn: sa.Connection, user_id: str, coach_id: str | None) -> int:
    """Record a coach's request; onboarding_job processes it. Raises UnknownPlayer for an unknown user."""
    if conn.execute(sa.select(players.c.user_id).where(players.c.user_id == user_id)).first() is None:
        raise UnknownPlayer(f"no player {user_id!r}")
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
    refusal = onboarding_refusal(player.game_platform_id, player.status, player.email)
    if refusal is not None:
        return OnboardingResult(request_id, player.user_id, "refused", refusal)
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


def onboard_pending(engine: sa.Engine, client: GamePlatformClient) -> list[OnboardingResult]:
    """Process every pending onboarding request, oldest first (what onboarding_job runs)."""
    with engine.connect() as conn:
        pending = pending_onboarding(conn)
    return [onboard(engine, client, request_id) for request_id in pending]
