"""Achievement processors: each re-derives its achievement's progress for the players whose source rows
changed since its checkpoint, set-based in SQL, in its own transaction (seed 003).

`reconcile(engine, processor)` is the whole contract: idempotent (a second run with no new source rows
changes nothing), restart-safe (the checkpoint advances in the same transaction as the writes, so a
run killed half-way leaves nothing half-applied), and a rebuild is the same code from checkpoint 0.
Completion is sticky: once complete, nothing un-completes a row and its `amount` never changes. Its
`completed_at` is the time of the source event that completed it (so a rebuild reproduces it) and may
only move earlier: a backfilled solve dated before the one that completed it shows it was reached
earlier (least() keeps incremental ticks equal to a rebuild; docs/achievements.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from contest_pipelines import events
from contest_pipelines.achievements import checkpoint
from contest_pipelines.db.tables import achievements

log = logging.getLogger(__name__)
# (user, event type, payload): publishes one event on the player's stream (events.publish).
Announce = Callable[[str, str, dict], object]

# Every solve a player made, one row per solve: a Codeforces problem verified in any room counts once
# (at its first verification), a CTF challenge solve once. `:users` limits it to the players in hand.
SOLVES_SQL = """
    SELECT user_id, at FROM (
        SELECT DISTINCT ON (d.user_id, d.problem_id) d.user_id, to_timestamp(d.cf_timestamp) AS at
        FROM detections d WHERE d.user_id = ANY(:users) ORDER BY d.user_id, d.problem_id, d.cf_timestamp
    ) verified
    {ctf}
"""
CTF_SOLVES_SQL = """
    SELECT p.user_id, s.solved_at AS at
    FROM challenge_solves s JOIN players p ON p.game_platform_id = s.syned_user_id
    WHERE p.user_id = ANY(:users)
"""
# Players with a visible solve written by a transaction at or after the checkpoint. Rows of transactions
# still running are invisible now and at or above the new checkpoint (the horizon), so a later tick
# reads them; committed rows above the horizon are read again then, which the idempotent upsert absorbs.
DIRTY_SQL = """
    SELECT user_id FROM detections WHERE write_xid >= CAST(:lo AS text)::xid8
    UNION
    SELECT p.user_id FROM challenge_solves s JOIN players p ON p.game_platform_id = s.syned_user_id
    WHERE s.write_xid >= CAST(:lo AS text)::xid8
"""
# A gated tier also looks at the players whose gate is complete while its own row is not: the gate may
# have completed after this processor last saw their solves.
GATE_WAITING_SQL = """
    SELECT g.user_id FROM achievement_progress g
    LEFT JOIN achievement_progress me ON me.achievement_id = :id AND me.specifier = g.specifier
    WHERE g.achievement_id = :gate AND g.complete AND NOT coalesce(me.complete, false)
"""
# The sticky upsert: progress for each player in hand from their solves, completion at the Nth one.
UPSERT_COUNT_SQL = """
    WITH solves AS ({solves}),
    counted AS (
        SELECT u.user_id, count(s.at) AS steps,
               (array_agg(s.at ORDER BY s.at))[:step_count] AS reached_at
        FROM unnest(CAST(:users AS text[])) AS u(user_id)
        LEFT JOIN solves s ON s.user_id = u.user_id AND s.at >= coalesce(CAST(:starts_at AS timestamptz), '-infinity')
        GROUP BY u.user_id
    ),
    eligible AS (
        SELECT c.* FROM counted c
        WHERE c.steps > 0 AND (CAST(:gate AS text) IS NULL OR EXISTS (
            SELECT 1 FROM achievement_progress g
            WHERE g.achievement_id = :gate AND g.specifier = c.user_id AND g.complete))
    ),
    before AS (
        SELECT specifier, complete FROM achievement_progress
        WHERE achievement_id = :id AND specifier = ANY(CAST(:users AS text[]))
    ),
    written AS (
        INSERT INTO achievement_progress AS p
            (achievement_id, specifier, user_id, current_step, complete, completed_at, amount, updated_at)
        SELECT :id, e.user_id, e.user_id, least(e.steps, :step_count), e.reached_at IS NOT NULL, e.reached_at,
               CASE WHEN e.reached_at IS NOT NULL THEN :amount END, now()
        FROM eligible e
        ON CONFLICT (achievement_id, specifier) DO UPDATE SET
            current_step = CASE WHEN p.complete THEN greatest(p.current_step, excluded.current_step)
                                ELSE excluded.current_step END,
            complete = p.complete OR excluded.complete,
            completed_at = CASE WHEN p.complete THEN least(p.completed_at, excluded.completed_at)
                                ELSE excluded.completed_at END,
            amount = CASE WHEN p.complete THEN p.amount ELSE excluded.amount END,
            updated_at = now()
        WHERE (p.current_step, p.complete, p.completed_at) IS DISTINCT FROM
              (CASE WHEN p.complete THEN greatest(p.current_step, excluded.current_step) ELSE excluded.current_step END,
               p.complete OR excluded.complete,
               CASE WHEN p.complete THEN least(p.completed_at, excluded.completed_at) ELSE excluded.completed_at END)
        RETURNING specifier, complete
    )
    SELECT w.specifier, w.complete, coalesce(b.complete, false) AS was_complete
    FROM written w LEFT JOIN before b USING (specifier)
"""
# Newly complete rows, recorded once; what the stickiness check compares progress with.
RECORD_COMPLETIONS_SQL = """
    INSERT INTO achievement_completions (achievement_id, specifier, user_id, completed_at, amount)
    SELECT achievement_id, specifier, user_id, completed_at, amount FROM achievement_progress
    WHERE achievement_id = :id AND specifier = ANY(CAST(:specifiers AS text[])) AND complete
    ON CONFLICT DO NOTHING
    RETURNING user_id, specifier, completed_at, amount
"""
# Completions whose progress row no longer says the same: must always be empty.
BROKEN_COMPLETIONS_SQL = """
    SELECT c.achievement_id, c.specifier FROM achievement_completions c
    LEFT JOIN achievement_progress p USING (achievement_id, specifier)
    WHERE p.specifier IS NULL OR NOT p.complete OR p.completed_at > c.completed_at
       OR p.amount IS DISTINCT FROM c.amount
    ORDER BY 1, 2 LIMIT :limit
"""


@dataclass(frozen=True)
class TickReport:
    processor: str
    players: int  # players whose progress was recomputed
    changed: int  # progress rows inserted or changed
    completed: list[str]  # players who completed it in this tick
    duration_ms: int
    skipped: str | None = None  # why nothing ran (inactive catalog row)

    def as_metadata(self) -> dict:
        return {
            "players_touched": self.players,
            "rows_changed": self.changed,
            "newly_completed": len(self.completed),
            "duration_ms": self.duration_ms,
            **({"skipped": self.skipped} if self.skipped else {}),
        }


@dataclass(frozen=True)
class SolveCount:
    """Progress = the player's solves counted (verified Codeforces, and CTF ones when `ctf`); complete
    at the catalog's step count, at the time of that solve."""

    achievement_id: str
    ctf: bool = True
    verified: bool = True

    def solves_sql(self) -> str:
        if self.verified and self.ctf:
            return SOLVES_SQL.format(ctf="UNION ALL " + CTF_SOLVES_SQL)
        if self.verified:
            return SOLVES_SQL.format(ctf="")
        return CTF_SOLVES_SQL

    def apply(self, conn: sa.Connection, row: sa.Row, users: list[str]) -> tuple[int, list[str]]:
        result = conn.execute(
            sa.text(UPSERT_COUNT_SQL.format(solves=self.solves_sql())),
            {"id": row.id, "users": users, "step_count": row.step_count, "amount": row.amount,
             "gate": row.gated_on, "starts_at": row.starts_at},
        ).all()  # fmt: skip
        return len(result), [r.specifier for r in result if r.complete and not r.was_complete]


REGISTRY: list[SolveCount] = [
    SolveCount("first_verified_solve", ctf=False),
    SolveCount("first_ctf_solve", verified=False),
    SolveCount("solves_10"),  # the tiers in order: a gate completes before the tier it opens is ticked
    SolveCount("solves_100"),
    SolveCount("solves_1000"),
]
PROCESSORS = {p.achievement_id: p for p in REGISTRY}


def reconcile(engine: sa.Engine, processor: SolveCount, announce: Announce | None = None) -> TickReport:
    """One tick of one processor, in one transaction."""
    started = time.monotonic()
    with engine.begin() as conn:
        row = conn.execute(sa.select(achievements).where(achievements.c.id == processor.achievement_id)).one_or_none()
        if row is None or not row.active:
            return TickReport(processor.achievement_id, 0, 0, [], 0, skipped="inactive or not in the catalog")
        lo = checkpoint.lower_bound(conn, processor.achievement_id)
        hi = checkpoint.horizon(conn)
        users = set(conn.execute(sa.text(DIRTY_SQL), {"lo": str(lo)}).scalars())
        if row.gated_on:
            users |= set(conn.execute(sa.text(GATE_WAITING_SQL), {"id": row.id, "gate": row.gated_on}).scalars())
        changed, completed = processor.apply(conn, row, sorted(users)) if users else (0, [])
        recorded = []
        if completed:  # recorded once: only a first completion comes back, so it is announced once
            recorded = conn.execute(sa.text(RECORD_COMPLETIONS_SQL), {"id": row.id, "specifiers": completed}).all()
        duration_ms = int((time.monotonic() - started) * 1000)
        checkpoint.advance(conn, processor.achievement_id, hi, players=len(users), changed=changed,
                           completed=len(completed), ms=duration_ms)  # fmt: skip
    if announce is not None:  # after the commit: a player never hears of an award a rollback took back
        for r in recorded:
            try:
                announce(r.user_id, events.ACHIEVEMENT_COMPLETED,
                         events.achievement_payload(row.id, r.specifier, r.completed_at, r.amount))  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - the award stands; only its announcement is lost
                log.warning("achievement.completed for %s %s not published: %s", row.id, r.specifier, exc)
    return TickReport(processor.achievement_id, len(users), changed, sorted(completed), duration_ms)


def reconcile_all(engine: sa.Engine, announce: Announce | None = None) -> list[TickReport | Exception]:
    """Every processor in registry order; one failing never blocks the others."""
    reports: list[TickReport | Exception] = []
    for processor in REGISTRY:
        try:
            reports.append(reconcile(engine, processor, announce))
        except Exception as exc:  # noqa: BLE001 - recorded, and the next processor still runs
            reports.append(exc)
    return reports


def broken_completions(engine: sa.Engine, limit: int = 20) -> list[tuple[str, str]]:
    """(achievement, specifier) of completions that were un-completed or changed: the stickiness check."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(BROKEN_COMPLETIONS_SQL), {"limit": limit})]
