"""Test data: a room with problems and members, loaded through the real fixture loader."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from contest_pipelines.db.fixtures import Fixture, load_fixture


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
        "teams": [
            {"teamId": t, "name": f"Team {t}", "members": [u for u, tt in team_of.items() if tt == t]} for t in teams
        ],
        "rooms": [
            {
                "roomId": room_id,
                "name": f"Room {room_id}",
                "startsAt": (min(revealed, ends) - timedelta(hours=1)).isoformat(),
                "endsAt": ends.isoformat(),
                "problems": [
                    {"problemId": p, "points": pts, "revealedAt": revealed.isoformat()} for p, pts in problems.items()
                ],
                "members": [{"userId": u, "teamId": team_of.get(u)} for u in players],
            }
        ],
    }


def load(engine: sa.Engine, fixture: dict) -> dict[str, int]:
    with engine.begin() as conn:
        return load_fixture(conn, Fixture.model_validate(fixture))


def prediction_fixture(
    *, rooms: dict[str, dict[str, tuple[int, int]]], tournament: str = "t1", league: str = "l1"
) -> dict:
    """Prediction rooms in one tournament: {room_id: {user_id: (home, away) guess}}; guess times 1 s apart."""
    now = datetime.now(UTC)
    users = sorted({u for guesses in rooms.values() for u in guesses})
    base = now - timedelta(days=1)
    return {
        "leagues": [{"leagueId": league, "name": f"League {league}"}],
        "tournaments": [{"tournamentId": tournament, "leagueId": league, "name": f"Tournament {tournament}"}],
        "players": [{"userId": u, "cfHandle": None} for u in users],
        "rooms": [
            {
                "roomId": room_id,
                "name": room_id,
                "kind": "prediction",
                "tournamentId": tournament,
                "startsAt": (now - timedelta(hours=3)).isoformat(),
                "endsAt": (now - timedelta(hours=1)).isoformat(),
                "members": [{"userId": u} for u in sorted(guesses)],
            }
            for room_id, guesses in rooms.items()
        ],
        "guesses": [
            {
                "roomId": room_id,
                "userId": u,
                "home": h,
                "away": a,
                "guessedAt": (base + timedelta(seconds=i)).isoformat(),
            }
            for room_id, guesses in rooms.items()
            for i, (u, (h, a)) in enumerate(sorted(guesses.items()))
        ],
    }


def set_match_result(
    engine: sa.Engine, room_id: str, home: int | None, away: int | None, status: str = "ended"
) -> None:
    from sqlalchemy.dialects.postgresql import insert

    from contest_pipelines.db.tables import match_results

    stmt = insert(match_results).values(room_id=room_id, status=status, home_score=home, away_score=away)
    with engine.begin() as conn:
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["room_id"],
                set_={"status": status, "home_score": home, "away_score": away, "observed_at": sa.func.now()},
            )
        )
