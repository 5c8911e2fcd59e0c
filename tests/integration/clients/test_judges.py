"""The seven judge adapters against the fake judges over real HTTP (Codeforces through a real paced
`CodeforcesClient` on the test Redis): what they keep, what they drop, and how each failure reads."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis

from contest_pipelines.clients.codeforces import CodeforcesClient
from contest_pipelines.clients.judges import (
    AtcoderContests,
    Code360Contests,
    CodechefContests,
    CodeforcesContests,
    GeeksforgeeksContests,
    HackerrankContests,
    JudgeAdapter,
    JudgeFetchError,
    LeetcodeContests,
    adapter_for,
)
from contest_pipelines.domain.contests import JUDGES, LONG_RUNNING, Contest
from contest_pipelines.settings import Settings
from tests.fakes.judges import FakeContest, FakeJudges

CLIENT_TIMEOUT = 0.25  # the fake's "timeout" fault stalls for 1 s
HTTP_ADAPTERS = {
    "leetcode": LeetcodeContests,
    "codechef": CodechefContests,
    "atcoder": AtcoderContests,
    "hackerrank": HackerrankContests,
    "geeksforgeeks": GeeksforgeeksContests,
    "code360": Code360Contests,
}
URLS = {
    "codeforces": "https://codeforces.com/contests/{key}",
    "leetcode": "https://leetcode.com/contest/{key}",
    "codechef": "https://www.codechef.com/{key}",
    "atcoder": "https://atcoder.jp/contests/{key}",
    "hackerrank": "https://www.hackerrank.com/contests/{slug}",
    "geeksforgeeks": "https://practice.geeksforgeeks.org/contest/{key}",
    "code360": "https://www.naukri.com/code360/contests/{key}",
}
H, D = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def cf_client(fake_judges: FakeJudges, redis_url: str, redis_client: redis.Redis) -> Iterator[CodeforcesClient]:
    """A real Codeforces client on the fake; an empty Redis db, so no circuit is left open by another test."""
    redis_client.flushdb()
    client = CodeforcesClient(
        fake_judges.base_url_for("codeforces"),
        redis_url,
        min_interval_seconds=0.01,
        circuit_seconds=1,
        timeout_seconds=CLIENT_TIMEOUT,
    )
    yield client
    client.close()


@pytest.fixture
def make(fake_judges: FakeJudges, cf_client: CodeforcesClient) -> Iterator[Callable[[str], JudgeAdapter]]:
    """An adapter on the fake with a short timeout; closed after the test."""
    adapters: list = []

    def build(judge: str) -> JudgeAdapter:
        if judge == "codeforces":
            adapter = CodeforcesContests(cf_client)
        else:
            adapter = HTTP_ADAPTERS[judge](fake_judges.base_url_for(judge), timeout_seconds=CLIENT_TIMEOUT)
        adapters.append(adapter)
        return adapter

    yield build
    for adapter in adapters:
        adapter.close()


def expected_kind(judge: str, contest: FakeContest) -> str | None:
    if contest.duration > 7 * D:
        return LONG_RUNNING
    if judge in ("codeforces", "atcoder"):
        return contest.kind
    if judge == "leetcode":
        return contest.key.split("-")[0]
    return None


def by_key(contests: list[Contest]) -> dict[str, Contest]:
    return {c.key: c for c in contests}


# ---------------------------------------------------------------------- happy paths


@pytest.mark.parametrize("judge", JUDGES)
def test_lists_the_judges_running_and_upcoming_contests(
    judge: str, fake_judges: FakeJudges, cf_client: CodeforcesClient
) -> None:
    settings = Settings(**fake_judges.settings())
    with adapter_for(judge, settings, codeforces=cf_client) as adapter:
        assert adapter.judge == judge
        contests = adapter.fetch()

    now = datetime.now(UTC)
    wanted = sorted((c for c in fake_judges.contests(judge) if c.end > now), key=lambda c: (c.start, c.key))
    assert [c.key for c in contests] == [c.key for c in wanted]  # noise dropped, sorted by start
    for got, want in zip(contests, wanted, strict=True):
        assert got.judge == judge
        assert got.title == want.title
        assert got.start == want.start and got.end == want.end
        assert got.start.tzinfo is UTC and got.end.tzinfo is UTC
        assert got.url == URLS[judge].format(key=want.key, slug=want.url_slug)
        assert got.kind == expected_kind(judge, want)
        assert isinstance(got.raw, dict) and got.raw


def test_codeforces_keeps_running_and_multi_week_contests_and_drops_the_rest(fake_judges, make) -> None:
    contests = by_key(make("codeforces").fetch())

    assert set(contests) == {"2257", "2251", "2255"}  # not 2260 (no start), 2249 (system test), 2245 (finished)
    challenge = contests["2251"]
    assert challenge.duration == timedelta(seconds=1_209_600) and challenge.kind == LONG_RUNNING
    assert challenge.raw["type"] == "IOI" and challenge.raw["phase"] == "BEFORE"
    assert contests["2255"].raw["phase"] == "CODING" and contests["2255"].kind == "CF"
    start = contests["2257"].start
    assert (start.weekday(), start.hour, start.minute) == (0, 14, 35)  # Monday 17:35 Moscow
    assert [c.params for c in fake_judges.calls_for("codeforces")] == [{"gym": "false"}]


def test_atcoder_reads_the_tables_by_div_and_long_durations(make) -> None:
    contests = by_key(make("atcoder").fetch())

    assert set(contests) == {"abc478", "ahc074", "arc210", "ahc073"}  # not practice2 (permanent), abc476 (recent)
    heuristic = contests["ahc074"]
    assert heuristic.raw["cells"][2].strip() == "240:00"
    assert heuristic.duration == timedelta(hours=240) and heuristic.kind == LONG_RUNNING
    assert heuristic.title == "HACK TO THE FUTURE 2027（AtCoder Heuristic Contest 074）"  # full-width kept
    assert contests["abc478"].kind == "algorithm" and contests["abc478"].duration == timedelta(minutes=100)
    assert (contests["abc478"].start.weekday(), contests["abc478"].start.hour) == (5, 12)  # Sat 21:00 JST
    assert contests["ahc073"].kind == "heuristic" and contests["ahc073"].raw["section"] == "contest-table-action"
    assert contests["arc210"].title.startswith("Tokio Marine & Nichido's")  # unescaped


def test_atcoder_with_no_upcoming_rows_is_an_empty_list_not_an_error(fake_judges, make) -> None:
    fake_judges.set_contests("atcoder", [])

    assert make("atcoder").fetch() == []


def test_leetcode_kinds_and_the_referer_it_needs(fake_judges, make) -> None:
    contests = by_key(make("leetcode").fetch())

    assert contests["weekly-contest-515"].kind == "weekly"
    assert contests["biweekly-contest-189"].kind == "biweekly"
    assert contests["weekly-contest-515"].duration == timedelta(seconds=5400)
    # Without a Referer LeetCode refuses (CSRF): the adapter sends one.
    bare = httpx.post(f"{fake_judges.root_url}/graphql", json={"query": "query q { upcomingContests { title } }"})
    assert bare.status_code == 403 and "CSRF verification failed" in bare.text
    assert [c.status for c in fake_judges.calls_for("leetcode")] == [200, 403]


def test_leetcode_falls_back_to_top_two_when_upcoming_contests_is_removed(fake_judges, make) -> None:
    fake_judges.fail("leetcode", "graphql_removed")

    contests = make("leetcode").fetch()

    first_two = sorted(fake_judges.contests("leetcode"), key=lambda c: c.start)[:2]
    assert [c.key for c in contests] == [c.key for c in first_two]
    assert [(c.operation, c.status) for c in fake_judges.calls_for("leetcode")] == [
        ("upcomingContests", 400),
        ("topTwoContests", 200),
    ]


def test_codechef_drops_practice_skill_tests_and_past_contests(make) -> None:
    contests = by_key(make("codechef").fetch())

    assert set(contests) == {"START250", "START251", "START252"}  # present + future only
    starters = contests["START251"]
    assert starters.raw["contest_start_date_iso"].endswith("T20:00:00+05:30")
    assert (starters.start.weekday(), starters.start.hour, starters.start.minute) == (2, 14, 30)  # Wed 20:00 IST
    assert starters.duration == timedelta(minutes=int(starters.raw["contest_duration"]))


def test_hackerrank_drops_perpetual_master_finished_and_duplicate_entries(fake_judges, make) -> None:
    contests = make("hackerrank").fetch()

    assert [c.key for c in contests] == ["12345", "12346"]  # not ProjectEuler+ (1881), the master (1), 12001
    assert contests[0].url == "https://www.hackerrank.com/contests/hourrank-50"
    models = [m["id"] for m in httpx.get(f"{fake_judges.root_url}/rest/contests/upcoming?limit=50").json()["models"]]
    assert models.count(12345) == 2 and {1881, 1, 12001} <= set(models)


def test_hackerrank_pages_until_the_total(fake_judges, make) -> None:
    fake_judges.set_contests(
        "hackerrank",
        [FakeContest.starting_in(str(20_000 + n), f"Hiring Challenge {n}", n * H + H, 2 * H) for n in range(60)],
    )

    contests = make("hackerrank").fetch()

    assert len(contests) == 60 and len({c.key for c in contests}) == 60
    assert [c.params["offset"] for c in fake_judges.calls_for("hackerrank")] == ["0", "50"]


def test_geeksforgeeks_reads_ist_times_both_title_fields_and_drops_webinars(make) -> None:
    contests = by_key(make("geeksforgeeks").fetch())

    assert set(contests) == {"gfg-weekly-coding-contest-230", "job-a-thon-48"}  # not the webinar, not the past
    weekly = contests["gfg-weekly-coding-contest-230"]
    assert weekly.raw["start_time"].endswith("T19:00:00") and (weekly.start.hour, weekly.start.minute) == (13, 30)
    assert {"name" in c.raw for c in contests.values()} == {True, False}  # one carries `title`
    assert contests["job-a-thon-48"].title == "Job-A-Thon 48 Hiring Challenge"


def test_code360_keeps_contests_and_stops_at_the_first_all_past_page(fake_judges, make) -> None:
    contests = by_key(make("code360").fetch())

    assert set(contests) == {"weekly-contest-252", "biweekly-contest-130"}  # not the webinar, not the history
    calls = fake_judges.calls_for("code360")
    assert [c.params["page"] for c in calls] == ["1", "2"]  # of 3 pages
    assert contests["weekly-contest-252"].raw["event_category"] == "CONTEST"


@pytest.mark.parametrize("judge", JUDGES)
def test_finished_contests_are_dropped_and_running_ones_kept(judge: str, fake_judges: FakeJudges, make) -> None:
    key = "31337" if judge in ("codeforces", "hackerrank") else f"{judge}-finished"
    running_key = "31338" if judge in ("codeforces", "hackerrank") else f"{judge}-running"
    fake_judges.add_contest(judge, FakeContest.starting_in(key, "Finished Round", -3 * H, H, "algorithm"))
    fake_judges.add_contest(judge, FakeContest.starting_in(running_key, "Running Round", -H, 3 * H, "algorithm"))

    keys = {c.key for c in make(judge).fetch()}

    assert key not in keys
    assert running_key in keys


def test_the_fake_moves_renames_and_removes_contests(fake_judges: FakeJudges, make) -> None:
    later = datetime.now(UTC).replace(second=0, microsecond=0) + 10 * D
    fake_judges.move_contest("codechef", "START251", later, timedelta(hours=3))
    fake_judges.rename_contest("codechef", "START252", "Starters 252 (Rated for All)")
    fake_judges.remove_contest("codechef", "START250")

    contests = by_key(make("codechef").fetch())

    assert set(contests) == {"START251", "START252"}
    assert contests["START251"].start == later and contests["START251"].duration == timedelta(hours=3)
    assert contests["START252"].title == "Starters 252 (Rated for All)"
    with pytest.raises(KeyError):
        fake_judges.remove_contest("codechef", "START250")


# ---------------------------------------------------------------------- failures

COMMON_FAILURES = {
    "http503": "answered HTTP 503",
    "http429": "answered HTTP 429",
    "cloudflare": "HTTP 403 with a Cloudflare challenge page",
    "garbage": "with a body that is not JSON",
    "timeout": "timed out",
}
LAYOUT = {
    "leetcode": "no `data.upcomingContests` list",
    "codechef": "no `present_contests` list",
    "atcoder": "no `contest-table-action` or `contest-table-upcoming` div",
    "hackerrank": "no `models` list",
    "geeksforgeeks": "no `results.upcoming` list",
    "code360": "no `data.events` list",
}
FAILURES = [(judge, fault, text) for judge in HTTP_ADAPTERS for fault, text in COMMON_FAILURES.items()]
FAILURES = [f for f in FAILURES if f[:2] != ("atcoder", "garbage")] + [
    ("atcoder", "garbage", "no `contest-table-action` or `contest-table-upcoming` div"),
    *((judge, "layout", text) for judge, text in LAYOUT.items()),
    ("leetcode", "graphql_error", "GraphQL upcomingContests answered errors: Internal server error"),
    ("codeforces", "http503", "contest.list answered HTTP 503"),
    ("codeforces", "http429", "contest.list answered HTTP 429: call limit exceeded"),
    ("codeforces", "call_limit", "contest.list answered HTTP 503: call limit exceeded"),
    ("codeforces", "cloudflare", "contest.list returned an unparseable body (HTTP 403)"),
    ("codeforces", "garbage", "contest.list returned an unparseable body (HTTP 200)"),
    ("codeforces", "layout", "every contest (6) is malformed, e.g. `id` is None"),
    ("codeforces", "failed", "contest.list: Internal Server Error"),
    ("codeforces", "timeout", "contest.list timed out"),
]


@pytest.mark.parametrize(("judge", "fault", "text"), FAILURES, ids=[f"{j}-{f}" for j, f, _ in FAILURES])
def test_each_failure_is_a_readable_judge_fetch_error(
    judge: str, fault: str, text: str, fake_judges: FakeJudges, make
) -> None:
    fake_judges.fail(judge, fault)

    with pytest.raises(JudgeFetchError) as caught:
        make(judge).fetch()

    assert caught.value.judge == judge
    assert text in str(caught.value) and str(caught.value).startswith(f"{judge}: ")
    assert fake_judges.calls_for(judge)[0].fault == fault


def test_leetcode_without_either_query_field_fails(fake_judges, make) -> None:
    fake_judges.fail("leetcode", "graphql_removed", times=2)

    with pytest.raises(JudgeFetchError, match=r'removed both .* Cannot query field "topTwoContests"'):
        make("leetcode").fetch()


def test_codeforces_adapter_shares_the_clients_circuit(fake_judges, make) -> None:
    adapter = make("codeforces")
    fake_judges.fail("codeforces", "http503")
    with pytest.raises(JudgeFetchError, match="HTTP 503"):
        adapter.fetch()

    with pytest.raises(JudgeFetchError, match="circuit open"):
        adapter.fetch()
    assert len(fake_judges.calls_for("codeforces")) == 1  # the open circuit made no call


def test_a_failure_is_recovered_by_the_next_fetch(fake_judges, make) -> None:
    adapter = make("atcoder")
    fake_judges.fail("atcoder", "cloudflare")
    with pytest.raises(JudgeFetchError):
        adapter.fetch()

    assert len(adapter.fetch()) == 4


# ---------------------------------------------------------------------- payload edges (httpx.MockTransport)


def mock(payload: object, status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=payload))


def codechef_element(code: str, **changes: object) -> dict:
    start = datetime.now(UTC) + D
    element = {"contest_code": code, "contest_name": f"Contest {code}",
               "contest_start_date_iso": start.isoformat(), "contest_end_date_iso": (start + 2 * H).isoformat(),
               "contest_duration": "120"}  # fmt: skip
    return element | changes


def test_one_malformed_element_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    bad = codechef_element("BAD", contest_start_date_iso=None)
    payload = {"status": "success", "present_contests": [], "future_contests": [codechef_element("GOOD"), bad]}

    with caplog.at_level(logging.WARNING), CodechefContests("https://cc.test", transport=mock(payload)) as adapter:
        contests = adapter.fetch()

    assert [c.key for c in contests] == ["GOOD"]
    assert "codechef: skipped a malformed contest (`contest_start_date_iso` is None)" in caplog.text


def test_every_element_malformed_is_a_layout_error() -> None:
    naive = codechef_element("A", contest_start_date_iso="2026-12-01T20:00:00")
    payload = {"status": "success", "present_contests": [], "future_contests": [naive, "junk"]}

    with pytest.raises(JudgeFetchError, match=r"every contest \(2\) is malformed, e.g. .* has no UTC offset"):
        CodechefContests("https://cc.test", transport=mock(payload)).fetch()


def test_codechef_error_status_is_reported() -> None:
    payload = {"status": "error", "message": "Something went wrong"}

    with pytest.raises(JudgeFetchError, match="answered status 'error': Something went wrong"):
        CodechefContests("https://cc.test", transport=mock(payload)).fetch()


def test_leetcode_falls_back_on_a_graphql_error_sent_with_http_200() -> None:
    start = int((datetime.now(UTC) + D).timestamp())
    top_two = {"title": "Weekly Contest 600", "titleSlug": "weekly-contest-600", "startTime": start, "duration": 5400}

    def answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["operationName"] == "upcomingContests":
            return httpx.Response(200, json={"errors": [{"message": 'Cannot query field "upcomingContests"'}]})
        return httpx.Response(200, json={"data": {"topTwoContests": [top_two]}})

    with LeetcodeContests("https://lc.test", transport=httpx.MockTransport(answer)) as adapter:
        assert [c.key for c in adapter.fetch()] == ["weekly-contest-600"]


def test_atcoder_page_truncated_inside_the_table_is_an_error() -> None:
    page = '<html><body><div id="contest-table-upcoming"><table><tbody><tr><td>2026-12-05 21:00'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text=page))

    with pytest.raises(JudgeFetchError, match="ends inside `contest-table-upcoming`"):
        AtcoderContests("https://ac.test", transport=transport).fetch()


def test_adapter_for_rejects_unknown_judges_and_codeforces_without_a_client() -> None:
    with pytest.raises(ValueError, match="unknown judge 'topcoder'"):
        adapter_for("topcoder", Settings())
    with pytest.raises(ValueError, match="needs a CodeforcesClient"):
        adapter_for("codeforces", Settings())
