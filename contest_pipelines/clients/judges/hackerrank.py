"""HackerRank's upcoming contests from its REST list, paged (reference: contest-calendars.md section 5).

Perpetual entries (ProjectEuler+ has "run" since 2014) and the `epoch_starttime: 0` master entry are not
contests anyone schedules: they are dropped. The same contest may appear twice; the key is `id`."""

from __future__ import annotations

from datetime import timedelta
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

SITE = "https://www.hackerrank.com"
PATH = "/rest/contests/upcoming"
PAGE_SIZE = 50
MAX_PAGES = 10
# Longer than this is a perpetual listing, not a contest (ProjectEuler+ spans a decade).
PERPETUAL = timedelta(days=365)


class HackerrankContests(HttpJudge):
    judge = "hackerrank"

    def fetch(self) -> list[Contest]:
        models: list[Any] = []
        for page in range(MAX_PAGES):
            payload = get_json(self.judge, self._http, PATH, params={"offset": page * PAGE_SIZE, "limit": PAGE_SIZE})
            batch = list_at(self.judge, payload, "models")
            total = payload.get("total")
            if isinstance(total, bool) or not isinstance(total, int):
                raise layout_error(self.judge, f"`total` is {total!r}, not a count")
            models.extend(batch)
            if not batch or (page + 1) * PAGE_SIZE >= total:
                break
        return upcoming(parse_all(self.judge, models, parse_contest))


def parse_contest(element: dict[str, Any]) -> Contest | None:
    key, title, slug = text(element, "id"), text(element, "name"), text(element, "slug")
    if not element.get("epoch_starttime") or element.get("epoch_endtime") is None or element.get("ended") is True:
        return None  # the master entry (start 0), an open-ended listing, or over
    start, end = unix(element, "epoch_starttime"), unix(element, "epoch_endtime")
    if end - start > PERPETUAL:
        return None
    return Contest(
        judge="hackerrank",
        key=key,
        title=title,
        url=f"{SITE}/contests/{slug}",
        start=start,
        end=end,
        kind=kind_for(end - start),
        raw=element,
    )
