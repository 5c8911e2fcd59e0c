"""The game platform client against the fake MetaCTF over real HTTP: shapes, error mapping, retries, secrecy."""

from __future__ import annotations

import json
import logging
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from contest_pipelines.clients.game_platform import (
    ChallengeSolve,
    FlashCtfEvent,
    FlashCtfProgress,
    GamePlatformClient,
    GamePlatformError,
    OdlScores,
    PlatformTeam,
    PlatformUser,
    TeamAssignment,
    TeamAssignments,
)
from tests.conftest import ROOT
from tests.fakes.game_platform import FakeGamePlatform

REPO_ROOT = ROOT
CLIENT_TIMEOUT = 0.25  # the fake's "timeout" fault holds an answer for TIMEOUT_DELAY > this
TIMEOUT_DELAY = 0.5
ODL = "/scores/get_odl_scores"
FLASH = "/scores/get_flash_ctf_progress"


@pytest.fixture(scope="module")
def gp_server() -> Iterator[FakeGamePlatform]:
    with FakeGamePlatform(timeout_delay=TIMEOUT_DELAY) as fake:
        yield fake


@pytest.fixture
def gp(gp_server: FakeGamePlatform) -> FakeGamePlatform:
    gp_server.reset()
    gp_server.timeout_delay = TIMEOUT_DELAY
    return gp_server


@pytest.fixture
def make_client(gp: FakeGamePlatform) -> Iterator[Callable[..., GamePlatformClient]]:
    clients: list[GamePlatformClient] = []

    def make(base_url: str | None = None, **overrides) -> GamePlatformClient:
        options = {"token": gp.token, "timeout_seconds": CLIENT_TIMEOUT, "backoff_seconds": 0.0} | overrides
        client = GamePlatformClient(base_url or gp.base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> GamePlatformClient:
    return make_client()


def _user(client: GamePlatformClient, uid: str = "u-1", email: str | None = None) -> PlatformUser:
    return client.create_user("Ada", "Lovelace", email or f"{uid}@school.example", "user", uid)


# --------------------------------------------------------------------------- success paths


def test_create_user_and_get_user(gp, client):
    created = _user(client, "u-1")
    assert isinstance(created, PlatformUser)
    assert created.syned_user_id == "u-1"
    assert created.metactf_user_id > 0
    assert created.metactf_username.startswith("alovelace")
    assert created.metactf_user_status == "pending"

    fetched = client.get_user("u-1")  # the fake answers this GET with 201, as the vendor spec declares
    assert fetched == created
    [post] = gp.calls_for("/users", verb="POST")
    assert post.body == {"first_name": "Ada", "last_name": "Lovelace", "email": "u-1@school.example",
                         "role": "user", "syned_user_id": "u-1"}  # fmt: skip
    [get] = gp.calls_for("/users", verb="GET")
    assert get.params == {"syned_user_id": "u-1"} and get.status == 201
    assert client.calls == {"POST /users": 1, "GET /users": 1}
    assert client.api_calls == 2


def test_get_user_404_is_none(gp, client):
    assert client.get_user("nobody") is None
    assert [c.status for c in gp.calls_for("/users")] == [404]


def test_create_team_assign_list_and_delete(gp, client):
    coach = client.create_user("Grace", "Hopper", "coach@school.example", "coach", "coach-1")
    team = client.create_team("t-1", coach.syned_user_id, "Root Access", "high_school", "Lincoln High")
    assert isinstance(team, PlatformTeam)
    assert team.syned_team_id == "t-1" and team.metactf_team_id > 0
    assert gp.team("t-1")["affiliation"] == "Lincoln High"
    client.create_team("t-2", "coach-1", "Null Pointers", "middle_school", "Lincoln Middle")

    _user(client, "u-1")
    _user(client, "u-2")
    assert client.assign_member("t-1", "u-1") is None
    client.assign_member("t-1", "u-2")

    everything = client.get_team_assignments()
    assert isinstance(everything, TeamAssignments)
    assert everything.total_count == 2
    assert everything.assignments == [TeamAssignment(syned_team_id="t-1", syned_user_id="u-1"),
                                      TeamAssignment(syned_team_id="t-1", syned_user_id="u-2")]  # fmt: skip
    assert client.get_team_assignments("t-2") == TeamAssignments(assignments=[], total_count=0)
    assert gp.calls_for("/users/get_team_assignments")[-1].params == {"syned_team_id": "t-2"}
    assert gp.calls_for("/users/get_team_assignments")[0].params == {}

    # A user is on one team: assigning elsewhere moves them.
    client.assign_member("t-2", "u-2")
    assert client.get_team_assignments("t-1").total_count == 1
    assert client.get_team_assignments("t-2").assignments == [TeamAssignment(syned_team_id="t-2", syned_user_id="u-2")]
    client.assign_member("t-1", "u-2")
    # An empty team can be deleted.
    assert client.delete_team("t-2") is None
    assert gp.team("t-2") is None
    assert client.calls["POST /teams/delete"] == 1


def test_odl_scores(gp, client):
    _user(client, "u-1")
    first = gp.add_solve("u-1", points=100, category="web", timestamp_unix=1_700_000_000)
    gp.add_solve("u-1", points=250, category="crypto", timestamp_unix=1_700_000_500, monthly_ctf=True)

    scores = client.get_odl_scores("u-1")
    assert isinstance(scores, OdlScores)
    assert (scores.total_challenges_solved, scores.total_points, scores.monthly_ctf_challenges) == (2, 350, 1)
    assert scores.metactf_user_id == client.get_user("u-1").metactf_user_id
    assert [s.challenge_points for s in scores.challenge_solves] == [100, 250]
    solve = scores.challenge_solves[0]
    assert isinstance(solve, ChallengeSolve)
    assert solve.challenge_solve_id == first["challenge_solve_id"]
    assert (solve.challenge_category, solve.timestamp_unix) == ("web", 1_700_000_000)
    assert solve.challenge_title == first["challenge_title"]


def test_flash_ctf_progress(gp, client):
    _user(client, "u-1")
    gp.add_flash_ctf_event("u-1", "fctf-2025-09", name="September Flash CTF", challenges_solved=4,
                           points_earned=900, rank=12, start_unix=1_757_000_000, end_unix=1_757_007_200)  # fmt: skip
    gp.add_flash_ctf_event("u-1", "fctf-2025-10", challenges_solved=1, points_earned=100, start_unix=1_759_600_000)
    progress = client.get_flash_ctf_progress("u-1")
    assert isinstance(progress, FlashCtfProgress)
    assert progress.syned_user_id == "u-1"
    assert [e.event_id for e in progress.flash_ctfs] == ["fctf-2025-09", "fctf-2025-10"]
    september = progress.flash_ctfs[0]
    assert isinstance(september, FlashCtfEvent)
    assert (september.flash_ctf_name, september.challenges_solved, september.points_earned, september.rank) == (
        "September Flash CTF", 4, 900, 12)  # fmt: skip
    assert (september.flash_ctf_time_start_unix, september.flash_ctf_time_end_unix) == (1_757_000_000, 1_757_007_200)
    assert progress.flash_ctfs[1].rank is None


def test_send_password_reset_email(gp, client):
    _user(client, "u-1", email="ada@school.example")
    assert client.send_password_reset_email("ada@school.example") is None
    assert gp.password_resets == ["ada@school.example"]
    with pytest.raises(GamePlatformError) as err:
        client.send_password_reset_email("ghost@school.example")
    assert err.value.code == "not_found"
    assert "ghost" not in repr(err.value.context)  # e-mail addresses stay out of the context


def test_after_time_unix_filters_odl_solves_but_not_totals(gp, client):
    _user(client, "u-1")
    for t, points in ((1_700_000_000, 100), (1_700_000_100, 200), (1_700_000_200, 300)):
        gp.add_solve("u-1", points=points, timestamp_unix=t)
    scores = client.get_odl_scores("u-1", after_time_unix=1_700_000_100)  # strictly after
    assert [s.timestamp_unix for s in scores.challenge_solves] == [1_700_000_200]
    assert (scores.total_challenges_solved, scores.total_points) == (3, 600)
    assert client.get_odl_scores("u-1", after_time_unix=1_700_000_200).challenge_solves == []
    assert len(client.get_odl_scores("u-1", after_time_unix=0).challenge_solves) == 3
    assert gp.calls_for(ODL)[0].params == {"syned_user_id": "u-1", "after_time_unix": "1700000100"}


def test_after_time_unix_is_ignored_on_flash_ctf(gp, client):
    _user(client, "u-1")
    gp.add_flash_ctf_event("u-1", "old", start_unix=1_600_000_000)
    gp.add_flash_ctf_event("u-1", "new", start_unix=1_800_000_000)
    # The client has no cursor for Flash CTF; the platform ignores one sent anyway.
    raw = httpx.get(f"{gp.base_url}{FLASH}", params={"syned_user_id": "u-1", "after_time_unix": 1_700_000_000},
                    headers={"Authorization": f"Bearer {gp.token}"})  # fmt: skip
    assert [e["event_id"] for e in raw.json()["flash_ctfs"]] == ["old", "new"]
    assert [e.event_id for e in client.get_flash_ctf_progress("u-1").flash_ctfs] == ["old", "new"]


def test_unknown_extra_fields_are_accepted(gp, client):
    created = _user(client, "u-1")
    gp.add_solve("u-1", points=100)
    # The fake adds created_at, metactf_coach_id and difficulty, which the models do not declare.
    raw = httpx.get(f"{gp.base_url}{ODL}", params={"syned_user_id": "u-1"},
                    headers={"Authorization": f"Bearer {gp.token}"}).json()  # fmt: skip
    assert "difficulty" in raw["challenge_solves"][0]
    assert client.get_odl_scores("u-1").challenge_solves[0].challenge_points == 100
    assert not hasattr(client.get_user("u-1"), "created_at")
    assert created.metactf_user_id == client.get_user("u-1").metactf_user_id


def test_unknown_extra_fields_via_transport():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"syned_team_id": "t-9", "metactf_team_id": 5, "brand_new": {"x": [1]},
                                         "metactf_coach_id": 3})  # fmt: skip

    with GamePlatformClient("http://gp.test/v1", "tok", transport=httpx.MockTransport(handler)) as client:
        assert client.create_team("t-9", "c", "n", "d", "a") == PlatformTeam(syned_team_id="t-9", metactf_team_id=5)


# --------------------------------------------------------------------------- error mapping


def test_wrong_token_is_unauthorized(gp, make_client):
    client = make_client(token="wrong-token-123")
    with pytest.raises(GamePlatformError) as err:
        client.get_odl_scores("u-1")
    assert (err.value.status, err.value.code) == (401, "unauthorized")
    assert "Invalid token" in err.value.message
    assert len(gp.calls_for(ODL)) == 1 and not gp.calls_for(ODL)[0].authorized  # not retried


def test_duplicate_user_is_conflict(gp, client):
    _user(client, "u-1")
    with pytest.raises(GamePlatformError) as err:
        _user(client, "u-1", email="other@school.example")
    assert (err.value.status, err.value.code) == (409, "conflict")
    assert "User already exists" in err.value.message
    assert err.value.context == {"method": "POST", "path": "/users",
                                 "params": {"syned_user_id": "u-1", "role": "user"}}  # fmt: skip


def test_duplicate_team_is_conflict(gp, client):
    gp.add_user("coach-1", role="coach")
    client.create_team("t-1", "coach-1", "A", "high_school", "X")
    with pytest.raises(GamePlatformError) as err:
        client.create_team("t-1", "coach-1", "A again", "high_school", "X")
    assert (err.value.status, err.value.code) == (409, "conflict")


def test_delete_team_with_members_is_bad_request(gp, client):
    gp.add_team("t-1", "coach-1")
    _user(client, "u-1")
    client.assign_member("t-1", "u-1")
    with pytest.raises(GamePlatformError) as err:
        client.delete_team("t-1")
    assert (err.value.status, err.value.code) == (400, "bad_request")
    assert "Team has members" in err.value.message
    assert err.value.context["params"] == {"syned_team_id": "t-1"}
    assert gp.team("t-1") is not None
    assert len(gp.calls_for("/teams/delete")) == 1  # a 400 is not retried


def test_delete_unknown_team_is_not_found(gp, client):
    with pytest.raises(GamePlatformError) as err:
        client.delete_team("t-404")
    assert (err.value.status, err.value.code) == (404, "not_found")
    assert "Team not found" in str(err.value)


def test_not_found_on_other_endpoints_raises(gp, client):
    with pytest.raises(GamePlatformError) as err:
        client.get_odl_scores("nobody")
    assert (err.value.status, err.value.code) == (404, "not_found")
    with pytest.raises(GamePlatformError) as err:
        client.assign_member("t-404", "nobody")
    assert err.value.code == "not_found"


def test_validation_error_is_bad_request(gp, client):
    with pytest.raises(GamePlatformError) as err:
        client.create_user("Ada", "Lovelace", "not-an-email", "user", "u-1")
    assert (err.value.status, err.value.code) == (422, "bad_request")
    assert "body.email" in err.value.message


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [("http400", 400, "bad_request"), ("http404", 404, "not_found")],
)
def test_4xx_faults_are_typed_and_not_retried(gp, client, fault, status, code):
    _user(client, "u-1")
    gp.inject(fault, times=3, path=ODL)
    with pytest.raises(GamePlatformError) as err:
        client.get_odl_scores("u-1")
    assert (err.value.status, err.value.code) == (status, code)
    assert len(gp.calls_for(ODL)) == 1
    assert client.calls["GET /scores/get_odl_scores"] == 1


def test_http404_fault_on_get_user_is_none(gp, client):
    _user(client, "u-1")
    gp.inject("http404", path="/users")
    assert client.get_user("u-1") is None
    assert client.get_user("u-1") is not None


@pytest.mark.parametrize("fault", ["http500", "http503"])
def test_two_5xx_then_success(gp, client, fault):
    _user(client, "u-1")
    gp.add_solve("u-1", points=50)
    gp.inject(fault, times=2, path=ODL)
    scores = client.get_odl_scores("u-1")
    assert scores.total_points == 50
    assert [c.status for c in gp.calls_for(ODL)] == [int(fault[-3:])] * 2 + [200]
    assert client.calls["GET /scores/get_odl_scores"] == 3


@pytest.mark.parametrize("fault", ["http500", "http503"])
def test_three_5xx_is_server_error_after_three_calls(gp, client, fault):
    _user(client, "u-1")
    gp.inject(fault, times=3, path=ODL)
    with pytest.raises(GamePlatformError) as err:
        client.get_odl_scores("u-1")
    assert (err.value.status, err.value.code) == (int(fault[-3:]), "server_error")
    assert err.value.context["attempts"] == 3
    assert len(gp.calls_for(ODL)) == 3
    assert client.calls["GET /scores/get_odl_scores"] == 3


def test_max_attempts_is_configurable(gp, make_client):
    client = make_client(max_attempts=5)
    gp.add_user("u-1")
    gp.inject("http500", times=4)
    assert client.get_user("u-1") is not None
    assert len(gp.calls_for("/users")) == 5


def test_backoff_is_exponential(gp, make_client, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", slept.append)
    client = make_client(backoff_seconds=0.5)
    gp.add_user("u-1")
    gp.inject("http503", times=3)
    with pytest.raises(GamePlatformError):
        client.get_user("u-1")
    assert slept == [0.5, 1.0]


def test_timeout_is_retried_then_succeeds(gp, client):
    _user(client, "u-1")
    gp.inject("timeout", times=1, path=ODL)
    assert client.get_odl_scores("u-1").total_points == 0
    assert len(gp.calls_for(ODL)) == 2


def test_timeout_every_time_is_typed_error(gp, client):
    _user(client, "u-1")
    gp.inject("timeout", times=3, path=ODL)
    with pytest.raises(GamePlatformError) as err:
        client.get_odl_scores("u-1")
    assert (err.value.status, err.value.code) == (None, "timeout")
    assert err.value.context["attempts"] == 3
    assert isinstance(err.value.__cause__, httpx.TimeoutException)
    assert len(gp.calls_for(ODL)) == 3


def test_timed_out_create_may_have_been_applied(gp, client):
    # The platform applied the POST but the answer was lost: the retry meets a conflict.
    gp.inject("timeout", times=1, path="/users")
    with pytest.raises(GamePlatformError) as err:
        _user(client, "u-1")
    assert err.value.code == "conflict"
    assert client.get_user("u-1") is not None


def test_connection_refused_is_retried_then_typed(make_client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(GamePlatformError) as err:
        client.get_user("u-1")
    assert (err.value.status, err.value.code) == (None, "connection_error")
    assert client.calls["GET /users"] == 3


def test_malformed_body_is_invalid_response_naming_the_field(gp, client):
    _user(client, "u-1")
    gp.inject("malformed", path=ODL)
    with pytest.raises(GamePlatformError) as err:
        client.get_odl_scores("u-1")
    assert (err.value.status, err.value.code) == (200, "invalid_response")
    assert "total_points" in err.value.message
    assert "valid integer" in err.value.message
    assert err.value.context["fields"] == ["total_points"]
    assert len(gp.calls_for(ODL)) == 1  # a bad body is not retried


@pytest.mark.parametrize(
    ("path", "call", "field"),
    [
        ("/users", lambda c: c.get_user("u-1"), "metactf_user_id"),
        ("/users/get_team_assignments", lambda c: c.get_team_assignments(), "total_count"),
        (FLASH, lambda c: c.get_flash_ctf_progress("u-1"), "flash_ctfs"),
        ("/teams", lambda c: c.create_team("t-1", "u-1", "n", "high_school", "a"), "metactf_team_id"),
    ],
)
def test_malformed_on_each_read(gp, client, path, call, field):
    gp.add_user("u-1")
    gp.inject("malformed", path=path)
    with pytest.raises(GamePlatformError) as err:
        call(client)
    assert err.value.code == "invalid_response"
    assert field in err.value.message


def test_wrong_type_in_a_nested_item_names_the_path():
    def handler(request: httpx.Request) -> httpx.Response:
        solve = {"challenge_solve_id": 1, "challenge_id": 2, "challenge_title": "t", "challenge_category": "web",
                 "challenge_points": "lots", "timestamp_unix": 1}  # fmt: skip
        return httpx.Response(200, json={"syned_user_id": "u", "metactf_user_id": 1, "total_challenges_solved": 1,
                                         "total_points": 1, "challenge_solves": [solve]})  # fmt: skip

    with GamePlatformClient("http://gp.test", "tok", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(GamePlatformError) as err:
            client.get_odl_scores("u")
    assert "challenge_solves.0.challenge_points" in err.value.message


def test_garbage_body_is_invalid_response(gp, client):
    gp.add_user("u-1")
    gp.inject("garbage", path=FLASH)
    with pytest.raises(GamePlatformError) as err:
        client.get_flash_ctf_progress("u-1")
    assert (err.value.status, err.value.code) == (200, "invalid_response")
    assert "Invalid JSON" in err.value.message
    assert len(gp.calls_for(FLASH)) == 1


def test_faults_are_fifo_and_per_path(gp, client):
    gp.add_user("u-1")
    gp.inject("http500", path=FLASH)
    gp.inject("http400")  # any path
    with pytest.raises(GamePlatformError) as err:
        client.get_user("u-1")  # the FLASH-only fault is skipped, the any-path one served
    assert err.value.code == "bad_request"
    assert client.get_flash_ctf_progress("u-1").flash_ctfs == []  # 500 then success
    assert [c.status for c in gp.calls_for(FLASH)] == [500, 200]
    assert gp.pending_faults == []


def test_error_is_picklable_and_readable(gp, client):
    with pytest.raises(GamePlatformError) as err:
        client.delete_team("t-404")
    copy = pickle.loads(pickle.dumps(err.value))
    assert (copy.status, copy.code, copy.message, copy.context) == (
        err.value.status, err.value.code, err.value.message, err.value.context)  # fmt: skip
    assert str(err.value) == "not_found (HTTP 404, POST /teams/delete): HTTP 404: Team not found"


# --------------------------------------------------------------------------- secrecy


def test_token_never_leaks(gp, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "contest_pipelines.clients.game_platform"):
        caplog.set_level(logging.DEBUG, logger=name)
    client = make_client()
    errors: list[GamePlatformError] = []

    def expect_error(fn: Callable[[], object]) -> None:
        with pytest.raises(GamePlatformError) as err:
            fn()
        errors.append(err.value)

    _user(client, "u-1")
    client.get_user("u-1")
    gp.inject("http500", times=3)
    expect_error(lambda: client.get_odl_scores("u-1"))
    gp.inject("timeout", times=3)
    expect_error(lambda: client.get_flash_ctf_progress("u-1"))
    gp.inject("malformed")
    expect_error(lambda: client.get_odl_scores("u-1"))
    gp.inject("garbage")
    expect_error(lambda: client.get_team_assignments())
    expect_error(lambda: _user(client, "u-1"))
    wrong = make_client(token=gp.token[::-1])
    expect_error(lambda: wrong.get_user("u-1"))

    token = gp.token
    assert len(errors) == 6
    for error in errors:
        for text in (str(error), repr(error), repr(error.context), repr(error.__cause__)):
            assert token not in text
    assert token not in repr(client) and "***" in repr(client)
    assert any(r.name.startswith("httpx") for r in caplog.records)  # httpx's own logger was captured
    assert any(r.levelno == logging.WARNING and r.name.endswith("game_platform") for r in caplog.records)
    assert token not in caplog.text
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in repr(record.args)


def test_token_echoed_by_the_server_is_redacted(caplog):
    caplog.set_level(logging.DEBUG)
    token = "s3cr3t-token-value"

    def handler(request: httpx.Request) -> httpx.Response:
        echoed = request.headers["Authorization"]
        if request.url.path.endswith("/teams/delete"):
            return httpx.Response(400, json={"detail": f"bad header {echoed}"})
        return httpx.Response(200, text=f"<html>debug: {echoed}</html>")

    with GamePlatformClient("http://gp.test", token, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(GamePlatformError) as first:
            client.delete_team("t-1")
        with pytest.raises(GamePlatformError) as second:
            client.get_user("u-1")
    assert "Bearer ***" in first.value.message
    for error in (first.value, second.value):
        assert token not in str(error) and token not in repr(error)
    assert token not in caplog.text


def test_client_requires_a_token():
    with pytest.raises(ValueError):
        GamePlatformClient("http://gp.test", "")


# --------------------------------------------------------------------------- the fake itself


def test_concurrent_calls_are_counted(gp, client):
    def work(n: int) -> None:
        for i in range(10):
            _user(client, f"u-{n}-{i}")
            client.get_user(f"u-{n}-{i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client.calls == {"POST /users": 80, "GET /users": 80}
    assert gp.call_counts == client.calls
    assert len({c.body["syned_user_id"] for c in gp.calls_for("/users", verb="POST")}) == 80


def test_fake_cli_and_admin_endpoints():
    token = "cli-token-abc"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.game_platform", "--port", "0", "--token", token, "--timeout-delay", "0.3"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() is not None else "")
        base_url = line.split(" ", 1)[1]
        assert base_url.endswith("/integrations/syned/v1")
        root = base_url[: -len("/integrations/syned/v1")]
        with httpx.Client(base_url=root, timeout=5) as admin, GamePlatformClient(
            base_url, token, timeout_seconds=0.2, backoff_seconds=0
        ) as client:  # fmt: skip
            assert admin.get("/_admin/health").json()["ok"] is True
            admin.post("/_admin/users", json={"syned_user_id": "u-1"}).raise_for_status()
            solve = admin.post("/_admin/solves", json={"syned_user_id": "u-1", "points": 75, "category": "osint",
                                                       "timestamp_unix": 1_700_000_000}).json()  # fmt: skip
            assert solve["challenge_points"] == 75
            admin.post("/_admin/flash_ctfs", json={"syned_user_id": "u-1", "event_id": "e1"}).raise_for_status()
            admin.post("/_admin/faults", json={"fault": "http503", "times": 1, "path": ODL}).raise_for_status()
            assert client.get_odl_scores("u-1").total_points == 75
            assert len(client.get_flash_ctf_progress("u-1").flash_ctfs) == 1
            calls = admin.get("/_admin/calls", params={"path": ODL}).json()
            assert [c["status"] for c in calls] == [503, 200] and calls[0]["fault"] == "http503"
            assert admin.post("/_admin/faults", json={"fault": "nope"}).status_code == 400
            admin.post("/_admin/reset").raise_for_status()
            assert admin.get("/_admin/calls").json() == []
            assert client.get_user("u-1") is None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_fake_rejects_missing_token_and_unknown_routes(gp):
    r = httpx.get(f"{gp.base_url}/users", params={"syned_user_id": "x"})
    assert r.status_code == 401 and r.json() == {"detail": "Invalid token"}
    headers = {"Authorization": f"Bearer {gp.token}"}
    assert httpx.get(f"{gp.base_url}/nope", headers=headers).status_code == 404
    assert httpx.get(f"{gp.base_url}/teams", headers=headers).status_code == 405
    missing = httpx.get(f"{gp.base_url}/users", headers=headers)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["query", "syned_user_id"]
    empty = httpx.post(f"{gp.base_url}/teams", headers=headers, json={})
    assert empty.status_code == 422 and json.loads(empty.text)["detail"][0]["type"] == "missing"
