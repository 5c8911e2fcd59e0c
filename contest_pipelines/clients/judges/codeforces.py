"""Codeforces' contest list through the shared `CodeforcesClient`, so the calendar's calls count against the
same pacing and circuit as the submission sync (reference: contest-calendars.md section 1)."""

from __future__ import annotations

from typing import Any

from contest_pipelines.clients.codeforces import CodeforcesClient, CodeforcesError
from contest_pipelines.clients.judges.base import AdapterBase, JudgeFetchError, parse_all, seconds, text, unix, upcoming
from contest_pipelines.domain.contests import Contest, kind_for

SITE = "https://codeforces.com"
# BEFORE: upcoming; CODING: running. The system-test phases are over for a player.
LISTED_PHASES = frozenset({"BEFORE", "CODING"})


class CodeforcesContests(AdapterBase):
    """Upcoming and running Codeforces contests; the client is the caller's (closing this adapter keeps it)."""

    judge = "codeforces"

    def __init__(self, client: CodeforcesClient):
        self._client = client

    def fetch(self) -> list[Contest]:
        try:
            elements = self._client.contest_list(gym=False)
        except CodeforcesError as exc:
            raise JudgeFetchError(self.judge, str(exc)) from exc
        return upcoming(parse_all(self.judge, elements, parse_contest))


def parse_contest(element: dict[str, Any]) -> Contest | None:
    key, title, phase = text(element, "id"), text(element, "name"), text(element, "phase")
    if phase not in LISTED_PHASES or element.get("startTimeSeconds") is None:
        return None  # finished, or not scheduled yet (clist skips contests without a start)
    start = unix(element, "startTimeSeconds")
    end = start + seconds(element, "durationSeconds")
    return Contest(
        judge="codeforces",
        key=key,
        title=title,
        url=f"{SITE}/contests/{key}",
        start=start,
        end=end,
        kind=kind_for(end - start, element.get("type") or None),
        raw=element,
    )
