"""What the API reads: the catalog with one player's progress, and each processor's checkpoint and last run."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from contest_pipelines.achievements import rollup
from contest_pipelines.db.tables import (
    achievement_checkpoints,
    achievement_progress,
    achievement_solve_totals,
    achievements,
)


def catalog(conn: sa.Connection, user_id: str, achievement_id: str | None = None) -> list[dict]:
    """Active achievements (and inactive ones the player was awarded), each with the player's progress rows."""
    query = sa.select(achievements).order_by(achievements.c.id)
    if achievement_id is not None:
        query = query.where(achievements.c.id == achievement_id)
    rows = conn.execute(query).all()
    mine: dict[str, list[sa.Row]] = {}
    progress = (
        sa.select(achievement_progress)
        .where(achievement_progress.c.user_id == user_id)
        .order_by(achievement_progress.c.achievement_id, achievement_progress.c.specifier)
    )
    for p in conn.execute(progress):
        mine.setdefault(p.achievement_id, []).append(p)
    runs = conn.execute(sa.select(achievement_solve_totals).where(achievement_solve_totals.c.user_id == user_id))
    days = runs.one_or_none()  # the solve rollup's row: the player's longest and last run of days
    now = datetime.now().astimezone()
    return [
        {
            "id": a.id,
            "name": a.name,
            "description": a.description,
            "kind": a.kind,
            "stepCount": a.step_count,
            "amount": a.amount,
            "active": a.active,
            "gatedOn": a.gated_on,
            "repeatKey": a.repeat_key,
            "progress": [_progress(p, a.kind, days, now) for p in mine.get(a.id, [])],
        }  # fmt: skip
        for a in rows
        if a.active or achievement_id is not None or any(p.complete for p in mine.get(a.id, []))
    ]


def _progress(p: sa.Row, kind: str, days: sa.Row | None, now: datetime) -> dict:
    item = {
        "specifier": p.specifier, "currentStep": p.current_step, "complete": p.complete,
        "completedAt": p.completed_at, "amount": p.amount, "detail": p.detail,
    }  # fmt: skip
    if kind == "streak" and days is not None:
        item["streak"] = {"current": current_streak(days, now), "longest": days.longest_run}
    return item


def current_streak(days: sa.Row, now: datetime) -> int:
    """The last run is current while it ended today or yesterday in the player's zone (yesterday keeps a
    streak alive before today's solve). Read at request time, so it drops to 0 without a tick."""
    if days.last_run_last is None:
        return 0
    today = now.astimezone(ZoneInfo(days.zone)).date()
    current = days.last_run_last >= today - timedelta(days=1)
    return (days.last_run_last - days.last_run_first).days + 1 if current else 0


def processors(conn: sa.Connection) -> list[dict]:
    """Every catalog row with its processor's checkpoint and last run (never run: nulls), then the solve
    rollup's (`solve_rollup`: players changed, its duration and last error; always active)."""
    c = achievement_checkpoints
    catalog = sa.select(achievements.c.id, achievements.c.active).subquery()
    stages = sa.union_all(
        sa.select(catalog.c.id, catalog.c.active, sa.literal(0).label("rank")),
        sa.select(sa.literal(rollup.CHECKPOINT), sa.true(), sa.literal(1)),
    ).subquery()
    rows = conn.execute(
        sa.select(
            stages.c.id,
            stages.c.active,
            sa.cast(c.c.lower_xid, sa.Text).label("lower_xid"),
            c.c.clock_at,
            c.c.last_run_at,
            c.c.last_players,
            c.c.last_changed,
            c.c.last_completed,
            c.c.last_duration_ms,
            c.c.last_error,
        )  # fmt: skip
        .select_from(stages.outerjoin(c, c.c.processor == stages.c.id))
        .order_by(stages.c.rank, stages.c.id)
    ).all()
    return [
        {
            "id": r.id,
            "active": r.active,
            "checkpointXid": r.lower_xid,
            "clockAt": r.clock_at,
            "lastRunAt": r.last_run_at,
            "lastPlayersTouched": r.last_players,
            "lastRowsChanged": r.last_changed,
            "lastNewlyCompleted": r.last_completed,
            "lastDurationMs": r.last_duration_ms,
            "lastError": r.last_error,
        }  # fmt: skip
        for r in rows
    ]
