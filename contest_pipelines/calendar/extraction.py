"""One refresh of one judge: fetch through its adapter, then store what it listed (calendar.contests).

A failed fetch is recorded and raised as `FetchFailed` with the adapter's readable reason; it never
touches the judge's stored contests. A successful fetch listing far fewer upcoming contests than the
judge usually has (`domain.contests.count_collapsed`) is stored but not trusted for absences: nothing
is marked missing, so a changed page cannot cancel every contest, and the asset check says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from contest_pipelines.calendar.contests import (
    FetchReport,
    apply_fetch,
    judges_starting_soon,
    prune,
    record_failure,
    usual_upcoming,
)
from contest_pipelines.clients.judges import JudgeAdapter, JudgeFetchError
from contest_pipelines.domain.contests import JUDGES, count_collapsed

REFRESH_EVERY_MINUTES = 10
SOON = timedelta(hours=1)


class FetchFailed(Exception):
    def __init__(self, judge: str, reason: str, retryable: bool):
        super().__init__(f"fetching {judge}'s contests failed: {reason}; its stored contests are unchanged")
        self.judge, self.reason, self.retryable = judge, reason, retryable


@dataclass(frozen=True)
class Refresh:
    report: FetchReport
    usual_upcoming: float | None  # median over the judge's recent successful fetches; None without history

    @property
    def collapsed(self) -> bool:
        return count_collapsed(self.report.upcoming, self.usual_upcoming)


def refresh(engine: sa.Engine, adapter: JudgeAdapter, now: datetime, run_id: str | None = None) -> Refresh:
    judge = adapter.judge
    try:
        contests = adapter.fetch()
    except JudgeFetchError as exc:
        with engine.begin() as conn:
            record_failure(conn, judge, exc.reason, now, run_id)
        raise FetchFailed(judge, exc.reason, exc.retryable) from None
    with engine.begin() as conn:
        usual = usual_upcoming(conn, judge, before=now)
        report = apply_fetch(conn, judge, contests, now, run_id, usual_upcoming=usual)
    return Refresh(report, usual)


def judges_due(engine: sa.Engine, now: datetime) -> list[str]:
    """Every judge at the top of the hour; in between (every 10 minutes), the judges with a contest
    starting within the hour, whose last-minute moves matter most."""
    if now.minute < REFRESH_EVERY_MINUTES:
        return list(JUDGES)
    with engine.connect() as conn:
        return judges_starting_soon(conn, now, SOON)


def prune_stored(engine: sa.Engine, now: datetime) -> dict[str, int]:
    with engine.begin() as conn:
        return prune(conn, now)
