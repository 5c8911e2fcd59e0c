"""The fixtures loader (`contest-pipelines load FILE.json`): idempotent upserts of players, teams,
rooms, problems and members."""

from typing import Literal

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.db.boards import bump_versions
from contest_pipelines.db.tables import (
    coaches,
    guesses,
    leagues,
    players,
    room_members,
    room_problems,
    rooms,
    team_members,
    teams,
    tournaments,
)
from contest_pipelines.domain.validation_matrix import normalize_problem_id

CHUNK_ROWS = 5000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Player(_Model):
    userId: str = Field(min_length=1)
    cfHandle: str | None = None
    displayName: str = ""
    coachId: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    status: Literal["pending", "profile", "compliance", "complete"] = "pending"
    gamePlatformId: str | None = None  # the syned_user_id the game platform knows the competitor by


class Team(_Model):
    teamId: str = Field(min_length=1)
    name: str
    members: list[str] = []
    coachId: str | None = None
    division: str | None = None
    affiliation: str | None = None


class Coach(_Model):
    coachId: str = Field(min_length=1)
    name: str
    email: str | None = None


class Problem(_Model):
    problemId: str
    points: int = Field(ge=0)
    revealedAt: AwareDatetime

    @field_validator("problemId")
    @classmethod
    def _normalize(cls, value: str) -> str:
        return normalize_problem_id(value)


class Member(_Model):
    userId: str
    teamId: str | None = None


class League(_Model):
    leagueId: str = Field(min_length=1)
    name: str


class Tournament(_Model):
    tournamentId: str = Field(min_length=1)
    leagueId: str = Field(min_length=1)
    name: str


class GuessIn(_Model):
    roomId: str
    userId: str
    home: int = Field(ge=0)
    away: int = Field(ge=0)
    guessedAt: AwareDatetime | None = None


class Room(_Model):
    roomId: str = Field(min_length=1)
    name: str
    startsAt: AwareDatetime
    endsAt: AwareDatetime
    tournamentId: str | None = None
    kind: Literal["contest", "prediction"] = "contest"
    problems: list[Problem] = []
    members: list[Member] = []

    @model_validator(mode="after")
    def _window(self) -> "Room":
        if self.endsAt <= self.startsAt:
            raise ValueError(f"room {self.roomId}: endsAt must be after startsAt")
        return self


class Fixture(_Model):
    coaches: list[Coach] = []
    leagues: list[League] = []
    tournaments: list[Tournament] = []
    players: list[Player] = []
    teams: list[Team] = []
    rooms: list[Room] = []
    guesses: list[GuessIn] = []


# camelCase fixture fields -> columns, for records whose unset fields must not overwrite stored values
# (a reload must not reset a competitor promoted to `complete` back to the default status).
COACH_COLUMNS = {"coachId": "coach_id", "name": "name", "email": "email"}
PLAYER_COLUMNS = {
    "userId": "user_id",
    "cfHandle": "cf_handle",
    "displayName": "display_name",
    "coachId": "coach_id",
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "status": "status",
    "gamePlatformId": "game_platform_id",
}
TEAM_COLUMNS = {
    "teamId": "team_id",
    "name": "name",
    "coachId": "coach_id",
    "division": "division",
    "affiliation": "affiliation",
}
GUESS_COLUMNS = {"roomId": "room_id", "userId": "user_id", "home": "home", "away": "away", "guessedAt": "guessed_at"}


def given(record: BaseModel, columns: dict[str, str]) -> dict:
    """The columns of the fields the fixture actually set."""
    return {column: getattr(record, field) for field, column in columns.items() if field in record.model_fields_set}


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], keys: list[str]) -> int:
    """Insert or update rows; a row equal to what is stored is left alone, so the count is real changes."""
    rows = list({tuple(row[k] for k in keys): row for row in rows}.values())  # last duplicate in the file wins
    by_shape: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        by_shape.setdefault(tuple(sorted(row)), []).append(row)
    # Chunks keep each statement under PostgreSQL's 65,535 bind parameters.
    return sum(
        _upsert_chunk(conn, table, group[i : i + CHUNK_ROWS], keys)
        for group in by_shape.values()
        for i in range(0, len(group), CHUNK_ROWS)
    )


def _upsert_chunk(conn: sa.Connection, table: sa.Table, rows: list[dict], keys: list[str]) -> int:
    stmt = insert(table).values(rows)
    columns = [c for c in rows[0] if c not in keys]
    if not columns:
        return len(conn.execute(stmt.on_conflict_do_nothing().returning(sa.literal(1))).all())
    changed = sa.or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in columns))
    upsert = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns}, where=changed)
    return len(conn.execute(upsert.returning(sa.literal(1))).all())


def load_fixture(conn: sa.Connection, fixture: Fixture) -> dict[str, int]:
    """Upsert everything in one transaction (the caller's); loading twice changes nothing."""
    league_ids = {t.leagueId for t in fixture.tournaments} - {lg.leagueId for lg in fixture.leagues}
    counts = {
        "leagues": _upsert(
            conn, leagues, [{"league_id": lg.leagueId, "name": lg.name} for lg in fixture.leagues], ["league_id"]
        )
        + _ensure(conn, leagues, [{"league_id": i, "name": i} for i in sorted(league_ids)], ["league_id"]),
        "tournaments": _upsert(
            conn,
            tournaments,
            [{"tournament_id": t.tournamentId, "league_id": t.leagueId, "name": t.name} for t in fixture.tournaments],
            ["tournament_id"],
        ),
        "coaches": _upsert(conn, coaches, [given(c, COACH_COLUMNS) for c in fixture.coaches], ["coach_id"]),
        "players": _upsert(conn, players, [given(p, PLAYER_COLUMNS) for p in fixture.players], ["user_id"]),
        "teams": _upsert(conn, teams, [given(t, TEAM_COLUMNS) for t in fixture.teams], ["team_id"]),
        "team_members": _upsert(
            conn,
            team_members,
            [{"team_id": t.teamId, "user_id": u} for t in fixture.teams for u in t.members],
            ["team_id", "user_id"],
        ),
        "rooms": _upsert(
            conn,
            rooms,
            [
                {
                    "room_id": r.roomId,
                    "name": r.name,
                    "starts_at": r.startsAt,
                    "ends_at": r.endsAt,
                    "tournament_id": r.tournamentId,
                    "kind": r.kind,
                }
                for r in fixture.rooms
            ],
            ["room_id"],
        ),
        "room_problems": _upsert(
            conn,
            room_problems,
            [
                {"room_id": r.roomId, "problem_id": p.problemId, "points": p.points, "revealed_at": p.revealedAt}
                for r in fixture.rooms
                for p in r.problems
            ],
            ["room_id", "problem_id"],
        ),
        "room_members": _upsert(
            conn,
            room_members,
            [{"room_id": r.roomId, "user_id": m.userId, "team_id": m.teamId} for r in fixture.rooms for m in r.members],
            ["room_id", "user_id"],
        ),
        # A guess without a time keeps the time it was first loaded at, so reloading changes nothing.
        "guesses": _upsert(conn, guesses, [given(g, GUESS_COLUMNS) for g in fixture.guesses], ["room_id", "user_id"]),
    }
    if any(counts[k] for k in ("rooms", "room_members", "room_problems", "guesses", "tournaments")):
        _invalidate_boards(conn, {r.roomId for r in fixture.rooms} | {g.roomId for g in fixture.guesses})
    return counts


def _invalidate_boards(conn: sa.Connection, room_ids: set[str]) -> None:
    """New members or rooms change who is on the room, tournament and league boards: bump their
    versions so a Redis projection built before this load is rebuilt on its next read."""
    rows = conn.execute(
        sa.select(rooms.c.room_id, rooms.c.tournament_id, tournaments.c.league_id)
        .select_from(rooms.outerjoin(tournaments, tournaments.c.tournament_id == rooms.c.tournament_id))
        .where(rooms.c.room_id.in_(sorted(room_ids)))
    ).all()
    boards = {("room", r.room_id) for r in rows}
    boards |= {("tournament", r.tournament_id) for r in rows if r.tournament_id}
    boards |= {("league", r.league_id) for r in rows if r.league_id}
    bump_versions(conn, sorted(boards))


def _ensure(conn: sa.Connection, table: sa.Table, rows: list[dict], keys: list[str]) -> int:
    """Insert rows that are missing; existing ones keep their values (a league named only by its id)."""
    if not rows:
        return 0
    return len(
        conn.execute(
            insert(table).values(rows).on_conflict_do_nothing(index_elements=keys).returning(sa.literal(1))
        ).all()
    )
