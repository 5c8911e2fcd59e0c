"""`contest-pipelines load FILE.json`: upserts players, teams, rooms, problems and members (idempotent)."""

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.db.tables import players, room_members, room_problems, rooms, team_members, teams
from contest_pipelines.domain.validation_matrix import normalize_problem_id


CHUNK_ROWS = 5000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Player(_Model):
    userId: str = Field(min_length=1)
    cfHandle: str | None = None
    displayName: str = ""


class Team(_Model):
    teamId: str = Field(min_length=1)
    name: str
    members: list[str] = []


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


class Room(_Model):
    roomId: str = Field(min_length=1)
    name: str
    startsAt: AwareDatetime
    endsAt: AwareDatetime
    problems: list[Problem] = []
    members: list[Member] = []

    @model_validator(mode="after")
    def _window(self) -> "Room":
        if self.endsAt <= self.startsAt:
            raise ValueError(f"room {self.roomId}: endsAt must be after startsAt")
        return self


class Fixture(_Model):
    players: list[Player] = []
    teams: list[Team] = []
    rooms: list[Room] = []


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], keys: list[str]) -> int:
    """Insert or update rows; a row equal to what is stored is left alone, so the count is real changes."""
    rows = list({tuple(row[k] for k in keys): row for row in rows}.values())  # last duplicate in the file wins
    # Chunks keep each statement under PostgreSQL's 65,535 bind parameters.
    return sum(_upsert_chunk(conn, table, rows[i : i + CHUNK_ROWS], keys) for i in range(0, len(rows), CHUNK_ROWS))


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
    counts = {
        "players": _upsert(conn, players, [
            {"user_id": p.userId, "cf_handle": p.cfHandle, "display_name": p.displayName} for p in fixture.players
        ], ["user_id"]),
        "teams": _upsert(conn, teams, [{"team_id": t.teamId, "name": t.name} for t in fixture.teams], ["team_id"]),
        "team_members": _upsert(conn, team_members, [
            {"team_id": t.teamId, "user_id": u} for t in fixture.teams for u in t.members
        ], ["team_id", "user_id"]),
        "rooms": _upsert(conn, rooms, [
            {"room_id": r.roomId, "name": r.name, "starts_at": r.startsAt, "ends_at": r.endsAt} for r in fixture.rooms
        ], ["room_id"]),
        "room_problems": _upsert(conn, room_problems, [
            {"room_id": r.roomId, "problem_id": p.problemId, "points": p.points, "revealed_at": p.revealedAt}
            for r in fixture.rooms for p in r.problems
        ], ["room_id", "problem_id"]),
        "room_members": _upsert(conn, room_members, [
            {"room_id": r.roomId, "user_id": m.userId, "team_id": m.teamId} for r in fixture.rooms for m in r.members
        ], ["room_id", "user_id"]),
    }
    return counts
