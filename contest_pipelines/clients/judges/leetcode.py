"""LeetCode's contests from its GraphQL endpoint (reference: contest-calendars.md section 2).

`upcomingContests` lists every scheduled contest but LeetCode has removed contest fields before; when GraphQL
says the field is gone the adapter falls back to `topTwoContests` (the next weekly and biweekly only)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from contest_pipelines.clients.judges.base import (
    HttpJudge,
    JudgeFetchError,
    excerpt,
    list_at,
    parse_all,
    parse_json,
    request,
    seconds,
    text,
    unix,
    upcoming,
)
from contest_pipelines.domain.contests import Contest, kind_for

log = logging.getLogger(__name__)

SITE = "https://leetcode.com"
PATH = "/graphql"
UPCOMING, TOP_TWO = "upcomingContests", "topTwoContests"
QUERIES = {
    UPCOMING: "query upcomingContests { upcomingContests { title titleSlug startTime duration __typename } }",
    TOP_TWO: "query topTwoContests { topTwoContests { title titleSlug startTime duration cardImg } }",
}
# Graphene answers a query on a removed field with HTTP 400 and a GraphQL error (some servers use 200).
GRAPHQL_ERROR_STATUS = (400,)
FIELD_REMOVED = "Cannot query field"


class LeetcodeContests(HttpJudge):
    judge = "leetcode"

    def __init__(
        self, base_url: str, *, transport: httpx.BaseTransport | None = None, timeout_seconds: float | None = None
    ):
        # Without a Referer LeetCode answers 403 "CSRF verification failed".
        super().__init__(
            base_url, transport=transport, timeout_seconds=timeout_seconds, Referer=f"{base_url.rstrip('/')}/contest/"
        )

    def fetch(self) -> list[Contest]:
        try:
            elements = self._query(UPCOMING)
        except _FieldRemoved as exc:
            log.warning("leetcode: %s; falling back to %s", exc, TOP_TWO)
            try:
                elements = self._query(TOP_TWO)
            except _FieldRemoved as again:
                raise JudgeFetchError(self.judge, f"GraphQL removed both {UPCOMING} and {TOP_TWO}: {again}") from None
        return upcoming(parse_all(self.judge, elements, parse_contest))

    def _query(self, field: str) -> list[Any]:
        body = {"query": QUERIES[field], "variables": {}, "operationName": field}
        response = request(self.judge, self._http, "POST", PATH, allow_status=GRAPHQL_ERROR_STATUS, json=body)
        payload = parse_json(self.judge, PATH, response)
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if errors:
            messages = "; ".join(
                str(e.get("message")) if isinstance(e, dict) else str(e)
                for e in (errors if isinstance(errors, list) else [errors])
            )
            if FIELD_REMOVED in messages:
                raise _FieldRemoved(excerpt(messages))
            raise JudgeFetchError(self.judge, f"GraphQL {field} answered errors: {excerpt(messages)}")
        if response.status_code >= 400:
            raise JudgeFetchError(self.judge, f"{PATH} answered HTTP {response.status_code}: {excerpt(response.text)}")
        return list_at(self.judge, payload, "data", field)


class _FieldRemoved(Exception):
    """GraphQL says the queried field no longer exists."""


def parse_contest(element: dict[str, Any]) -> Contest:
    slug, title = text(element, "titleSlug"), text(element, "title")
    start = unix(element, "startTime")
    end = start + seconds(element, "duration")
    kind = "biweekly" if slug.startswith("biweekly") else "weekly" if slug.startswith("weekly") else None
    return Contest(
        judge="leetcode",
        key=slug,
        title=title,
        url=f"{SITE}/contest/{slug}",
        start=start,
        end=end,
        kind=kind_for(end - start, kind),
        raw=element,
    )
