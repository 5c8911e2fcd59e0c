"""Scoreboard and settlement routes over HTTP."""

import pytest
from fastapi.testclient import TestClient

from contest_pipelines.api.main import create_app
from contest_pipelines.settlement.projection import settle_and_project
from tests.factories import load, prediction_fixture, set_match_result

ADMIN = {"Authorization": "Bearer test-admin-token"}
GUESSES = {"p1": {"ann": (2, 1), "bob": (1, 0), "cat": (0, 2), "dan": (2, 1)}}


@pytest.fixture
def client(env, db, redis_client) -> TestClient:
    load(db, prediction_fixture(rooms=GUESSES))
    set_match_result(db, "p1", 2, 1)
    settle_and_project(db, redis_client, "p1")
    return TestClient(create_app())


def test_tournament_board_rows(client):
    body = client.get("/api/scoreboards/tournament/t1").json()
    assert (body["ranking"], body["total"], body["source"]) == ("competition", 4, "redis")
    assert [(r["rank"], r["userId"], r["points"]) for r in body["rows"]] == [
        (1, "ann", 3),
        (2, "dan", 3),
        (3, "bob", 1),
        (4, "cat", 0),
    ]
    assert body["rows"][0]["lastScoredAt"] is not None and body["rows"][3]["lastScoredAt"] is None


def test_room_board_paging_and_around(client):
    page = client.get("/api/rooms/p1/scoreboard", params={"limit": 2, "offset": 2}).json()
    assert [(r["rank"], r["userId"]) for r in page["rows"]] == [(3, "bob"), (4, "cat")]
    around = client.get("/api/rooms/p1/scoreboard", params={"limit": 3, "around": "bob"}).json()
    assert [r["userId"] for r in around["rows"]] == ["dan", "bob", "cat"] and around["offset"] == 1


def test_unknown_boards_and_bad_params(client):
    assert client.get("/api/scoreboards/league/nope").status_code == 404
    assert client.get("/api/scoreboards/galaxy/x").status_code == 422
    assert client.get("/api/rooms/p1/scoreboard", params={"limit": 0}).status_code == 422
    assert client.get("/api/rooms/p1/scoreboard", params={"around": "stranger"}).status_code == 404


def test_admin_settlements_and_rebuild(client, redis_client):
    assert client.get("/api/admin/settlements/p1").status_code == 401
    body = client.get("/api/admin/settlements/p1", headers=ADMIN).json()
    assert body["consistent"] is True and [s["status"] for s in body["settlements"]] == ["applied"]

    redis_client.delete("board:league:l1")
    rebuilt = client.post("/api/admin/scoreboards/league/l1/rebuild", headers=ADMIN)
    assert rebuilt.status_code == 202 and rebuilt.json()["members"] == 4
    assert redis_client.zcard("board:league:l1") == 4
    assert client.get("/api/admin/settlements/nope", headers=ADMIN).status_code == 404


def test_room_team_board_sums_members(env, db, redis_client):
    from datetime import UTC, datetime

    from contest_pipelines.db.tables import detections
    from tests.factories import room_fixture

    load(
        db,
        room_fixture(
            room_id="c1", players={"a": "ha", "b": "hb", "c": "hc"}, team_of={"a": "red", "b": "red", "c": "blue"}
        ),
    )
    now = int(datetime.now(UTC).timestamp())
    with db.begin() as conn:
        conn.execute(
            detections.insert(),
            [
                {
                    "room_id": "c1",
                    "user_id": "a",
                    "problem_id": "1843A",
                    "cf_submission_id": 1,
                    "cf_timestamp": now - 60,
                    "points_awarded": 100,
                },
                {
                    "room_id": "c1",
                    "user_id": "b",
                    "problem_id": "1843A",
                    "cf_submission_id": 2,
                    "cf_timestamp": now - 30,
                    "points_awarded": 100,
                },
                {
                    "room_id": "c1",
                    "user_id": "c",
                    "problem_id": "1843B",
                    "cf_submission_id": 3,
                    "cf_timestamp": now - 90,
                    "points_awarded": 200,
                },
            ],
        )
    body = TestClient(create_app()).get("/api/rooms/c1/scoreboard", params={"by": "team"}).json()
    # Equal points: blue scored its last point earlier.
    assert [(r["rank"], r["teamId"], r["points"]) for r in body["rows"]] == [(1, "blue", 200), (2, "red", 200)]
    around = TestClient(create_app()).get("/api/rooms/c1/scoreboard", params={"by": "team", "around": "c", "limit": 1})
    assert [r["teamId"] for r in around.json()["rows"]] == ["blue"] and around.json()["offset"] == 0
    stranger = TestClient(create_app()).get("/api/rooms/c1/scoreboard", params={"by": "team", "around": "zed"})
    assert stranger.status_code == 404
    players = TestClient(create_app()).get("/api/rooms/c1/scoreboard").json()["rows"]
    assert {r["userId"]: r["teamId"] for r in players} == {"a": "red", "b": "red", "c": "blue"}


def app_with_cache(monkeypatch, seconds: str):
    from contest_pipelines.settings import get_settings

    monkeypatch.setenv("BOARD_CACHE_SECONDS", seconds)
    get_settings.cache_clear()
    return create_app()


def test_a_page_is_rendered_once_per_cache_period_and_a_rebuild_forgets_it(client, monkeypatch, db, redis_client):
    with TestClient(app_with_cache(monkeypatch, "60")) as cached:  # one event loop for every request
        first = cached.get("/api/scoreboards/tournament/t1")
        before = first.content
        assert first.headers["cache-control"] == "public, max-age=60"
        set_match_result(db, "p1", 1, 0)  # a correction: bob now leads
        settle_and_project(db, redis_client, "p1")
        assert cached.get("/api/scoreboards/tournament/t1").content == before  # still the cached page
        assert (
            cached.get("/api/scoreboards/tournament/t1", params={"limit": 99}).json()["rows"][0]["userId"] == "bob"
        )  # another page

        assert cached.post("/api/admin/scoreboards/tournament/t1/rebuild", headers=ADMIN).status_code == 202
        assert cached.get("/api/scoreboards/tournament/t1").json()["rows"][0]["userId"] == "bob"


def test_without_the_cache_every_request_reads_the_board(client, monkeypatch, db, redis_client):
    with TestClient(app_with_cache(monkeypatch, "0")) as uncached:
        assert uncached.get("/api/scoreboards/tournament/t1").headers["cache-control"] == "no-cache"
        set_match_result(db, "p1", 1, 0)
        settle_and_project(db, redis_client, "p1")
        assert uncached.get("/api/scoreboards/tournament/t1").json()["rows"][0]["userId"] == "bob"


def test_concurrent_misses_of_one_page_render_it_once(client, monkeypatch):
    import asyncio

    import httpx

    from contest_pipelines import scoreboards

    app = app_with_cache(monkeypatch, "60")
    reads = []
    real_read = scoreboards.read
    monkeypatch.setattr(scoreboards, "read", lambda *a, **kw: reads.append(a[2:]) or real_read(*a, **kw))

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
            return await asyncio.gather(*(http.get("/api/scoreboards/league/l1") for _ in range(50)))

    responses = asyncio.run(burst())
    assert {r.status_code for r in responses} == {200} and len({r.content for r in responses}) == 1
    assert reads == [("league", "l1")]


def test_board_routes_take_their_engine_and_redis_through_dependencies(client):
    """`app.dependency_overrides` reaches the page renderer: a Redis that cannot answer sends the page to PostgreSQL."""
    import redis

    from contest_pipelines.api.deps import redis_client

    app = client.app
    app.dependency_overrides[redis_client] = lambda: redis.Redis(port=1, socket_connect_timeout=0.2)
    try:
        body = TestClient(app).get("/api/scoreboards/tournament/t1").json()
    finally:
        app.dependency_overrides.clear()
    assert body["source"] == "postgres" and [r["userId"] for r in body["rows"]] == ["ann", "dan", "bob", "cat"]


def test_a_cache_hit_is_answered_before_routing_and_keeps_its_headers(client, monkeypatch, db):
    from contest_pipelines import scoreboards

    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://play.example.org")
    app = app_with_cache(monkeypatch, "60")
    reads = []
    real_read = scoreboards.read
    monkeypatch.setattr(scoreboards, "read", lambda *a, **kw: reads.append(a[2:]) or real_read(*a, **kw))
    with TestClient(app) as cached:
        origin = {"Origin": "https://play.example.org"}
        first = cached.get("/api/rooms/p1/scoreboard", params={"limit": 10}, headers=origin)
        app.dependency_overrides[db_engine_dependency()] = lambda: (_ for _ in ()).throw(AssertionError("routed"))
        hit = cached.get("/api/rooms/p1/scoreboard", params={"limit": 10}, headers=origin)
        app.dependency_overrides.clear()
    assert hit.content == first.content and len(reads) == 1  # no dependency resolved, no render
    for response in (first, hit):
        assert "x-board-rendered-at" not in response.headers  # the private stamp never leaves the process
        assert response.headers["cache-control"] == "public, max-age=60"
        assert response.headers["access-control-allow-origin"] == "https://play.example.org"
        assert response.headers["content-type"] == "application/json"


def test_the_private_stamp_never_leaves_without_the_cache(client, monkeypatch):
    with TestClient(app_with_cache(monkeypatch, "0")) as uncached:
        assert "x-board-rendered-at" not in uncached.get("/api/rooms/p1/scoreboard").headers


def db_engine_dependency():
    from contest_pipelines.api.deps import db_engine

    return db_engine
