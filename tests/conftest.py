"""Shared fixtures: a real PostgreSQL database and a real Redis db of the tests' own, cleaned after.

The servers are those named by DATABASE_URL / REDIS_URL when set (CI points them at the machine's
services); otherwise the embedded ones that `contest-pipelines dev` uses, started under .data/test.
"""

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from contest_pipelines import embedded
from contest_pipelines.db.engine import get_engine
from contest_pipelines.db.migrate import upgrade
from contest_pipelines.db.tables import metadata
from contest_pipelines.embedded import with_path as _with_path
from contest_pipelines.player_sync import intake
from contest_pipelines.settings import get_settings
from tests.fakes.codeforces import FakeCodeforces

ROOT = Path(__file__).resolve().parent.parent
EMBEDDED_DIR = ROOT / ".data" / "test"
TEST_JWT_SECRET = "test-secret-for-hs256-at-least-32-bytes"
REDIS_DB_LOCK = "contest_pipelines:test-db:{}"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return embedded.postgres_server_url(EMBEDDED_DIR)


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    return embedded.redis_server_url(EMBEDDED_DIR)


@pytest.fixture(scope="session")
def database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh database for this test session, migrated to head, dropped at the end."""
    from contest_pipelines.embedded import create_database, drop_database

    name = f"cp_test_{uuid.uuid4().hex[:10]}"
    create_database(pg_server_url, name)
    url = _with_path(pg_server_url, f"/{name}")
    upgrade(url)
    yield url
    get_engine.cache_clear()
    drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def redis_url(redis_server_url: str) -> Iterator[str]:
    """A Redis db number of this session's own (claimed with SET NX in db 0), flushed before and after."""
    admin = redis.Redis.from_url(_with_path(redis_server_url, "/0"))
    for db in range(15, 0, -1):
        if admin.set(REDIS_DB_LOCK.format(db), os.getpid(), nx=True, ex=6 * 3600):
            break
    else:
        pytest.fail("every Redis db 1-15 is claimed by another test session")
    url = _with_path(redis_server_url, f"/{db}")
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()
    admin.delete(REDIS_DB_LOCK.format(db))


@pytest.fixture(scope="session")
def engine(database_url: str) -> sa.Engine:
    return get_engine(database_url)


# Tables whose rows a migration seeds: restored after each truncation.
SEEDED = ("achievements",)


@pytest.fixture(scope="session")
def seeded_rows(engine: sa.Engine) -> dict[str, list[dict]]:
    """Reference data the migrations seed (the achievement catalog), as migrated, before any test runs."""
    with engine.connect() as conn:
        return {name: [dict(r._mapping) for r in conn.execute(sa.select(metadata.tables[name]))] for name in SEEDED}


@pytest.fixture
def db(engine: sa.Engine, redis_client: redis.Redis, seeded_rows: dict[str, list[dict]]) -> Iterator[sa.Engine]:
    """Empty tables (and an empty Redis db) before each test that uses them; seeded reference data as migrated."""
    names = ", ".join(t.name for t in reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for name in SEEDED:  # in dependency order: a tier's gate first
            rows = sorted(seeded_rows[name], key=lambda r: r.get("gated_on") is not None)
            for row in rows:
                conn.execute(metadata.tables[name].insert().values(**row))
    redis_client.flushdb()
    yield engine


@pytest.fixture(scope="session")
def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, decode_responses=True)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str) -> dict[str, str]:
    """The environment the product reads, pointed at the test services."""
    values = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "API_JWT_SECRET": TEST_JWT_SECRET,
        "ADMIN_TOKEN": "test-admin-token",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


# Shared by the integration and end-to-end tests.
@pytest.fixture(scope="session")
def fake_cf_server() -> Iterator[FakeCodeforces]:
    with FakeCodeforces(timeout_delay=2.0) as fake:
        yield fake


@pytest.fixture
def fake_cf(fake_cf_server: FakeCodeforces) -> FakeCodeforces:
    fake_cf_server.reset()
    return fake_cf_server


@pytest.fixture
def enqueue(db: sa.Engine) -> Callable[..., str]:
    """Queue a request the way the API does (handle and team from the database)."""

    def make(user_id: str = "u1", problem_id: str = "1843A", room_id: str = "room-1") -> str:
        with db.begin() as conn:
            ctx = intake.resolve_context(conn, user_id, room_id, problem_id)
            request_id, _, _ = intake.enqueue(conn, ctx)
        return request_id

    return make


@pytest.fixture
def live_api(env) -> Iterator[str]:
    """The API served by uvicorn on a free port in a background thread (real sockets, real concurrency)."""
    import socket
    import threading

    import uvicorn

    from contest_pipelines.api.main import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
