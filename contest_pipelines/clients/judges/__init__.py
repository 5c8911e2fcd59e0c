"""One adapter per judge: each fetches the judge's contest list and returns its upcoming and running contests
as `Contest`s with aware UTC times, or raises `JudgeFetchError` (never an empty list for a failed fetch)."""

from __future__ import annotations

import httpx

from contest_pipelines.clients.codeforces import CodeforcesClient
from contest_pipelines.clients.judges.atcoder import AtcoderContests
from contest_pipelines.clients.judges.base import AdapterBase, HttpJudge, JudgeAdapter, JudgeFetchError
from contest_pipelines.clients.judges.code360 import Code360Contests
from contest_pipelines.clients.judges.codechef import CodechefContests
from contest_pipelines.clients.judges.codeforces import CodeforcesContests
from contest_pipelines.clients.judges.geeksforgeeks import GeeksforgeeksContests
from contest_pipelines.clients.judges.hackerrank import HackerrankContests
from contest_pipelines.clients.judges.leetcode import LeetcodeContests
from contest_pipelines.domain.contests import JUDGES
from contest_pipelines.settings import Settings

__all__ = [
    "AdapterBase", "AtcoderContests", "Code360Contests", "CodechefContests", "CodeforcesContests",
    "GeeksforgeeksContests", "HackerrankContests", "JudgeAdapter", "JudgeFetchError", "LeetcodeContests",
    "adapter_for",
]  # fmt: skip

HTTP_ADAPTERS: dict[str, type[HttpJudge]] = {
    adapter.judge: adapter
    for adapter in (
        LeetcodeContests,
        CodechefContests,
        AtcoderContests,
        HackerrankContests,
        GeeksforgeeksContests,
        Code360Contests,
    )  # fmt: skip
}


def adapter_for(
    judge: str,
    settings: Settings,
    codeforces: CodeforcesClient | None = None,
    transport: httpx.BaseTransport | None = None,
) -> JudgeAdapter:
    """The judge's adapter, fetching from the host in `settings` (`<judge>_url`). Codeforces goes through the
    caller's `CodeforcesClient` (shared pacing and circuit); the others own an httpx client: close them, or use
    them as context managers."""
    if judge not in JUDGES:
        raise ValueError(f"unknown judge {judge!r}; expected one of {', '.join(JUDGES)}")
    if judge == "codeforces":
        if codeforces is None:
            raise ValueError("the codeforces adapter needs a CodeforcesClient")
        return CodeforcesContests(codeforces)
    return HTTP_ADAPTERS[judge](getattr(settings, f"{judge}_url"), transport=transport)
