"""AtCoder's running and upcoming contests, scraped from `/contests/` (reference: contest-calendars.md section 4).

AtCoder has no API: the page's tables are found by their div ids (`contest-table-action`, `contest-table-upcoming`),
never by position. A page with neither div is a maintenance or redesigned page, an error rather than "no contests".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from contest_pipelines.clients.judges.base import HttpJudge, Malformed, layout_error, parse_all, request, upcoming
from contest_pipelines.domain.contests import Contest, kind_for

SITE = "https://atcoder.jp"
PATH = "/contests/"
PARAMS = {"lang": "en"}
SECTIONS = ("contest-table-action", "contest-table-upcoming")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S%z"  # `2026-10-03 21:00:00+0900`
_DURATION = re.compile(r"^(\d+):([0-5]\d)(?::([0-5]\d))?$")  # H:MM (H may exceed 24) or H:MM:SS
_CONTEST_LINK = re.compile(r"^(?:https?://atcoder\.jp)?/contests/([A-Za-z0-9_-]+)/?$")


class AtcoderContests(HttpJudge):
    judge = "atcoder"

    def fetch(self) -> list[Contest]:
        page = request(self.judge, self._http, "GET", PATH, params=PARAMS).text
        parser = ContestTables()
        parser.feed(page)
        parser.close()
        if not parser.found:
            raise layout_error(self.judge, f"no `{SECTIONS[0]}` or `{SECTIONS[1]}` div (a maintenance page?)")
        if parser.section is not None:
            raise layout_error(self.judge, f"the page ends inside `{parser.section}` (truncated?)")
        return upcoming(parse_all(self.judge, [row.as_dict() for row in parser.rows], parse_row, "table row"))


@dataclass
class Row:
    """One `<tr>` of a contest table: the cells' text, the contest link and the kind's span title."""

    section: str
    cells: list[str] = field(default_factory=list)
    start: str = ""
    href: str | None = None
    name: str = ""
    kind: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.section, "start": self.start, "href": self.href, "name": self.name,
                "kind": self.kind, "cells": self.cells}  # fmt: skip


class ContestTables(HTMLParser):
    """Collects the rows of the tables inside the wanted divs (by id), with the standard library's parser."""

    def __init__(self, sections: tuple[str, ...] = SECTIONS):
        super().__init__(convert_charrefs=True)
        self.sections = sections
        self.found: set[str] = set()
        self.rows: list[Row] = []
        self.section: str | None = None  # the wanted div we are in
        self._depth = 0  # div nesting inside it
        self._row: Row | None = None
        self._in: set[str] = set()  # open elements whose text we collect: td, time, a

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "div":
            if self.section is not None:
                self._depth += 1
            elif attributes.get("id") in self.sections:
                self.section, self._depth = attributes["id"], 1
                self.found.add(self.section)
            return
        if self.section is None:
            return
        if tag == "tr":
            self._row = Row(self.section)
        elif self._row is None:
            return
        elif tag == "td":
            self._row.cells.append("")
            self._in.add("td")
        elif tag == "time":
            self._in.add("time")
        elif len(self._row.cells) != 2:  # the link and the kind sit in the name cell
            return
        elif tag == "a" and self._row.href is None and _CONTEST_LINK.match(attributes.get("href") or ""):
            self._row.href = attributes["href"]
            self._in.add("a")
        elif tag == "span" and attributes.get("title") and self._row.kind is None:
            self._row.kind = attributes["title"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.section is not None:
            self._depth -= 1
            if self._depth == 0:
                self.section = None
        elif tag == "tr" and self._row is not None:
            if self._row.cells:  # header rows have `th`, not `td`
                self.rows.append(self._row)
            self._row = None
        else:
            self._in.discard(tag)

    def handle_data(self, data: str) -> None:
        if self._row is None:
            return
        if "td" in self._in:
            self._row.cells[-1] += data
        if "time" in self._in:
            self._row.start += data
        if "a" in self._in:
            self._row.name += data


def parse_start(value: str) -> datetime:
    """The `<time>` text, e.g. `2026-10-03 21:00:00+0900` (JST, offset without a colon)."""
    return datetime.strptime(value.strip(), TIME_FORMAT)


def parse_duration(value: str) -> timedelta:
    """`H:MM` (or `H:MM:SS`); H exceeds 24 for heuristic contests (`240:00`)."""
    match = _DURATION.match(value.strip())
    if match is None:
        raise Malformed(f"duration {value!r} is not H:MM")
    hours, minutes, secs = match.groups()
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=int(secs or 0))


def parse_row(row: dict[str, Any]) -> Contest:
    if row["href"] is None:
        raise Malformed("no `/contests/{slug}` link in the row")
    if len(row["cells"]) < 3:
        raise Malformed(f"{len(row['cells'])} cells, expected start, name, duration, rated range")
    slug = _CONTEST_LINK.match(row["href"]).group(1)  # type: ignore[union-attr]
    title = " ".join(row["name"].split())
    if not title:
        raise Malformed(f"no title for {slug}")
    start = parse_start(row["start"] or row["cells"][0])
    end = start + parse_duration(row["cells"][2])
    kind = row["kind"].strip().lower() if row["kind"] else None
    return Contest(
        judge="atcoder",
        key=slug,
        title=title,
        url=f"{SITE}/contests/{slug}",
        start=start,
        end=end,
        kind=kind_for(end - start, kind),
        raw=row,
    )
