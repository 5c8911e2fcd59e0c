"""CodeChef's contests from its undocumented list API (reference: contest-calendars.md section 3).

Only `present_contests` (running) and `future_contests` are read: `practice_contests` and `skill_tests` are
pseudo-contests that "end" years ahead, and `past_contests` are over."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contest_pipelines.clients.judges.base import (
    HttpJudge,
    JudgeFetchError,
    Malformed,
    get_json,
    list_at,
    parse_all,
    text,
    upcoming,
)
from contest_pipelines.domain.contests import Contest, kind_for

SITE = "https://www.codechef.com"
PATH = "/api/list/contests/all"
PARAMS = {"sort_by": "START", "sorting_order": "asc", "offset": "0", "mode": "all"}
BUCKETS = ("present_contests", "future_contests")


class CodechefContests(HttpJudge):
    judge = "codechef"

    def fetch(self) -> list[Contest]:
        payload = get_json(self.judge, self._http, PATH, params=PARAMS)
        if isinstance(payload, dict) and payload.get("status") not in (None, "success"):
            raise JudgeFetchError(self.judge, f"{PATH} answered status {payload['status']!r}: {payload.get('message')}")
        elements = [element for bucket in BUCKETS for element in list_at(self.judge, payload, bucket)]
        return upcoming(parse_all(self.judge, elements, parse_contest))


def parse_iso(value: Any, name: str) -> datetime:
    """CodeChef's `contest_*_date_iso`, e.g. `2026-08-12T20:00:00+05:30`: the offset must be there."""
    if not isinstance(value, str):
        raise Malformed(f"`{name}` is {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise Malformed(f"`{name}` {value!r} has no UTC offset")
    return parsed


def parse_contest(element: dict[str, Any]) -> Contest:
    code, title = text(element, "contest_code"), text(element, "contest_name")
    start = parse_iso(element.get("contest_start_date_iso"), "contest_start_date_iso")
    end = parse_iso(element.get("contest_end_date_iso"), "contest_end_date_iso")
    if end < start:
        raise Malformed(f"ends ({end}) before it starts ({start})")
    return Contest(
        judge="codechef",
        key=code,
        title=title,
        url=f"{SITE}/{code}",
        start=start,
        end=end,
        kind=kind_for(end - start),
        raw=element,
    )
