"""Storing what a judge lists: upsert on (judge, key), tombstones by absence, pruning, fetch history.

Only a successful fetch changes stored contests. A fetch that lists a contest revives and refreshes
it; an upcoming contest a successful fetch does not list is marked missing, and once it has been
missing from every successful fetch for `REMOVE_AFTER` it is removed (tombstoned, so calendars
cancel it). One judge's fetches are serialised by an advisory lock inside the transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.db.tables import judge_contests, judge_fetches
from contest_pipelines.domain.contests import Contest, count_collapsed, visible, worth_keeping

REMOVE_AFTER = timedelta(hours=3)
PRUNE_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class FetchReport:
    """What one successful fetch did to a judge's stored contests (the asset's metadata)."""

    judge: str
    seen: int  # listed and kept (upcoming or running, within the horizon)
    inserted: int
    changed: int  # a field a player sees changed, or a removed contest came back
    removed: int  # tombstoned by this fetch
    unchanged: int
    dropped: int  # listed but not kept: more than a year ahead, or ending before it starts
    upcoming: int  # kept and not started yet: what the asset check compares with the usual count

    def as_metadata(self) -> dict[str, int | str]:
        return asdict(self)


def _lock(conn: sa.Connection, judge: str) -> None:
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended('judge_contests:' || :j, 0))"), {"j": judge})


def apply_fetch(
    conn: sa.Connection,
    judge: str,
    contests: list[Contest],
    now: datetime,
    run_id: str | None = None,
    usual_upcoming: float | None = None,
) -> FetchReport:
    """Inside the caller's transaction: upsert what the judge listed and tombstone what it stopped listing.
    A list far shorter than `usual_upcoming` (domain.contests.count_collapsed) upserts but marks nothing
    missing: a changed page must not cancel every contest."""
    _lock(conn, judge)
    kept = {c.key: c for c in contests if c.judge == judge and worth_keeping(c, now)}
    dropped = sum(1 for c in contests if c.judge == judge) - len(kept)
    stored = {
        r.key: r
        for r in conn.execute(
            sa.select(
                judge_contests.c.key,
                judge_contests.c.title,
                judge_contests.c.start_at,
                judge_contests.c.end_at,
                judge_contests.c.url,
                judge_contests.c.removed_at,
            ).where(judge_contests.c.judge == judge)
        )
    }
    inserted = changed = 0
    rows = []
    for key, contest in kept.items():
        old = stored.get(key)
        inserted += old is None
        changed += old is not None and (
            old.removed_at is not None or (old.title, old.start_at, old.end_at, old.url) != visible(contest)
        )
        rows.append(
            {
                "judge": judge,
                "key": key,
                "title": contest.title,
                "url": contest.url,
                "start_at": contest.start,
                "end_at": contest.end,
                "kind": contest.kind,
                "raw": contest.raw,
                "first_seen_at": now,
                "last_seen_at": now,
                "changed_at": now,
            }
        )
    if rows:
        stmt = insert(judge_contests).values(rows)
        excluded = stmt.excluded
        visible_changed = sa.or_(
            judge_contests.c.removed_at.is_not(None),
            judge_contests.c.title.is_distinct_from(excluded.title),
            judge_contests.c.start_at.is_distinct_from(excluded.start_at),
            judge_contests.c.end_at.is_distinct_from(excluded.end_at),
            judge_contests.c.url.is_distinct_from(excluded.url),
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[judge_contests.c.judge, judge_contests.c.key],
                set_={
                    "title": excluded.title,
                    "url": excluded.url,
                    "start_at": excluded.start_at,
                    "end_at": excluded.end_at,
                    "kind": excluded.kind,
                    "raw": excluded.raw,
                    "last_seen_at": excluded.last_seen_at,
                    "missing_since": None,
                    "removed_at": None,
                    "sequence": judge_contests.c.sequence + sa.case((visible_changed, 1), else_=0),
                    "changed_at": sa.case((visible_changed, excluded.changed_at), else_=judge_contests.c.changed_at),
                },
            )
        )
    absent = sa.and_(
        judge_contests.c.judge == judge,
        judge_contests.c.removed_at.is_(None),
        judge_contests.c.start_at > now,  # a contest that started and left the list happened: keep it
        judge_contests.c.key.not_in(list(kept)) if kept else sa.true(),
    )
    upcoming = sum(1 for c in kept.values() if c.start > now)
    removed = 0
    if not count_collapsed(upcoming, usual_upcoming):
        conn.execute(
            judge_contests.update().where(absent, judge_contests.c.missing_since.is_(None)).values(missing_since=now)
        )
        removed = conn.execute(
            judge_contests.update()
            .where(absent, judge_contests.c.missing_since <= now - REMOVE_AFTER)
            .values(removed_at=now, changed_at=now, sequence=judge_contests.c.sequence + 1)
        ).rowcount
    conn.execute(judge_fetches.insert().values(judge=judge, fetched_at=now, ok=True, upcoming=upcoming, run_id=run_id))
    unchanged = len(kept) - inserted - changed
    return FetchReport(judge, len(kept), inserted, changed, removed, unchanged, dropped, upcoming)


def record_failure(conn: sa.Connection, judge: str, reason: str, now: datetime, run_id: str | None = None) -> None:
    """A failed fetch is history, never a change: stored contests stay as they are."""
    conn.execute(judge_fetches.insert().values(judge=judge, fetched_at=now, ok=False, error=reason, run_id=run_id))


def usual_upcoming(conn: sa.Connection, judge: str, before: datetime, last: int = 24) -> float | None:
    """The median count of upcoming contests over the judge's last successful fetches before `before`."""
    recent = (
        sa.select(judge_fetches.c.upcoming)
        .where(judge_fetches.c.judge == judge, judge_fetches.c.ok, judge_fetches.c.fetched_at < before)
        .order_by(judge_fetches.c.fetched_at.desc())
        .limit(last)
        .subquery()
    )
    return conn.execute(sa.select(sa.func.percentile_cont(0.5).within_group(recent.c.upcoming))).scalar_one()


def prune(conn: sa.Connection, now: datetime) -> dict[str, int]:
    """Forget contests that ended (or were removed) more than PRUNE_AFTER ago, and old fetch history."""
    cutoff = now - PRUNE_AFTER
    contests = conn.execute(
        judge_contests.delete().where(sa.or_(judge_contests.c.end_at < cutoff, judge_contests.c.removed_at < cutoff))
    ).rowcount
    fetches = conn.execute(judge_fetches.delete().where(judge_fetches.c.fetched_at < cutoff)).rowcount
    return {"contests_pruned": contests, "fetches_pruned": fetches}


def judges_starting_soon(conn: sa.Connection, now: datetime, within: timedelta) -> list[str]:
    """Judges with a stored contest starting within `within`: refreshed more often then."""
    rows = conn.execute(
        sa.select(judge_contests.c.judge)
        .where(
            judge_contests.c.removed_at.is_(None),
            judge_contests.c.start_at > now,
            judge_contests.c.start_at <= now + within,
        )
        .distinct()
    )
    return sorted(r.judge for r in rows)
