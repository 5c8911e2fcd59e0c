"""Fixtures for the sync pipeline: the fake judge, a client, a worker and a request factory."""

import logging
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
import sqlalchemy as sa

from contest_pipelines.clients.codeforces import CodeforcesClient
from contest_pipelines.player_sync.worker import Policy, SyncWorker
from tests.fakes.codeforces import FakeCodeforces

FAST_POLICY = Policy(retry_base_seconds=0.0, max_attempts=4, recheck_seconds=0.0, deadline_seconds=600.0)


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


def new_run_id() -> str:
    return str(uuid.uuid4())


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


@pytest.fixture(scope="session")
def fake_judges_server():
    from tests.fakes.judges import FakeJudges

    with FakeJudges(timeout_delay=1.0) as fake:
        yield fake


@pytest.fixture
def fake_judges(fake_judges_server):
    """The seven judges' contest lists on one local server, back to its default contests for each test."""
    fake_judges_server.reset()
    fake_judges_server.timeout_delay = 1.0
    return fake_judges_server


@pytest.fixture(scope="session")
def fake_google_server():
    from tests.fakes.google_calendar import FakeGoogle

    with FakeGoogle(timeout_delay=1.0) as fake:
        yield fake


@pytest.fixture
def fake_google(fake_google_server):
    """Google's token endpoint and Calendar API on one local server: empty, Google's quotas, for each test."""
    fake_google_server.reset()
    fake_google_server.timeout_delay = 1.0
    fake_google_server.user_limit, fake_google_server.project_limit = 600, 10_000
    fake_google_server.window_seconds = 60.0
    return fake_google_server
