"""Scoreboards: PostgreSQL is the truth, Redis sorted sets the projection.

Boards are `room`, `tournament` and `league`, each with its ranking semantics declared once in
BOARD_RANKING. Every change to a board's source data bumps `board_versions` in the same
transaction; the Redis board records the version it reflects (`board:<scope>:<id>:built`). An
incremental update applies only on top of the version just before it, a rebuild (a temporary key
swapped in with RENAME) stamps the version it read, and a read whose versions disagree rebuilds or,
if Redis cannot, answers from PostgreSQL. Whatever Redis lost or missed, the next read heals it.
"""

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import redis
import sqlalchemy as sa

from contest_pipelines.db.engine import hash_joins
from contest_pipelines.domain.ranking import RankedRow, RankMode, Row, decode, encode_seconds, rank_rows, sort_key

log = logging.getLogger(__name__)

SCOPES = ("room", "tournament", "league")
BOARD_RANKING: dict[str, RankMode] = {"room": "ordinal", "tournament": "competition", "league": "dense"}
REBUILD_CHUNK = 10_000
REBUILD_LOCK_SECONDS = 120

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
# A time as whole Unix seconds: bulk paths read this instead of building datetimes (ranking.encode_seconds).
SECONDS_SQL = "floor(extract(epoch FROM {}))::bigint"
# `COLLATE "C"` orders user ids by bytes, as Redis orders the members of equal scores.
ORDER = "ORDER BY points DESC, date_trunc('second', last_scored_at) ASC NULLS LAST, user_id COLLATE \"C\" ASC"
TIES = "ORDER BY points DESC, date_trunc('second', last_scored_at) ASC NULLS LAST"


class BoardNotFound(Exception):
    pass


@dataclass(frozen=True)
class Board:
    scope: str
    scope_id: str
    ranking: RankMode
    total: int
    rows: list[RankedRow]
    source: str  # "redis" or "postgres"
    offset: int = 0


def board_key(scope: str, scope_id: str) -> str:
    return f"board:{scope}:{scope_id}"


def _aux(scope: str, scope_id: str, what: str) -> str:
    return f"{board_key(scope, scope_id)}:{what}"


def bump_versions(conn: sa.Connection, boards: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Inside the transaction that changes the boards' data: their new versions."""
    if not boards:
        return {}
    rows = conn.execute(
        sa.text(
            "INSERT INTO board_versions (scope, scope_id, version) SELECT s, i, 1 FROM unnest(CAST(:scopes AS text[]), CAST(:ids AS text[])) AS b(s, i)"
            " ON CONFLICT (scope, scope_id) DO UPDATE SET version = board_versions.version + 1 RETURNING scope, scope_id, version"
        ),
        {"scopes": [s for s, _ in boards], "ids": [i for _, i in boards]},
    )
    return {(r.scope, r.scope_id): r.version for r in rows}


def current_version(conn: sa.Connection, scope: str, scope_id: str) -> int:
    return (
        conn.execute(
            sa.text("SELECT version FROM board_versions WHERE scope = :s AND scope_id = :i"),
            {"s": scope, "i": scope_id},
        ).scalar_one_or_none()
        or 0
    )


def project(client: redis.Redis, scope: str, scope_id: str, version: int, scores: Mapping[str, float]) -> bool:
    """Apply a committed change of `version` (members' new scores, from `ranking.encode`) on top of
    `version - 1`; anything else leaves the board stale for the next read to rebuild. True when applied."""
    built = _aux(scope, scope_id, "built")
    with client.pipeline() as pipe:
        try:
            pipe.watch(built)
            if pipe.get(built) not in (str(version - 1), str(version - 1).encode()):
                return False
            pipe.multi()
            if scores:
                pipe.zadd(board_key(scope, scope_id), scores)
            pipe.set(built, version)
            pipe.execute()
            return True
        except redis.WatchError:
            return False


def rebuild(client: redis.Redis, engine: sa.Engine, scope: str, scope_id: str) -> int | None:
    """Build the board in a temporary key from one PostgreSQL snapshot and swap it in atomically.
    Returns its size, or None when another rebuild of the board is running."""
    lock, token = _aux(scope, scope_id, "rebuilding"), uuid.uuid4().hex
    if not client.set(lock, token, nx=True, ex=REBUILD_LOCK_SECONDS):
        return None
    temp = _aux(scope, scope_id, f"build:{token}")
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            members, version = _board(conn, scope, scope_id)  # one round trip for both, in the snapshot
            rows = all_scores(conn, members, scope_id)
        for start in range(0, len(rows), REBUILD_CHUNK):
            client.zadd(temp, dict(rows[start : start + REBUILD_CHUNK]))
        pipe = client.pipeline(transaction=True)
        if rows:
            pipe.rename(temp, board_key(scope, scope_id))
        else:
            pipe.delete(board_key(scope, scope_id))
        pipe.set(_aux(scope, scope_id, "built"), version)
        pipe.execute()
        return len(rows)
    finally:
        client.delete(temp)
        if client.get(lock) in (token, token.encode()):
            client.delete(lock)


def _second(at: datetime | None) -> datetime | None:
    return None if at is None else at.replace(microsecond=0)


# Which members query a board uses, from the row that proves the board exists.
BOARD_SOURCE = {
    "room": ("'room_' || kind", "rooms", "room_id"),
    "tournament": ("'tournament'", "tournaments", "tournament_id"),
    "league": ("'league'", "leagues", "league_id"),
}


def _board(conn: sa.Connection, scope: str, scope_id: str) -> tuple[str, int]:
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


def _members_sql(conn: sa.Connection, scope: str, scope_id: str) -> str:
    return _board(conn, scope, scope_id)[0]


def _rows(result) -> list[Row]:
    return [Row(r.user_id, int(r.points), _second(r.last_scored_at)) for r in result]


def all_rows(conn: sa.Connection, scope: str, scope_id: str) -> list[Row]:
    """The whole board from PostgreSQL, in board order."""
    members = _members_sql(conn, scope, scope_id)
    with hash_joins(conn):
        return _rows(conn.execute(sa.text(f"SELECT * FROM ({members}) b {ORDER}"), {"scope_id": scope_id}))


def all_scores(conn: sa.Connection, members: str, scope_id: str) -> list[tuple[str, float]]:
    """The whole board (`members`, its query from `_board`) as (user_id, board score), in no particular
    order: what a rebuild writes. Times come as Unix seconds, so no datetime is built for 50k rows."""
    with hash_joins(conn):
        rows = conn.execute(
            sa.text(f"SELECT user_id, points, {SECONDS_SQL.format('last_scored_at')} FROM ({members}) b"),
            {"scope_id": scope_id},
        ).all()
    return [(user, encode_seconds(int(points), at)) for user, points, at in rows]


def read(
    engine: sa.Engine,
    client: redis.Redis | None,
    scope: str,
    scope_id: str,
    *,
    limit: int = 100,
    offset: int = 0,
    around: str | None = None,
) -> Board:
    """A page of the board: from Redis when its projection is current, else from PostgreSQL."""
    ranking = BOARD_RANKING[scope]
    with engine.connect() as conn:
        members, version = _board(conn, scope, scope_id)
    if client is not None:
        try:
            built = client.get(_aux(scope, scope_id, "built"))
            if (built is not None and int(built) == version) or rebuild(client, engine, scope, scope_id) is not None:
                return _read_redis(client, scope, scope_id, ranking, limit, offset, around)
        except redis.RedisError as exc:
            log.warning("board %s:%s read from PostgreSQL: Redis failed: %s", scope, scope_id, exc)
    with engine.connect() as conn:
        return _read_postgres(conn, members, scope, scope_id, ranking, limit, offset, around)


def _read_redis(
    client: redis.Redis, scope: str, scope_id: str, ranking: RankMode, limit: int, offset: int, around: str | None
) -> Board:
    key = board_key(scope, scope_id)
    if around is not None:
        position = client.zrank(key, around)
        if position is None:
            raise BoardNotFound(f"{around!r} is not on the {scope} board {scope_id!r}")
        offset = max(position - limit // 2, 0)
    pipe = client.pipeline(transaction=False)
    pipe.zcard(key)
    pipe.zrange(key, offset, offset + limit - 1, withscores=True)
    total, entries = pipe.execute()
    rows = [Row(user if isinstance(user, str) else user.decode(), *decode(score)) for user, score in entries]
    first_rank = None
    if rows and ranking == "competition":
        first_rank = client.zcount(key, "-inf", f"({entries[0][1]!r}") + 1
    elif rows and ranking == "dense" and offset > 0:
        # Distinct better scores: O(rows above the page); cheap for the top pages players read most.
        better = client.zrangebyscore(key, "-inf", f"({entries[0][1]!r}", withscores=True)
        first_rank = len({score for _, score in better}) + 1
    return Board(
        scope, scope_id, ranking, total, rank_rows(rows, ranking, offset=offset, first_rank=first_rank), "redis", offset
    )


def _read_postgres(
    conn: sa.Connection,
    members: str,
    scope: str,
    scope_id: str,
    ranking: RankMode,
    limit: int,
    offset: int,
    around: str | None,
) -> Board:
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
    return Board(
        scope,
        scope_id,
        ranking,
        total,
        rank_rows(_rows(page), ranking, offset=offset, first_rank=first_rank),
        "postgres",
        offset,
    )


def read_teams(engine: sa.Engine, room_id: str, *, limit: int = 100, offset: int = 0) -> Board:
    """A room's team board, computed from PostgreSQL: a team scores the sum of its members' results."""
    with engine.connect() as conn:
        members = all_rows(conn, "room", room_id)
        team_of = dict(
            conn.execute(sa.text("SELECT user_id, team_id FROM room_members WHERE room_id = :r"), {"r": room_id}).all()
        )
    totals: dict[str, tuple[int, datetime | None]] = {}
    for row in members:
        team = team_of.get(row.user_id)
        if team is None:
            continue
        points, latest = totals.get(team, (0, None))
        times = [t for t in (latest, row.last_scored_at) if t is not None]
        totals[team] = (points + row.points, max(times, default=None))
    ordered = sorted((Row(team, p, t) for team, (p, t) in totals.items()), key=sort_key)
    ranking = BOARD_RANKING["room"]
    return Board(
        "room", room_id, ranking, len(ordered), rank_rows(ordered, ranking)[offset : offset + limit], "postgres", offset
    )
