"""Fixtures for the sync pipeline: the fake judge, a client, a worker and a request factory."""

import logging
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
import sqlalchemy as sa

from contest_pipelines.clients.codeforces import CodeforcesClient
from contest_pipelines.player_sync import queue as sync_queue
from contest_pipelines.player_sync.worker import Policy, SyncWorker
from tests.fakes.codeforces import FakeCodeforces

FAST_POLICY = Policy(retry_base_seconds=0.0, max_attempts=4, recheck_seconds=0.0, deadline_seconds=600.0)


@pytest.fixture(scope="session")
def fake_cf_server() -> Iterator[FakeCodeforces]:
    with FakeCodeforces(timeout_delay=2.0) as fake:
        yield fake


@pytest.fixture
def fake_cf(fake_cf_server: FakeCodeforces) -> FakeCodeforces:
    fake_cf_server.reset()
    return fake_cf_server


@pytest.fixture
def make_client(fake_cf: FakeCodeforces, redis_url: str) -> Iterator[Callable[..., CodeforcesClient]]:
    clients: list[CodeforcesClient] = []

    def make(**overrides) -> CodeforcesClient:
        options = {"min_interval_seconds": 0.01, "circuit_seconds": 1, "timeout_seconds": 0.5} | overrides
        client = CodeforcesClient(fake_cf.base_url, redis_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def make_worker(db: sa.Engine, redis_client: redis.Redis, make_client) -> Callable[..., SyncWorker]:
    def make(policy: Policy = FAST_POLICY, **client_options) -> SyncWorker:
        return SyncWorker(db, redis_client, make_client(**client_options), policy, logging.getLogger("test.worker"))

    return make


@pytest.fixture
def enqueue(db: sa.Engine) -> Callable[..., str]:
    """Queue a request the way the API does (handle and team from the database)."""

    def make(user_id: str = "u1", problem_id: str = "1843A", room_id: str = "room-1") -> str:
        with db.begin() as conn:
            ctx = sync_queue.resolve_context(conn, user_id, room_id, problem_id)
            request_id, _, _ = sync_queue.enqueue(conn, ctx)
        return request_id

    return make


def new_run_id() -> str:
    return str(uuid.uuid4())


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


@pytest.fixture(scope="session")
def platform_server():
    from tests.fakes.game_platform import FakeGamePlatform

    with FakeGamePlatform(timeout_delay=1.0) as fake:
        yield fake


@pytest.fixture
def platform(platform_server):
    """The fake CTF game platform, emptied for each test."""
    platform_server.reset()
    return platform_server
