"""Process, port and lock helpers shared by the embedded PostgreSQL and Redis daemons."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib.util
import logging
import os
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
START_ATTEMPTS = 4


@dataclass(frozen=True)
class RunningServer:
    """An embedded server found alive under a data dir (read from its own pid file; nothing is started)."""

    name: str  # "PostgreSQL" | "Redis"
    pid: int
    port: int
    url: str  # what the product is pointed at: postgresql://.../contest_pipelines, redis://.../0


def wheel_file(package: str, relative: str) -> Path | None:
    """``relative`` inside the installed ``package`` if it is a file, located without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(next(iter(spec.submodule_search_locations))) / relative
    return candidate if candidate.is_file() else None


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by children (PEP 446)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def process_alive(pid: int, name: str, home: Path | None = None) -> bool:
    """True if ``pid`` is a live (not zombie) process named ``name`` whose working directory is ``home``.

    Both daemons chdir into their data directory, so ``home`` tells our server from a pid recycled (e.g. after a
    reboot) by the machine's own postgres/redis-server, which must never be reused or signalled.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user (e.g. PostgreSQL's system user)
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():
        return True  # no procfs (macOS): trust kill(0)
    try:
        comm = (proc / "comm").read_text().strip()
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        cwd = os.readlink(proc / "cwd") if home is not None else None
    except (OSError, IndexError):  # includes EACCES on another user's cwd: not a process of ours
        return False
    if state in ("Z", "X") or comm != name[:15]:  # comm is truncated to 15 chars
        return False
    return home is None or cwd == str(home)


def terminate(pid: int, name: str, home: Path, sig: signal.Signals, timeout: float = STOP_TIMEOUT_S) -> None:
    """Send ``sig`` to our daemon ``pid``, wait for it to go, SIGKILL it after ``timeout``."""
    for current in (sig, signal.SIGKILL):
        if not process_alive(pid, name, home):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, current)
        deadline = time.monotonic() + (timeout if current is sig else 5.0)
        while time.monotonic() < deadline:
            if not process_alive(pid, name, home):
                return
            time.sleep(0.05)
    logger.error("process %d (%s) survived SIGKILL", pid, name)


def port_is_free(port: int) -> bool:
    """True if nothing listens on ``HOST:port`` (a server of ours could bind it now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR like the servers themselves: TIME_WAIT leftovers must not count as "taken".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def choose_port(port_file: Path) -> int:
    """The port recorded in ``port_file`` if still free, else a new free one (recorded)."""
    recorded = read_int(port_file)
    if recorded is not None and port_is_free(recorded):
        return recorded
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port = int(sock.getsockname()[1])
    if recorded is not None:
        logger.warning("port %d recorded in %s is taken; using %d", recorded, port_file, port)
    tmp = port_file.with_suffix(".port.tmp")
    tmp.write_text(f"{port}\n")
    tmp.replace(port_file)
    return port


def port_answers(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not port_answers(port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
