"""Contests on the judges' calendars: the normalised form every adapter produces, and the rules on it.

An adapter (clients/judges/) turns one judge's payload into `Contest`s with aware UTC instants; the
calendar capability stores them keyed by (judge, key) and decides what changed from `visible`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# The judge ids players choose from, in the API, the partitions and the adapters (issue 10).
JUDGES = ("codeforces", "leetcode", "codechef", "atcoder", "hackerrank", "geeksforgeeks", "code360")
# Kinds a player may recognise; adapters may also give None.
LONG_RUNNING = "long-running"
HORIZON = timedelta(days=365)  # contests further ahead are placeholders (clist's rule)
LONG_RUNNING_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Contest:
    judge: str
    key: str
    title: str
    url: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC, >= start
    kind: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.judge not in JUDGES:
            raise ValueError(f"unknown judge {self.judge!r}")
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"{self.judge}:{self.key} {name} is a naive datetime; adapters convert to UTC")
            object.__setattr__(self, name, value.astimezone(UTC))
        if not self.key:
            raise ValueError(f"{self.judge} contest without a key")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def visible(contest: Contest) -> tuple[str, datetime, datetime, str]:
    """What a player sees: a change of any of these is a change; volatile payload fields never are."""
    return contest.title, contest.start, contest.end, contest.url


def kind_for(duration: timedelta, kind: str | None = None) -> str | None:
    """A contest longer than a week is long-running whatever the judge calls it."""
    return LONG_RUNNING if duration > LONG_RUNNING_AFTER else kind


def worth_keeping(contest: Contest, now: datetime) -> bool:
    """Drop placeholders: more than a year ahead, or ending before they start."""
    return contest.start <= now + HORIZON and contest.end >= contest.start


def count_collapsed(upcoming: int, usual: float | None) -> bool:
    """A successful fetch listing far fewer upcoming contests than usual (under half, from at least two)
    is more likely a changed page or API than a wave of cancellations."""
    return usual is not None and usual >= 2 and upcoming < usual / 2
