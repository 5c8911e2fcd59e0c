"""The Redis projection of every board of a scope, as the ops team sees it: rebuild them all (what
materialising a scoreboard asset does) and compare each with PostgreSQL (its asset check).

A board whose Redis copy says it reflects an older version than PostgreSQL's is *stale*, not wrong:
the next read rebuilds it (store.py). It is *wrong* when Redis says it reflects the current version
and its members or scores differ from what PostgreSQL says in the same snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
import sqlalchemy as sa

from contest_pipelines.scoreboards.board import board_key
from contest_pipelines.scoreboards.queries import BOARD_SOURCE, all_scores, board_query
from contest_pipelines.scoreboards.store import built_version, rebuild

SCOPES = tuple(BOARD_SOURCE)


def scope_ids(conn: sa.Connection, scope: str) -> list[str]:
    """Every board of the scope: each room, tournament or league that exists."""
    _, table, column = BOARD_SOURCE[scope]
    return list(conn.execute(sa.text(f"SELECT {column} FROM {table} ORDER BY {column}")).scalars())


@dataclass
class ScopeReport:
    scope: str
    boards: int = 0
    rebuilt: int = 0
    members: int = 0
    busy: int = 0  # another rebuild of the board held its lock
    stale: list[str] = field(default_factory=list)  # behind PostgreSQL: healed on the next read
    wrong: list[str] = field(default_factory=list)  # says it is current, differs from PostgreSQL

    def as_metadata(self) -> dict:
        return {"boards": self.boards, "rebuilt": self.rebuilt, "members": self.members, "busy": self.busy,
                "stale": len(self.stale), "wrong": len(self.wrong)}  # fmt: skip


def rebuild_scope(client: redis.Redis, engine: sa.Engine, scope: str) -> ScopeReport:
    """Rebuild every board of the scope from PostgreSQL (each from one snapshot, swapped in atomically)."""
    with engine.connect() as conn:
        ids = scope_ids(conn, scope)
    report = ScopeReport(scope, boards=len(ids))
    for scope_id in ids:
        size = rebuild(client, engine, scope, scope_id)
        if size is None:
            report.busy += 1
        else:
            report.rebuilt += 1
            report.members += size
    return report


def compare_scope(client: redis.Redis, engine: sa.Engine, scope: str) -> ScopeReport:
    """Each board of the scope against PostgreSQL: stale ones counted, wrong ones named."""
    with engine.connect() as conn:
        ids = scope_ids(conn, scope)
    report = ScopeReport(scope, boards=len(ids))
    for scope_id in ids:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            members, version = board_query(conn, scope, scope_id)
            expected = dict(all_scores(conn, members, scope_id))
        if built_version(client, scope, scope_id) != version:
            report.stale.append(scope_id)
            continue
        actual = dict(client.zrange(board_key(scope, scope_id), 0, -1, withscores=True))
        actual = {(k.decode() if isinstance(k, bytes) else k): v for k, v in actual.items()}
        # An empty board is no key at all in Redis; a member with 0 points and no scoring is still on it.
        if actual != expected:
            report.wrong.append(scope_id)
        report.members += len(expected)
    return report
