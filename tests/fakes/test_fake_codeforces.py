"""Tests of the Codeforces fake, always over real HTTP with httpx."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from .codeforces import FIRST_SUBMISSION_ID, PRACTICE_RELATIVE_TIME, Call, FakeCodeforces

REPO_ROOT = Path(__file__).resolve().parents[2]
BAD_HANDLE = "Field should contain only Latin letters, digits, underscore or dash characters"


@pytest.fixture
def cf():
    with FakeCodeforces(timeout_delay=1.0) as fake:
        yield fake


@pytest.fixture
def http():
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        yield client


def api(http: httpx.Client, cf: FakeCodeforces, method: str, **params) -> httpx.Response:
    return http.get(f"{cf.base_url}/{method}", params=params)


def ids(response: httpx.Response) -> list[int]:
    body = response.json()
    assert body["status"] == "OK", body
    return [s["id"] for s in body["result"]]


# --------------------------------------------------------------------------- shapes


def test_base_url_and_ok_envelope(cf, http):
    assert cf.base_url == f"http://127.0.0.1:{cf.port}/api"
    cf.add_submission("tourist", "1843A", "OK", created=1_700_000_000)
    r = api(http, cf, "user.status", handle="tourist")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    body = r.json()
    assert set(body) == {"status", "result"} and body["status"] == "OK"
    [sub] = body["result"]
    assert sub["id"] == FIRST_SUBMISSION_ID
    assert sub["contestId"] == 1843
    assert sub["creationTimeSeconds"] == 1_700_000_000
    assert sub["relativeTimeSeconds"] == PRACTICE_RELATIVE_TIME
    problem = sub["problem"]
    assert (problem["contestId"], problem["index"], problem["type"]) == (1843, "A", "PROGRAMMING")
    assert isinstance(problem["name"], str) and isinstance(problem["tags"], list)
    if "points" in problem:
        assert isinstance(problem["points"], float)
    author = sub["author"]
    assert author["members"] == [{"handle": "tourist"}]
    assert author["participantType"] == "PRACTICE"
    assert author["ghost"] is False and author["contestId"] == 1843
    assert isinstance(author["participantId"], int)
    assert "startTimeSeconds" not in author and "teamName" not in author
    assert sub["verdict"] == "OK" and sub["testset"] == "TESTS"
    assert sub["passedTestCount"] > 0
    assert {"programmingLanguage", "timeConsumedMillis", "memoryConsumedBytes"} <= set(sub)


def test_contestant_submission_has_start_time_and_index_with_digit(cf, http):
    cf.add_submission("Petr", "1850D2", "WRONG_ANSWER", participant_type="CONTESTANT", created=1_700_000_000)
    [sub] = api(http, cf, "user.status", handle="petr").json()["result"]
    assert sub["problem"]["index"] == "D2"
    assert sub["author"]["participantType"] == "CONTESTANT"
    start = sub["author"]["startTimeSeconds"]
    assert sub["relativeTimeSeconds"] == 1_700_000_000 - start >= 0


def test_problemset_problem_has_no_contest_id(cf, http):
    cf.add_submission("tourist", "acmsguru/100")
    [sub] = api(http, cf, "user.status", handle="tourist").json()["result"]
    assert "contestId" not in sub and "contestId" not in sub["problem"]
    assert sub["problem"]["problemsetName"] == "acmsguru"


def test_absent_verdict_is_omitted_and_set_verdict(cf, http):
    sub = cf.add_submission("tourist", "1843B", None)
    assert "verdict" not in sub
    got = api(http, cf, "user.status", handle="tourist").json()["result"][0]
    assert "verdict" not in got and got["passedTestCount"] == 0
    assert '"verdict"' not in api(http, cf, "user.status", handle="tourist").text
    cf.set_verdict(sub["id"], "TESTING")
    assert api(http, cf, "user.status", handle="tourist").json()["result"][0]["verdict"] == "TESTING"
    cf.set_verdict(sub["id"], "OK")
    assert api(http, cf, "user.status", handle="tourist").json()["result"][0]["verdict"] == "OK"
    cf.set_verdict(sub["id"], None)
    assert "verdict" not in api(http, cf, "user.status", handle="tourist").json()["result"][0]
    with pytest.raises(KeyError):
        cf.set_verdict(1, "OK")
    with pytest.raises(ValueError):
        cf.set_verdict(sub["id"], "ACCEPTED")


def test_team_submission_members_in_order(cf, http):
    cf.add_submission(["Zed", "alice", "Bob"], "1843C", "OK", participant_type="CONTESTANT", team_name="Team Z")
    cf.add_submission(["Zed", "alice", "Bob"], "1843D", "OK", participant_type="CONTESTANT", team_name="Team Z")
    for handle in ("zed", "ALICE", "bob"):
        subs = api(http, cf, "user.status", handle=handle).json()["result"]
        assert len(subs) == 2
        author = subs[0]["author"]
        assert author["members"] == [{"handle": "Zed"}, {"handle": "alice"}, {"handle": "Bob"}]
        assert author["teamName"] == "Team Z" and isinstance(author["teamId"], int)
        assert subs[0]["author"]["participantId"] == subs[1]["author"]["participantId"]


def test_handles_are_case_insensitive_with_canonical_case(cf, http):
    cf.add_user("Um_nik", rating=3500)
    cf.add_submission("um_NIK", "1843A")
    [sub] = api(http, cf, "user.status", handle="UM_NIK").json()["result"]
    assert sub["author"]["members"] == [{"handle": "Um_nik"}]
    [user] = api(http, cf, "user.info", handles="um_nik").json()["result"]
    assert user["handle"] == "Um_nik" and user["rank"] == "legendary grandmaster"


# --------------------------------------------------------------------------- ordering and paging


def test_newest_first_and_paging(cf, http):
    made = [cf.add_submission("tourist", f"18{40 + i}A")["id"] for i in range(5)]
    assert made == list(range(FIRST_SUBMISSION_ID, FIRST_SUBMISSION_ID + 5))
    newest_first = made[::-1]
    assert ids(api(http, cf, "user.status", handle="tourist")) == newest_first
    assert ids(api(http, cf, "user.status", handle="tourist", **{"from": 1, "count": 2})) == newest_first[:2]
    assert ids(api(http, cf, "user.status", handle="tourist", **{"from": 3, "count": 2})) == newest_first[2:4]
    assert ids(api(http, cf, "user.status", handle="tourist", **{"from": 5, "count": 10})) == newest_first[4:]
    assert ids(api(http, cf, "user.status", handle="tourist", **{"from": 6, "count": 10})) == []
    assert ids(api(http, cf, "user.status", handle="tourist", count=3)) == newest_first[:3]


def test_explicit_ids_sort_by_id_and_auto_ids_continue(cf, http):
    cf.add_submission("tourist", "1843A", submission_id=230_000_000)
    cf.add_submission("tourist", "1843B", submission_id=225_000_000)
    auto = cf.add_submission("tourist", "1843C")["id"]
    assert auto == 230_000_001
    assert ids(api(http, cf, "user.status", handle="tourist")) == [230_000_001, 230_000_000, 225_000_000]
    with pytest.raises(ValueError):
        cf.add_submission("tourist", "1843D", submission_id=225_000_000)


def test_contest_status_and_recent_status(cf, http):
    a = cf.add_submission("alice", "1843A")["id"]
    b = cf.add_submission("bob", "1843B")["id"]
    c = cf.add_submission("alice", "1850A")["id"]
    assert ids(api(http, cf, "contest.status", contestId=1843)) == [b, a]
    assert ids(api(http, cf, "contest.status", contestId=1843, handle="ALICE")) == [a]
    assert ids(api(http, cf, "contest.status", contestId=1843, **{"from": 2, "count": 1})) == [a]
    r = api(http, cf, "contest.status", contestId=999)
    assert r.status_code == 400
    assert r.json() == {"status": "FAILED", "comment": "contestId: Contest with id 999 not found"}
    assert ids(api(http, cf, "problemset.recentStatus", count=2)) == [c, b]
    assert ids(api(http, cf, "problemset.recentStatus", count=1000)) == [c, b, a]
    for bad, comment in [
        (0, "count: Field should be no less than 1"),
        (1001, "count: Field should be no more than 1000"),
    ]:
        r = api(http, cf, "problemset.recentStatus", count=bad)
        assert (r.status_code, r.json()["comment"]) == (400, comment)


# --------------------------------------------------------------------------- FAILED answers


def test_unknown_and_malformed_handles(cf, http):
    cf.add_user("tourist")
    r = api(http, cf, "user.status", handle="NoSuchUser")
    assert r.status_code == 400
    assert r.json() == {"status": "FAILED", "comment": "handle: User with handle NoSuchUser not found"}
    for bad in ("tou rist", "a;b"):
        r = api(http, cf, "user.status", handle=bad)
        assert r.status_code == 400 and r.json() == {"status": "FAILED", "comment": f"handle: {BAD_HANDLE}"}
    r = api(http, cf, "user.status")
    assert r.json()["comment"] == "handle: Field should not be empty"
    r = api(http, cf, "user.status", handle="tourist", **{"from": "x"})
    assert r.status_code == 400 and r.json()["comment"].startswith("from: ")
    r = api(http, cf, "user.info", handles="tourist;ghost42")
    assert r.status_code == 400
    assert r.json() == {"status": "FAILED", "comment": "handles: User with handle ghost42 not found"}
    r = api(http, cf, "no.suchMethod")
    assert r.status_code == 400 and r.json()["status"] == "FAILED"


def test_user_info_order_and_unrated(cf, http):
    cf.add_user("alice", rating=2100)
    cf.add_user("newbie_guy", rating=None)
    users = api(http, cf, "user.info", handles="newbie_guy;Alice").json()["result"]
    assert [u["handle"] for u in users] == ["newbie_guy", "alice"]
    assert "rating" not in users[0] and "rank" not in users[0]
    assert (users[1]["rating"], users[1]["rank"], users[1]["maxRating"]) == (2100, "master", 2100)


def test_add_submission_validation(cf):
    with pytest.raises(ValueError):
        cf.add_submission("tourist", "A1843")
    with pytest.raises(ValueError):
        cf.add_submission("tourist", "1843A", "ACCEPTED")
    with pytest.raises(ValueError):
        cf.add_submission("bad handle", "1843A")
    with pytest.raises(ValueError):
        cf.add_submission("tourist", "1843A", participant_type="SPECTATOR")


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "status", "check"),
    [
        ("http503", 503, lambda r: "503 Service Temporarily Unavailable" in r.text and r.text.startswith("<html>")),
        ("http429", 429, lambda r: r.json() == {"status": "FAILED", "comment": "Call limit exceeded"}),
        ("call_limit", 503, lambda r: r.json() == {"status": "FAILED", "comment": "Call limit exceeded"}),
        ("http500", 500, lambda r: "500 Internal Server Error" in r.text),
        ("garbage", 200, lambda r: r.text == "<html><body>Codeforces is temporarily unavailable"),
    ],
)
def test_http_faults_then_recovery(cf, http, fault, status, check):
    cf.add_user("tourist")
    cf.inject(fault)
    r = api(http, cf, "user.status", handle="tourist")
    assert r.status_code == status and check(r)
    if fault in ("http503", "http500", "garbage"):
        with pytest.raises(json.JSONDecodeError):
            r.json()
    assert api(http, cf, "user.status", handle="tourist").json() == {"status": "OK", "result": []}
    assert [c.fault for c in cf.calls] == [fault, None]
    assert [c.status for c in cf.calls] == [status, 200]


def test_disconnect_fault(cf, http):
    cf.add_user("tourist")
    cf.inject("disconnect")
    with pytest.raises(httpx.RemoteProtocolError):
        api(http, cf, "user.status", handle="tourist")
    assert api(http, cf, "user.status", handle="tourist").status_code == 200
    assert cf.calls[0].status == 0


def test_faults_fifo_times_and_method_filter(cf, http):
    cf.add_user("tourist")
    cf.inject("http503", times=2)
    cf.inject("http429", method="user.info")
    cf.inject("http500")
    seen = [
        api(http, cf, "user.status", handle="tourist").status_code,  # http503 (1/2)
        api(http, cf, "user.status", handle="tourist").status_code,  # http503 (2/2)
        api(http, cf, "user.status", handle="tourist").status_code,  # http429 skipped: not user.info
        api(http, cf, "user.info", handles="tourist").status_code,  # http429
        api(http, cf, "user.info", handles="tourist").status_code,  # normal
    ]
    assert seen == [503, 503, 500, 429, 200]
    cf.inject("http503", times=5)
    cf.clear_faults()
    assert api(http, cf, "user.status", handle="tourist").status_code == 200
    with pytest.raises(ValueError):
        cf.inject("meteor")


def test_timeout_fault_does_not_block_other_requests(cf, http):
    cf.add_user("tourist")
    cf.inject("timeout", method="user.status")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        http.get(f"{cf.base_url}/user.status", params={"handle": "tourist"}, timeout=0.3)
    # the stalled handler is still sleeping (timeout_delay=1 s); others are served at once
    t0 = time.monotonic()
    assert api(http, cf, "user.info", handles="tourist").status_code == 200
    assert time.monotonic() - t0 < 0.3
    assert time.monotonic() - started < 0.9
    assert cf.calls[0].fault == "timeout"


def test_timeout_fault_answers_late_to_a_patient_client(cf, http):
    cf.timeout_delay = 0.4
    cf.add_submission("tourist", "1843A")
    cf.inject("timeout")
    t0 = time.monotonic()
    r = api(http, cf, "user.status", handle="tourist")
    assert r.status_code == 200 and len(r.json()["result"]) == 1
    assert time.monotonic() - t0 >= 0.35


# --------------------------------------------------------------------------- calls log, lifecycle, threads


def test_calls_log(cf, http):
    cf.add_user("tourist")
    before = time.time()
    api(http, cf, "user.status", handle="tourist", **{"from": 1, "count": 5})
    api(http, cf, "user.info", handles="ghost")
    api(http, cf, "user.status", handle="tourist")
    calls = cf.calls
    assert [c.method for c in calls] == ["user.status", "user.info", "user.status"]
    assert calls[0] == Call("user.status", {"handle": "tourist", "from": "1", "count": "5"}, calls[0].at, 200)
    assert calls[1].status == 400
    assert before <= calls[0].at <= calls[1].at <= calls[2].at <= time.time()
    assert [c.params for c in cf.calls_for("user.status")] == [
        {"handle": "tourist", "from": "1", "count": "5"},
        {"handle": "tourist"},
    ]
    http.get(f"{cf.root_url}/_admin/calls")  # admin traffic is not logged
    assert len(cf.calls) == 3
    cf.reset()
    assert cf.calls == []
    assert api(http, cf, "user.status", handle="tourist").status_code == 400  # users forgotten too


def test_stop_and_restart_keep_port_and_state(cf, http):
    cf.add_submission("tourist", "1843A")
    url = cf.base_url
    cf.stop()
    with pytest.raises(httpx.ConnectError):
        http.get(f"{url}/user.status", params={"handle": "tourist"})
    cf.start()
    assert cf.base_url == url
    assert len(api(http, cf, "user.status", handle="tourist").json()["result"]) == 1


def test_concurrent_writers_and_readers(cf):
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(20):
                cf.add_submission(f"user{n}", f"{1800 + i}A")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            with httpx.Client(trust_env=False, timeout=5) as client:
                for _ in range(20):
                    r = client.get(f"{cf.base_url}/problemset.recentStatus", params={"count": 1000})
                    got = [s["id"] for s in r.json()["result"]]
                    assert got == sorted(got, reverse=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)] + [
        threading.Thread(target=reader) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with httpx.Client(trust_env=False) as client:
        got = client.get(f"{cf.base_url}/problemset.recentStatus", params={"count": 1000}).json()["result"]
    assert len({s["id"] for s in got}) == 80


# --------------------------------------------------------------------------- admin endpoints


def test_admin_endpoints(cf, http):
    admin = f"{cf.root_url}/_admin"
    assert http.get(f"{admin}/health").json() == {"ok": True}
    assert http.post(f"{admin}/users", json={"handle": "Alice", "rating": 1900}).status_code == 200
    r = http.post(f"{admin}/submissions", json={"handle": ["alice", "bob"], "problem": "1843A", "verdict": None,
                                                 "participant_type": "CONTESTANT", "team_name": "AB"})  # fmt: skip
    assert r.status_code == 200
    sub = r.json()
    assert "verdict" not in sub and sub["author"]["members"] == [{"handle": "Alice"}, {"handle": "bob"}]

    r = http.post(f"{admin}/verdict", json={"submission_id": sub["id"], "verdict": "OK"})
    assert r.status_code == 200 and r.json()["verdict"] == "OK"
    assert api(http, cf, "user.status", handle="bob").json()["result"][0]["verdict"] == "OK"
    assert http.post(f"{admin}/verdict", json={"submission_id": 1, "verdict": "OK"}).status_code == 404
    assert http.post(f"{admin}/submissions", json={"handle": "x1", "problem": "??"}).status_code == 400
    assert http.post(f"{admin}/submissions", json={"handle": "x1", "problem": "1A", "nope": 1}).status_code == 400

    assert http.post(f"{admin}/faults", json={"fault": "http429", "times": 2, "method": "user.info"}).status_code == 200
    assert http.post(f"{admin}/faults", json={"fault": "bogus"}).status_code == 400
    assert api(http, cf, "user.status", handle="alice").status_code == 200
    assert api(http, cf, "user.info", handles="alice").status_code == 429
    assert http.delete(f"{admin}/faults").status_code == 200
    assert api(http, cf, "user.info", handles="alice").status_code == 200

    calls = http.get(f"{admin}/calls").json()
    assert [(c["method"], c["status"], c["fault"]) for c in calls] == [
        ("user.status", 200, None), ("user.status", 200, None), ("user.info", 429, "http429"), ("user.info", 200, None)
    ]  # fmt: skip
    assert calls[0]["params"] == {"handle": "bob"} and isinstance(calls[0]["at"], float)
    assert len(http.get(f"{admin}/calls", params={"method": "user.info"}).json()) == 2

    assert http.post(f"{admin}/reset").status_code == 200
    assert http.get(f"{admin}/calls").json() == []
    assert api(http, cf, "user.status", handle="alice").status_code == 400
    assert http.get(f"{admin}/nope").status_code == 404


# --------------------------------------------------------------------------- CLI


def test_cli_mode(tmp_path, http):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({
        "users": ["tourist", {"handle": "Petr", "rating": 2900}],
        "submissions": [
            {"handle": "tourist", "problem": "1843A", "verdict": "OK", "created": 1_700_000_000},
            {"handle": "Petr", "problem": "1843B", "verdict": None, "submission_id": 220_000_500},
        ],
    }))  # fmt: skip
    with subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.codeforces", "--port", "0", "--state", str(state), "--timeout-delay", "1"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as proc:  # fmt: skip
        try:
            line: list[str] = []
            reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
            reader.start()
            reader.join(timeout=20)
            assert line and line[0].startswith("READY http://127.0.0.1:"), (line, proc.poll())
            base_url = line[0].split()[1]
            assert base_url.endswith("/api")

            subs = http.get(f"{base_url}/user.status", params={"handle": "TOURIST"}).json()["result"]
            assert [s["creationTimeSeconds"] for s in subs] == [1_700_000_000]
            [petr] = http.get(f"{base_url}/user.info", params={"handles": "petr"}).json()["result"]
            assert petr["rating"] == 2900
            admin = base_url.removesuffix("/api") + "/_admin"
            new = http.post(f"{admin}/submissions", json={"handle": "tourist", "problem": "1850B"}).json()
            assert new["id"] == 220_000_501
            http.post(f"{admin}/faults", json={"fault": "http503"})
            assert http.get(f"{base_url}/user.status", params={"handle": "tourist"}).status_code == 503
            assert len(http.get(f"{admin}/calls").json()) == 3
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
                proc.wait()
        stderr = proc.stderr.read()
    assert proc.returncode == 0, stderr
