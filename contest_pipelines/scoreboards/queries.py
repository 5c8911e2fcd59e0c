"""The boards' SQL: who is on a board with which score, a whole board, and a ranked page of it."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from contest_pipelines.db.engine import hash_joins
from contest_pipelines.db.sql import seconds
from contest_pipelines.db.tables import room_members
from contest_pipelines.domain.ranking import RankMode, Row, encode_seconds, rank_rows
from contest_pipelines.domain.scoring import whole_seconds
from contest_pipelines.scoreboards.board import Board, BoardNotFound

# Every member of the scope, with 0 points when nothing scored.
MEMBERS_SQL = {
    "room_contest": """
        SELECT m.user_id, COALESCE(sum(d.points_awarded), 0)::bigint AS points,
               to_timestamp(max(d.cf_timestamp) FILTER (WHERE d.points_awarded > 0)) AS last_scored_at
        FROM room_members m LEFT JOIN detections d ON d.room_id = m.room_id AND d.user_id = m.user_id
        WHERE m.room_id = :scope_id GROUP BY m.user_id""",
    "room_prediction": """
        SELECT m.user_id, COALESCE(rr.points, 0)::bigint AS points, rr.last_scored_at
        FROM room_members m LEFT JOIN room_results rr ON rr.room_id = m.room_id AND rr.user_id = m.user_id
        WHERE m.room_id = :scope_id""",
    "tournament": """
        SELECT u.user_id, COALESCE(s.points, 0)::bigint AS points, s.last_scored_at
        FROM (SELECT m.user_id FROM room_members m JOIN rooms r USING (room_id) WHERE r.tournament_id = :scope_id
              UNION SELECT user_id FROM standings WHERE scope = 'tournament' AND scope_id = :scope_id) u
        LEFT JOIN standings s ON s.scope = 'tournament' AND s.scope_id = :scope_id AND s.user_id = u.user_id""",
    "league": """
        SELECT u.user_id, COALESCE(s.points, 0)::bigint AS points, s.last_scored_at
        FROM (SELECT m.user_id FROM room_members m JOIN rooms r USING (room_id)
                JOIN tournaments t USING (tournament_id) WHERE t.league_id = :scope_id
              UNION SELECT user_id FROM standings WHERE scope = 'league' AND scope_id = :scope_id) u
        LEFT JOIN standings s ON s.scope = 'league' AND s.scope_id = :scope_id AND s.user_id = u.user_id""",
}
# `COLLATE "C"` orders user ids by bytes, as Redis orders the members of equal scores.
ORDER = "ORDER BY points DESC, date_trunc('second', last_scored_at) ASC NULLS LAST, user_id COLLATE \"C\" ASC"
TIES = "ORDER BY points DESC, date_trunc('second', last_scored_at) ASC NULLS LAST"

# Which members query a board uses, from the row that proves the board exists.
BOARD_SOURCE = {
    "room": ("'room_' || kind", "rooms", "room_id"),
    "tournament": ("'tournament'", "tournaments", "tournament_id"),
    "league": ("'league'", "leagues", "league_id"),
}


def board_query(conn: sa.Connection, scope: str, scope_id: str) -> tuple[str, int]:
    """(members query, current version) of a board, in one round trip; BoardNotFound if it has no owner."""
    source, table, column = BOARD_SOURCE[scope]
    row = conn.execute(
        sa.text(
            f"SELECT {source} AS source, COALESCE((SELECT version FROM board_versions"
            f" WHERE scope = :scope AND scope_id = :i), 0) AS version FROM {table} WHERE {column} = :i"
        ),
        {"scope": scope, "i": scope_id},
    ).one_or_none()
    if row is None:
        raise BoardNotFound(f"no {scope} {scope_id!r}")
    return MEMBERS_SQL[row.source], row.version


def _rows(result) -> list[Row]:
    return [Row(r.user_id, int(r.points), whole_seconds(r.last_scored_at)) for r in result]


def all_rows(conn: sa.Connection, scope: str, scope_id: str) -> list[Row]:
    """The whole board from PostgreSQL, in board order."""
    members, _ = board_query(conn, scope, scope_id)
    with hash_joins(conn):
        return _rows(conn.execute(sa.text(f"SELECT * FROM ({members}) b {ORDER}"), {"scope_id": scope_id}))


# A room's team board: a team scores the sum of its members' results and its last scoring time is the
# latest of theirs (domain.scoring.team_totals; tests/integration/scoreboards holds the two equal).
TEAMS_SQL = """
    SELECT m.team_id AS user_id, COALESCE(sum(b.points), 0)::bigint AS points, max(b.last_scored_at) AS last_scored_at
    FROM ({members}) b JOIN room_members m ON m.room_id = :scope_id AND m.user_id = b.user_id
    WHERE m.team_id IS NOT NULL GROUP BY m.team_id"""


def team_rows(conn: sa.Connection, room_id: str) -> list[Row]:
    """The room's team board from PostgreSQL, in board order (a team's id in `user_id`)."""
    members, _ = board_query(conn, "room", room_id)
    teams = TEAMS_SQL.format(members=members)
    with hash_joins(conn):
        return _rows(conn.execute(sa.text(f"SELECT * FROM ({teams}) t {ORDER}"), {"scope_id": room_id}))


def all_scores(conn: sa.Connection, members: str, scope_id: str) -> list[tuple[str, float]]:
    """The whole board (`members`, its query from `board_query`) as (user_id, board score), in no
    particular order: what a rebuild writes. Times come as Unix seconds, so no datetime is built for 50k rows."""
    with hash_joins(conn):
        rows = conn.execute(
            sa.text(f"SELECT user_id, points, {seconds('last_scored_at')} FROM ({members}) b"),
            {"scope_id": scope_id},
        ).all()
    return [(user, encode_seconds(int(points), at)) for user, points, at in rows]


def read_page(
    conn: sa.Connection,
    members: str,
    scope: str,
    scope_id: str,
    ranking: RankMode,
    limit: int,
    offset: int,
    around: str | None,
) -> Board:
    """A ranked page of the board computed by PostgreSQL (the fallback when Redis cannot answer)."""
    params = {"scope_id": scope_id, "limit": limit, "offset": offset, "around": around}
    ranked = f"""
        WITH b AS ({members}),
        r AS (SELECT b.*, row_number() OVER ({ORDER}) AS position, rank() OVER ({TIES}) AS competition,
                     dense_rank() OVER ({TIES}) AS dense, count(*) OVER () AS total FROM b)"""
    with hash_joins(conn):
        if around is not None:
            position = conn.execute(
                sa.text(f"{ranked} SELECT position FROM r WHERE user_id = :around"), params
            ).scalar_one_or_none()
            if position is None:
                raise BoardNotFound(f"{around!r} is not on the {scope} board {scope_id!r}")
            params["offset"] = offset = max(position - 1 - limit // 2, 0)
        page = conn.execute(
            sa.text(f"{ranked} SELECT * FROM r WHERE position > :offset ORDER BY position LIMIT :limit"), params
        ).all()
        total = (
            page[0].total if page else conn.execute(sa.text(f"SELECT count(*) FROM ({members}) b"), params).scalar_one()
        )
    first_rank = (
        {"ordinal": None, "competition": page[0].competition, "dense": page[0].dense}[ranking] if page else None
    )
    rows = rank_rows(_rows(page), ranking, offset=offset, first_rank=first_rank)
    return Board(scope, scope_id, ranking, total, rows, "postgres", offset)


def team_of(conn: sa.Connection, room_id: str, user_ids: list[str]) -> dict[str, str | None]:
    """The team each listed member plays for in the room (None: no team)."""
    # One array parameter, not one bind per user: a page render compiles and sends a constant query.
    users = sa.bindparam("users", user_ids, type_=ARRAY(sa.Text))
    return dict(
        conn.execute(
            sa.select(room_members.c.user_id, room_members.c.team_id).where(
                room_members.c.room_id == room_id, room_members.c.user_id == sa.any_(users)
            )
        ).all()
    )
