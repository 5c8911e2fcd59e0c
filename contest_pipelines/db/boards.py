"""Board versions: bumped in the transaction that changes a board's source data.

A Redis projection is current only while it says it reflects the version stored here, so every
writer of board data (settlement, detections, the fixtures loader) calls `bump_versions` inside
its own transaction, and the read path compares (scoreboards/).
"""

import sqlalchemy as sa

Board = tuple[str, str]  # (scope, scope_id)


def bump_versions(conn: sa.Connection, boards: list[Board]) -> dict[Board, int]:
    """Inside the transaction that changes the boards' data: their new versions."""
    if not boards:
        return {}
    rows = conn.execute(
        sa.text(
            "INSERT INTO board_versions (scope, scope_id, version)"
            " SELECT s, i, 1 FROM unnest(CAST(:scopes AS text[]), CAST(:ids AS text[])) AS b(s, i)"
            " ON CONFLICT (scope, scope_id) DO UPDATE SET version = board_versions.version + 1"
            " RETURNING scope, scope_id, version"
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
