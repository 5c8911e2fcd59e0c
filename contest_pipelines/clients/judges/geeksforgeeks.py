"""GeeksforGeeks' upcoming contests from its events API (reference: contest-calendars.md section 6).

`start_time`/`end_time` carry no offset and are India Standard Time: the adapter attaches Asia/Kolkata, so the
result does not depend on the machine's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from contest_pipelines.clients.judges.base import HttpJudge, Malformed, get_json, list_at, parse_all, text, upcoming
from contest_pipelines.domain.contests import Contest, kind_for

SITE = "https://practice.geeksforgeeks.org"
PATH = "/api/vr/events/"
PARAMS = {"type": "contest", "sub_type": "all", "page_number": "1"}
IST = ZoneInfo("Asia/Kolkata")
WEBINAR = 1  # `type`: 3 is a contest, 1 a webinar


class GeeksforgeeksContests(HttpJudge):
    judge = "geeksforgeeks"

    def __init__(
        self, base_url: str, *, transport: httpx.BaseTransport | None = None, timeout_seconds: float | None = None
    ):
        super().__init__(
            base_url, transport=transport, timeout_seconds=timeout_seconds, Origin="https://www.geeksforgeeks.org"
        )

    def fetch(self) -> list[Contest]:
        payload = get_json(self.judge, self._http, PATH, params=PARAMS)
        return upcoming(parse_all(self.judge, list_at(self.judge, payload, "results", "upcoming"), parse_contest))


def parse_ist(value: Any, name: str) -> datetime:
    """`2022-08-28T19:00:00` in IST (an explicit offset, should GfG add one, wins)."""
    if not isinstance(value, str):
        raise Malformed(f"`{name}` is {value!r}")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=IST)


def parse_contest(element: dict[str, Any]) -> Contest | None:
    if element.get("type") == WEBINAR:
        return None
    slug = text(element, "slug")
    title = text(element, "name" if element.get("name") else "title")  # some entries carry `title`
    start, end = parse_ist(element.get("start_time"), "start_time"), parse_ist(element.get("end_time"), "end_time")
    if end < start:
        raise Malformed(f"ends ({end}) before it starts ({start})")
    return Contest(
        judge="geeksforgeeks",
        key=slug,
        title=title,
        url=f"{SITE}/contest/{slug}",
        start=start,
        end=end,
        kind=kind_for(end - start),
        raw=element,
    )
