"""The judges' contest lists: one adapter per judge, Codeforces through the shared paced client."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from contest_pipelines.clients.judges import JudgeAdapter, adapter_for
from contest_pipelines.resources.codeforces import CodeforcesResource
from contest_pipelines.settings import REAL_JUDGE_URLS, Settings


class JudgesResource(dg.ConfigurableResource):
    """Where each judge's list is fetched (scheme and host; defaults: the real sites)."""

    codeforces: CodeforcesResource
    leetcode_url: str = REAL_JUDGE_URLS["leetcode"]
    codechef_url: str = REAL_JUDGE_URLS["codechef"]
    atcoder_url: str = REAL_JUDGE_URLS["atcoder"]
    hackerrank_url: str = REAL_JUDGE_URLS["hackerrank"]
    geeksforgeeks_url: str = REAL_JUDGE_URLS["geeksforgeeks"]
    code360_url: str = REAL_JUDGE_URLS["code360"]

    @contextmanager
    def adapter(self, judge: str) -> Iterator[JudgeAdapter]:
        urls = {f"{name}_url": getattr(self, f"{name}_url") for name in REAL_JUDGE_URLS}
        settings = Settings(codeforces_api_url=self.codeforces.base_url, **urls)
        cf = self.codeforces.client() if judge == "codeforces" else None
        try:
            with adapter_for(judge, settings, codeforces=cf) as adapter:
                yield adapter
        finally:
            if cf is not None:
                cf.close()
