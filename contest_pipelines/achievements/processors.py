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
from datetime import UTC, datetime

import sqlalchemy as sa

from contest_pipelines import events
from contest_pipelines.achievements import checkpoint, readers, rollup, sources
from contest_pipelines.db.tables import achievement_progress, achievements

log = logging.getLogger(__name__)
# (user, event type, payload): publishes one event on the player's stream (events.publish).
Announce = Callable[[str, str, dict], object]

# The keys a tick recomputes, each with the earliest event time among its changes (`since`, NULL when
# one has no time of its own): every dirty key, except, for a processor that only counts (`:prune`), a
# player whose award is complete and whose new rows are all dated at or after its completion (they can
# change nothing: progress is capped, the amount fixed, the completion time only moves earlier).
KEYS_SQL = """
    SELECT d.key, CASE WHEN bool_or(d.at IS NULL) THEN NULL ELSE min(d.at) END AS since FROM ({dirty}) AS d(key, at)
    LEFT JOIN achievement_progress p ON CAST(:prune AS boolean) AND p.achievement_id = :id AND p.specifier = d.key
    WHERE d.key IS NOT NULL GROUP BY d.key
    HAVING NOT coalesce(bool_or(p.complete), false) OR bool_or(d.at IS NULL) OR min(d.at) < min(p.completed_at)
"""
# A gated tier also looks at the players whose gate completed since its checkpoint (the completion
# recorded by a transaction at or after it) while its own row is not complete: the gate may have
# completed after this processor last saw their solves.
GATE_WAITING_SQL = """
    SELECT c.user_id FROM achievement_completions c
    LEFT JOIN achievement_progress me ON me.achievement_id = :id AND me.specifier = c.specifier
    WHERE c.achievement_id = :gate AND c.write_xid >= CAST(:lo AS text)::xid8 AND NOT coalesce(me.complete, false)
"""
# The sticky upsert of what a derivation (sources.py) says, for the keys in hand: progress capped at the
# step count; once complete, never un-completed, the amount fixed, and the completion time only moving
# earlier (a backfilled event before it shows it was reached earlier). The merge is computed against the
# rows held (two ticks of one processor never overlap: the checkpoint row is locked), and only rows that
# differ are written: an upsert that changes nothing still locks and dirties the row it conflicts with.
# Returns the players it looked at, every row it wrote, and those that completed now.
UPSERT_SQL = """
    WITH derived AS ({derive}),
    eligible AS (
        SELECT d.* FROM derived d
        WHERE d.steps > 0 AND (CAST(:gate AS text) IS NULL OR EXISTS (
            SELECT 1 FROM achievement_progress g
            WHERE g.achievement_id = :gate AND g.specifier = d.user_id AND g.complete))
    ),
    merged AS (
        SELECT e.specifier, e.user_id, e.detail, p.specifier IS NOT NULL AS held, coalesce(p.complete, false) AS was,
               CASE WHEN p.complete THEN greatest(p.current_step, least(e.steps, :step_count))
                    ELSE least(e.steps, :step_count) END AS current_step,
               coalesce(p.complete, false) OR e.reached_at IS NOT NULL AS complete,
               CASE WHEN p.complete THEN least(p.completed_at, e.reached_at) ELSE e.reached_at END AS completed_at,
               CASE WHEN p.complete THEN p.amount WHEN e.reached_at IS NOT NULL THEN coalesce(e.amount, :amount)
               END AS amount,
               p.current_step AS held_step, p.completed_at AS held_at, p.amount AS held_amount, p.detail AS held_detail
        FROM eligible e
        LEFT JOIN achievement_progress p ON p.achievement_id = :id AND p.specifier = e.specifier
    ),
    changed AS (
        SELECT * FROM merged m
        WHERE NOT m.held OR (m.current_step, m.complete, m.completed_at, m.amount, m.detail)
                            IS DISTINCT FROM (m.held_step, m.was, m.held_at, m.held_amount, m.held_detail)
    ),
    written AS (
        INSERT INTO achievement_progress AS p (achievement_id, specifier, user_id, current_step, complete,
                                               completed_at, amount, detail, updated_at)
        SELECT :id, specifier, user_id, current_step, complete, completed_at, amount, detail, now() FROM changed
        ON CONFLICT (achievement_id, specifier) DO UPDATE SET
            current_step = excluded.current_step, complete = excluded.complete,
            completed_at = excluded.completed_at, amount = excluded.amount, detail = excluded.detail,
            updated_at = now()
        RETURNING specifier
    )
    SELECT (SELECT count(DISTINCT user_id) FROM eligible) AS players,
           coalesce((SELECT array_agg(w.specifier) FROM written w), '{{}}') AS written,
           coalesce((SELECT array_agg(c.specifier) FROM changed c WHERE c.complete AND NOT c.was), '{{}}') AS completed
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
class Processor:
    """One achievement's processor: which keys changed since the checkpoint (`dirty`), and how progress is
    derived for them (`derive`, sources.py). `user_keyed`: its keys are players (a gate can only be on
    those). `prune`: complete awards only change when an earlier event arrives (the counts). `rollup`:
    the derivation from the solve rollup (rollup.py), refreshed before the tick; `derive` (from the
    sources) then serves a catalog row with a starting point, which the rollup does not know."""

    achievement_id: str
    dirty: str
    derive: str
    user_keyed: bool = True
    prune: bool = False
    rollup: str | None = None


def solve_count(achievement_id: str, verified: bool = True, ctf: bool = True, first: bool = False) -> Processor:
    """Counts solves; `first`: a boolean award at the first solve (min, no ordered aggregate). The tiers over
    both kinds and the first CTF solve read the rollup; the first verified solve reads its source (one small
    table, by index)."""
    if verified and ctf and not first:
        derive = sources.count_solves(sources.BOTH_SOLVES)
        # Its dirty set leaves out the players it could skip (no look at their progress, which `prune` is).
        return Processor(achievement_id, readers.DIRTY_ROLLUP_COUNT, derive, rollup=readers.ROLLUP_COUNT)
    if ctf and not verified and first:  # every change of the player; a complete one no event precedes: pruned
        derive = sources.first_solve(sources.CTF_SOLVES)
        return Processor(achievement_id, readers.DIRTY_ROLLUP, derive, prune=True, rollup=readers.ROLLUP_FIRST_CTF)
    dirty = sources.DIRTY_BOTH if verified and ctf else sources.DIRTY_VERIFIED if verified else sources.DIRTY_CTF
    derive = sources.first_solve if first else sources.count_solves
    return Processor(achievement_id, dirty, derive(sources.solves(verified, ctf)), prune=True)


REGISTRY: list[Processor] = [
    solve_count("first_verified_solve", ctf=False, first=True),
    solve_count("first_ctf_solve", verified=False, first=True),
    solve_count("solves_10"),  # the tiers in order: a gate completes before the tier it opens is ticked
    solve_count("solves_100"),
    solve_count("solves_1000"),
    Processor("streak_7", readers.DIRTY_ROLLUP_STREAK, sources.STREAK, rollup=readers.ROLLUP_STREAK),
    Processor("streak_30", readers.DIRTY_ROLLUP_STREAK, sources.STREAK, rollup=readers.ROLLUP_STREAK),
    Processor("category_specialist", readers.DIRTY_ROLLUP, sources.CATEGORY, rollup=readers.ROLLUP_CATEGORY),
    Processor("flash_ctf_participant", sources.DIRTY_FLASH, sources.FLASH),
    Processor("room_winner", sources.DIRTY_ROOM_WINNER, sources.ROOM_WINNER, user_keyed=False),
    Processor("weekly_top10", sources.DIRTY_WEEKLY, sources.WEEKLY, user_keyed=False),
    Processor("profile_complete", sources.DIRTY_PROFILE, sources.PROFILE),
]
PROCESSORS = {p.achievement_id: p for p in REGISTRY}
ROLLUP_READERS = [p.achievement_id for p in REGISTRY if p.rollup]
BULK_KEYS = 2000


def _tick(conn: sa.Connection, processor: Processor, now: datetime, *, rebuild: bool) -> tuple[TickReport, list]:
    started = time.monotonic()
    row = conn.execute(sa.select(achievements).where(achievements.c.id == processor.achievement_id)).one_or_none()
    if row is None or not row.active:
        return TickReport(processor.achievement_id, 0, 0, [], 0, skipped="inactive or not in the catalog"), []
    if rebuild:  # from the beginning; completed awards stay (sticky), everything else is derived again
        conn.execute(
            achievement_progress.delete().where(
                achievement_progress.c.achievement_id == row.id, sa.not_(achievement_progress.c.complete)
            )
        )
        checkpoint.reset(conn, row.id)
    lo, clock_at = checkpoint.lower_bound(conn, row.id)
    hi = checkpoint.horizon(conn)
    prune = processor.prune and not rebuild  # a rebuild looks at every award again
    dirty = conn.execute(
        sa.text(KEYS_SQL.format(dirty=processor.dirty)),
        {"lo": str(lo), "now": now, "clock_at": clock_at, "prune": prune, "id": row.id, "starts_at": row.starts_at,
         "step_count": row.step_count},
    )  # fmt: skip
    keys = {key: since for key, since in dirty}
    if row.gated_on and processor.user_keyed:
        waiting = conn.execute(sa.text(GATE_WAITING_SQL), {"id": row.id, "gate": row.gated_on, "lo": str(lo)})
        keys.update((user, None) for user in waiting.scalars() if user not in keys)
    from_rollup = processor.rollup is not None and row.starts_at is None  # the rollup counts all history
    derive = processor.rollup if from_rollup else processor.derive
    players, written, completed = 0, [], []
    # Sorts and hashes of a few hundred thousand solves: in memory rather than spilled (4 MB default).
    conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    # A tick's statements run in milliseconds to a second; JIT compiling them cost up to a second each.
    conn.execute(sa.text("SET LOCAL jit = off"))
    # Most players, from the sources: hash joins over whole tables, not a probe per player. The rollup's
    # derivations are probes by design, a few index reads per key, whatever the planner believes about the
    # keys (it misjudged them into hashing every progress row of the achievement, twice).
    if from_rollup:
        conn.execute(sa.text("SET LOCAL enable_hashjoin = off"))
        conn.execute(sa.text("SET LOCAL enable_mergejoin = off"))
    elif rebuild or len(keys) > BULK_KEYS:
        conn.execute(sa.text("SET LOCAL enable_nestloop = off"))
    if keys:
        ordered = sorted(keys)
        players, written, completed = conn.execute(
            sa.text(UPSERT_SQL.format(derive=derive)),
            {"id": row.id, "keys": ordered, "since": [keys[k] for k in ordered], "lo": str(lo),
             "step_count": row.step_count, "amount": row.amount, "gate": row.gated_on, "starts_at": row.starts_at,
             "now": now},
        ).one()  # fmt: skip
    recorded = []
    if completed:  # recorded once: only a first completion comes back, so it is announced once
        recorded = conn.execute(sa.text(RECORD_COMPLETIONS_SQL), {"id": row.id, "specifiers": completed}).all()
    duration_ms = int((time.monotonic() - started) * 1000)
    checkpoint.advance(conn, row.id, hi, now, players=players, changed=len(written), completed=len(completed),
                       ms=duration_ms)  # fmt: skip
    return TickReport(row.id, players, len(written), sorted(completed), duration_ms), recorded


def reconcile(
    engine: sa.Engine,
    processor: Processor,
    announce: Announce | None = None,
    *,
    now: datetime | None = None,
    rebuild: bool = False,
    refresh: bool = True,
    settle: bool = True,
) -> TickReport:
    """One tick of one processor, in one transaction (a rebuild too: nothing half-applied is ever seen).
    `now` is the tick's clock (awards time makes due: a week ending); injected in tests. A processor that
    reads the solve rollup first brings it up to date in a transaction of its own (`refresh`); its
    `rebuild` re-derives it from the rollup as it stands (`reconcile_all(rebuild=True)` and the rollup's
    own asset rebuild the rollup from the sources); after it, the progress table is vacuumed (`settle`, see
    settle_after_rebuild)."""
    if processor.rollup and refresh:
        refresh_rollup(engine)
    try:
        with engine.begin() as conn:
            report, recorded = _tick(conn, processor, now or datetime.now(UTC), rebuild=rebuild)
    except Exception as exc:
        with engine.begin() as conn:  # the failure is on record for the admin route and the next tick retries
            checkpoint.record_error(conn, processor.achievement_id, f"{type(exc).__name__}: {exc}")
        raise
    if rebuild and settle:
        settle_after_rebuild(engine)
    if announce is not None:  # after the commit: a player never hears of an award a rollback took back
        for r in recorded:
            try:
                payload = events.achievement_payload(report.processor, r.specifier, r.completed_at, r.amount)
                announce(r.user_id, events.ACHIEVEMENT_COMPLETED, payload)
            except Exception as exc:  # noqa: BLE001 - the award stands; only its announcement is lost
                log.warning("achievement.completed for %s %s not published: %s", report.processor, r.specifier, exc)
    return report


def reconcile_all(
    engine: sa.Engine,
    announce: Announce | None = None,
    *,
    now: datetime | None = None,
    only: list[str] | None = None,
    rebuild: bool = False,
) -> list[TickReport | Exception]:
    """Every processor in registry order (or those named); one failing never blocks the others. The solve
    rollup is refreshed (rebuilt, with `rebuild`) once, before the first processor reading it."""
    reports: list[TickReport | Exception] = []
    selected = [p for p in REGISTRY if only is None or p.achievement_id in only]
    rollup_error: Exception | None = None
    if any(p.rollup for p in selected):
        try:
            refresh_rollup(engine, rebuild=rebuild)
        except Exception as exc:  # noqa: BLE001 - its readers fail with it; the others still run
            rollup_error = exc
    for processor in selected:
        if processor.rollup and rollup_error is not None:
            reports.append(rollup_error)
            continue
        try:
            report = reconcile(engine, processor, announce, now=now, rebuild=rebuild, refresh=False, settle=False)
            reports.append(report)
        except Exception as exc:  # noqa: BLE001 - recorded, and the next processor still runs
            reports.append(exc)
    if rebuild:
        settle_after_rebuild(engine)
    return reports


def settle_after_rebuild(engine: sa.Engine) -> None:
    """A rebuild deleted and re-inserted the progress it re-derived: vacuumed now, the next tick's updates find
    room on their pages (HOT, no index entries; the first tick after a rebuild ran 1.7x slower without it) and
    its plans the table's new size. Autovacuum would come, later."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM (ANALYZE) achievement_progress"))


def refresh_rollup(engine: sa.Engine, *, rebuild: bool = False) -> rollup.RefreshReport:
    """The solve rollup up to date (rollup.py); a failure is on record like a processor's."""
    try:
        return rollup.refresh(engine, ROLLUP_READERS, rebuild=rebuild)
    except Exception as exc:
        with engine.begin() as conn:
            checkpoint.record_error(conn, rollup.CHECKPOINT, f"{type(exc).__name__}: {exc}")
        raise


def broken_completions(engine: sa.Engine, limit: int = 20) -> list[tuple[str, str]]:
    """(achievement, specifier) of completions that were un-completed or changed: the stickiness check."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(BROKEN_COMPLETIONS_SQL), {"limit": limit})]
