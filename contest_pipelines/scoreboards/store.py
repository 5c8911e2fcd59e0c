"""The Redis projection of a board: incremental updates on top of the version before, atomic
rebuilds from one PostgreSQL snapshot, and ranked pages read from the sorted set."""

import uuid
from collections.abc import Mapping

import redis
import sqlalchemy as sa

from contest_pipelines.domain.ranking import RankMode, Row, decode, rank_rows
from contest_pipelines.scoreboards.board import Board, BoardNotFound, aux_key, board_key
from contest_pipelines.scoreboards.queries import all_scores, board_query

REBUILD_CHUNK = 10_000
REBUILD_LOCK_SECONDS = 120


def project(client: redis.Redis, scope: str, scope_id: str, version: int, scores: Mapping[str, float]) -> bool:
    """Apply a committed change of `version` (members' new scores, from `ranking.encode`) on top of
    `version - 1`; anything else leaves the board stale for the next read to rebuild. True when applied."""
    built = aux_key(scope, scope_id, "built")
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


def built_version(client: redis.Redis, scope: str, scope_id: str) -> int | None:
    """The version the Redis board says it reflects (None: never built, or lost)."""
    built = client.get(aux_key(scope, scope_id, "built"))
    return None if built is None else int(built)


def rebuild(client: redis.Redis, engine: sa.Engine, scope: str, scope_id: str) -> int | None:
    """Build the board in a temporary key from one PostgreSQL snapshot and swap it in atomically.
    Returns its size, or None when another rebuild of the board is running."""
    lock, token = aux_key(scope, scope_id, "rebuilding"), uuid.uuid4().hex
    if not client.set(lock, token, nx=True, ex=REBUILD_LOCK_SECONDS):
        return None
    temp = aux_key(scope, scope_id, f"build:{token}")
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            members, version = board_query(conn, scope, scope_id)  # one round trip for both, in the snapshot
            rows = all_scores(conn, members, scope_id)
        for start in range(0, len(rows), REBUILD_CHUNK):
            client.zadd(temp, dict(rows[start : start + REBUILD_CHUNK]))
        pipe = client.pipeline(transaction=True)
        if rows:
            pipe.rename(temp, board_key(scope, scope_id))
        else:
            pipe.delete(board_key(scope, scope_id))
        pipe.set(aux_key(scope, scope_id, "built"), version)
        pipe.execute()
        return len(rows)
    finally:
        client.delete(temp)
        if client.get(lock) in (token, token.encode()):
            client.delete(lock)


def read_page(
    client: redis.Redis, scope: str, scope_id: str, ranking: RankMode, limit: int, offset: int, around: str | None
) -> Board:
    """A ranked page of the projected board; ranks of the first row come from scores above the page."""
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
    ranked = rank_rows(rows, ranking, offset=offset, first_rank=first_rank)
    return Board(scope, scope_id, ranking, total, ranked, "redis", offset)
