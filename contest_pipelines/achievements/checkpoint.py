"""Which players' source rows changed since a processor last ran, without losing late commits.

A serial id or a timestamp is taken before commit, so rows become visible out of order: a reader that
advanced past id 2 never sees id 1 committing afterwards. Each source row carries its writer's
transaction id (`write_xid`, PostgreSQL's xid8). A tick reads every visible row at or above its
checkpoint, then advances the checkpoint only to its snapshot's xmin, the oldest transaction still
running: every transaction below it has committed (its rows were visible to this tick) or rolled back,
and a row of one still running, invisible now, is at or above the new checkpoint, so a later tick reads
it. Rows above the horizon that were visible are read again next tick; the processors' upserts are
idempotent, so that costs a re-read, never a double award. A long transaction anywhere in the cluster
keeps the horizon down: more re-reading, never loss, and no delay for rows already committed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.db.tables import achievement_checkpoints


def horizon(conn: sa.Connection) -> int:
    """The oldest transaction still running as the snapshot sees it (xid8 as an int)."""
    return int(conn.execute(sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")).scalar_one())


def lower_bound(conn: sa.Connection, processor: str) -> tuple[int, datetime | None]:
    """The processor's checkpoint and last clock, locked for this transaction (two ticks of one processor
    never overlap)."""
    conn.execute(insert(achievement_checkpoints).values(processor=processor).on_conflict_do_nothing())
    row = conn.execute(
        sa.text("SELECT lower_xid::text, clock_at FROM achievement_checkpoints WHERE processor = :p FOR UPDATE"),
        {"p": processor},
    ).one()
    return int(row[0]), row[1]


def advance(conn: sa.Connection, processor: str, to: int, clock: datetime | None, **stats) -> None:
    conn.execute(
        sa.text(
            "UPDATE achievement_checkpoints SET lower_xid = CAST(:x AS text)::xid8, clock_at = :clock,"
            " last_run_at = now(), last_players = :players, last_changed = :changed,"
            " last_completed = :completed, last_duration_ms = :ms, last_error = NULL WHERE processor = :p"
        ),
        {"x": str(to), "p": processor, "clock": clock, **stats},
    )


def record_error(conn: sa.Connection, processor: str, error: str) -> None:
    """A failed tick: its checkpoint stays where it was; the reason is shown until a tick succeeds."""
    conn.execute(
        insert(achievement_checkpoints)
        .values(processor=processor, last_error=error[:1000], last_run_at=sa.func.now())
        .on_conflict_do_update(
            index_elements=["processor"], set_={"last_error": error[:1000], "last_run_at": sa.func.now()}
        )
    )


def reset(conn: sa.Connection, processor: str) -> None:
    """Back to the beginning: the next tick re-derives every player (a rebuild)."""
    conn.execute(insert(achievement_checkpoints).values(processor=processor).on_conflict_do_nothing())
    conn.execute(
        sa.text("UPDATE achievement_checkpoints SET lower_xid = '0'::xid8, clock_at = NULL WHERE processor = :p"),
        {"p": processor},
    )
