"""Test data: a room with problems and members, loaded through the real fixture loader."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from contest_pipelines.db.loader import Fixture, load_fixture


def room_fixture(
    *,
    room_id: str = "room-1",
    players: dict[str, str | None] | None = None,
    problems: dict[str, int] | None = None,
    revealed_at: datetime | None = None,
    ends_at: datetime | None = None,
    team_of: dict[str, str] | None = None,
) -> dict:
    """A running room: revealed an hour ago, ending in an hour, unless told otherwise."""
    now = datetime.now(UTC)
    players = players if players is not None else {"u1": "tourist"}
    problems = problems or {"1843A": 100, "1843B": 200}
    revealed = revealed_at or now - timedelta(hours=1)
    ends = ends_at or now + timedelta(hours=1)
    team_of = team_of or {}
    teams = sorted(set(team_of.values()))
    return {
        "players": [{"userId": u, "cfHandle": h, "displayName": u.upper()} for u, h in players.items()],
        "teams": [{"teamId": t, "name": f"Team {t}", "members": [u for u, tt in team_of.items() if tt == t]} for t in teams],
        "rooms": [{
            "roomId": room_id,
            "name": f"Room {room_id}",
            "startsAt": (min(revealed, ends) - timedelta(hours=1)).isoformat(),
            "endsAt": ends.isoformat(),
            "problems": [{"problemId": p, "points": pts, "revealedAt": revealed.isoformat()} for p, pts in problems.items()],
            "members": [{"userId": u, "teamId": team_of.get(u)} for u in players],
        }],
    }


def load(engine: sa.Engine, fixture: dict) -> dict[str, int]:
    with engine.begin() as conn:
        return load_fixture(conn, Fixture.model_validate(fixture))
