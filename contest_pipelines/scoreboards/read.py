"""The read policy: Redis when its projection is current (rebuilt when it is not), else PostgreSQL.

Every change to a board's source data bumps `board_versions` in the same transaction; the Redis
board records the version it reflects. A read whose versions disagree rebuilds or, if Redis cannot,
answers from PostgreSQL. Whatever Redis lost or missed, the next read heals it.
"""

import logging

import redis
import sqlalchemy as sa

from contest_pipelines.domain.ranking import rank_rows
from contest_pipelines.scoreboards import queries, store
from contest_pipelines.scoreboards.board import BOARD_RANKING, Board, BoardNotFound

log = logging.getLogger(__name__)


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
        members, version = queries.board_query(conn, scope, scope_id)
    if client is not None:
        try:
            current = store.built_version(client, scope, scope_id) == version
            if current or store.rebuild(client, engine, scope, scope_id) is not None:
                return store.read_page(client, scope, scope_id, ranking, limit, offset, around)
        except redis.RedisError as exc:
            log.warning("board %s:%s read from PostgreSQL: Redis failed: %s", scope, scope_id, exc)
    with engine.connect() as conn:
        return queries.read_page(conn, members, scope, scope_id, ranking, limit, offset, around)


def room_teams(engine: sa.Engine, room_id: str, user_ids: list[str]) -> dict[str, str | None]:
    """The team of each listed member of a room (a board page's players)."""
    if not user_ids:
        return {}
    with engine.connect() as conn:
        return queries.team_of(conn, room_id, user_ids)


def read_teams(
    engine: sa.Engine, room_id: str, *, limit: int = 100, offset: int = 0, around: str | None = None
) -> Board:
    """A room's team board, computed from PostgreSQL: a team scores the sum of its members' results.
    `around` (a user id) centres the page on that player's team."""
    with engine.connect() as conn:
        ordered = queries.team_rows(conn, room_id)  # aggregated in SQL: Python sees teams, not members
        team = queries.team_of(conn, room_id, [around]).get(around) if around is not None else None
    if around is not None:
        if team is None:
            raise BoardNotFound(f"{around!r} plays for no team in room {room_id!r}")
        position = next(i for i, row in enumerate(ordered) if row.user_id == team)
        offset = max(position - limit // 2, 0)
    ranking = BOARD_RANKING["room"]
    page = rank_rows(ordered, ranking)[offset : offset + limit]
    return Board("room", room_id, ranking, len(ordered), page, "postgres", offset)
