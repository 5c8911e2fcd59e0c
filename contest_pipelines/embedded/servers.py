"""Which PostgreSQL / Redis server to use: the one DATABASE_URL / REDIS_URL names when set, else the embedded one.

Tests and benchmarks make databases (Redis db numbers) of their own, so they want the *server* URL, with no
database path: ``postgresql://postgres@127.0.0.1:PORT``, ``redis://127.0.0.1:PORT``; ``with_path`` adds one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from contest_pipelines.embedded.postgres import ensure_postgres
from contest_pipelines.embedded.redis_server import ensure_redis


@dataclass(frozen=True)
class Server:
    url: str  # no path: postgresql://postgres@127.0.0.1:PORT or redis://127.0.0.1:PORT
    source: str  # "DATABASE_URL" / "REDIS_URL", or f"embedded {data_dir}"


def with_path(url: str, path: str) -> str:
    """``url`` with its path replaced by ``path`` (``""`` for none, else starting with ``/``)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _server(env_var: str, ensure: Callable[[Path], str], data_dir: Path) -> Server:
    if os.environ.get(env_var):
        return Server(with_path(os.environ[env_var], ""), env_var)
    return Server(with_path(ensure(data_dir), ""), f"embedded {data_dir}")


def postgres_server(data_dir: Path) -> Server:
    """The PostgreSQL server of DATABASE_URL when set, else the embedded one started (or reused) under ``data_dir``."""
    return _server("DATABASE_URL", ensure_postgres, data_dir)


def redis_server(data_dir: Path) -> Server:
    """The Redis server of REDIS_URL when set, else the embedded one started (or reused) under ``data_dir``."""
    return _server("REDIS_URL", ensure_redis, data_dir)


def postgres_server_url(data_dir: Path) -> str:
    return postgres_server(data_dir).url


def redis_server_url(data_dir: Path) -> str:
    return redis_server(data_dir).url
