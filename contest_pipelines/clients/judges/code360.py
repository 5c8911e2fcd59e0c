"""Naukri Code360's contests from its public contest list (reference: contest-calendars.md section 7).

The list is upcoming events first, then the whole history, paged: paging stops at the first page whose events
have all ended (and after MAX_PAGES whatever happens). Only `event_category == "CONTEST"` is a contest."""

from __future__ import annotations

from typing import Any

from contest_pipelines.clients.judges.base import (
    HttpJudge,
    get_json,
    layout_error,
    list_at,
    parse_all,
    text,
    unix,
    upcoming,
)
from contest_pipelines.domain.contests import Contest, kind_for

SITE = "https://www.naukri.com/code360"
PATH = "/code360/api/v3/public_section/contest_list"
MAX_PAGES = 10
CONTEST = "CONTEST"


class Code360Contests(HttpJudge):
    judge = "code360"

    def fetch(self) -> list[Contest]:
        contests: list[Contest] = []
        for page in range(1, MAX_PAGES + 1):
            payload = get_json(self.judge, self._http, PATH, params={"page": page})
            events = list_at(self.judge, payload, "data", "events")
            total_pages = payload["data"].get("total_pages")
            if isinstance(total_pages, bool) or not isinstance(total_pages, int):
                raise layout_error(self.judge, f"`data.total_pages` is {total_pages!r}, not a count")
            parsed = parse_all(self.judge, events, parse_event, "event")
            contests.extend(c for c in parsed if c.raw.get("event_category") == CONTEST)
            if page >= total_pages or not upcoming(parsed):
                break  # the last page, or history from here on
        return upcoming(contests)


def parse_event(element: dict[str, Any]) -> Contest:
    """Any event (webinars too: their times tell where the history starts); the caller keeps the contests."""
    slug, title = text(element, "slug"), text(element, "name")
    start, end = unix(element, "event_start_time"), unix(element, "event_end_time")
    end = max(start, end)  # clist guards end < start
    return Contest(
        judge="code360",
        key=slug,
        title=title,
        url=f"{SITE}/contests/{slug}",
        start=start,
        end=end,
        kind=kind_for(end - start),
        raw=element,
    )
