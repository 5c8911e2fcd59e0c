"""The `contest-pipelines` command: migrate, load, token, api, dev, stop, and operator helpers."""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from contest_pipelines.settings import Settings, dagster_storage_url

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
log = logging.getLogger("contest_pipelines")

# Where `dev` keeps the embedded PostgreSQL and Redis, and where the other commands look for them.
DATA_DIR = Path(".data")
SERVICES = {"DATABASE_URL": "PostgreSQL", "REDIS_URL": "Redis"}
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, kill, the terminal closing
STOP_GRACE_SECONDS = 5.0  # after Ctrl-C, what is still running is killed


def _settings() -> Settings:
    return Settings()


def _database_url() -> str:
    url = _service_url("DATABASE_URL")
    if url is None:
        _missing("DATABASE_URL")
    return url


def _redis_url(required: bool = True) -> str | None:
    url = _service_url("REDIS_URL")
    if url is None and required:
        _missing("REDIS_URL")
    return url


def _service_url(env_var: str) -> str | None:
    """DATABASE_URL / REDIS_URL when set; else the embedded server `dev` left running under .data, said on stderr.

    Only the CLI falls back: Settings and the library take what they are given.
    """
    settings = _settings()
    configured = settings.database_url if env_var == "DATABASE_URL" else settings.redis_url
    if configured:
        return configured
    from contest_pipelines.embedded import running_postgres, running_redis

    server = (running_postgres if env_var == "DATABASE_URL" else running_redis)(DATA_DIR)
    if server is None:
        return None
    typer.echo(f"{env_var} is unset: using the embedded {server.name} under {DATA_DIR}/ ({server.url})", err=True)
    return server.url


def _missing(env_var: str) -> NoReturn:
    typer.echo(
        f"{env_var} is not set and no embedded {SERVICES[env_var]} runs under {DATA_DIR}/ here: "
        f"run `make dev` (or `contest-pipelines dev`) from this directory in another shell, or set {env_var}",
        err=True,
    )
    raise typer.Exit(2)


@app.command()
def migrate() -> None:
    """Apply the Alembic migrations to DATABASE_URL."""
    from contest_pipelines.db.migrate import upgrade

    upgrade(_database_url())
    typer.echo("migrated to head")


@app.command()
def load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="fixture JSON (docs/fixtures.md)")],
) -> None:
    """Upsert players, teams, rooms, problems and members from a fixture file."""
    from pydantic import ValidationError

    from contest_pipelines.db.engine import get_engine
    from contest_pipelines.db.fixtures import Fixture, load_fixture

    try:
        fixture = Fixture.model_validate_json(file.read_text())
    except ValidationError as exc:
        typer.echo(f"{file}: not a valid fixture:\n{exc}", err=True)
        raise typer.Exit(2) from exc
    with get_engine(_database_url()).begin() as conn:
        counts = load_fixture(conn, fixture)
    typer.echo(json.dumps({"changed": counts}))


@app.command()
def token(user_id: str, admin: Annotated[bool, typer.Option("--admin", help="grant the admin routes")] = False) -> None:
    """Print a JWT for USER_ID signed with API_JWT_SECRET."""
    from contest_pipelines.api.auth import issue_token

    typer.echo(issue_token(_settings().api_jwt_secret.get_secret_value(), user_id, admin=admin))


@app.command()
def api(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the players' HTTP API (one process per worker; state lives in PostgreSQL and Redis)."""
    import uvicorn

    for env_var in SERVICES:  # the app reads its settings from the environment
        url = _service_url(env_var)
        if url:
            os.environ[env_var] = url

    uvicorn.run(
        "contest_pipelines.api.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
    )


@app.command("replay-dead")
def replay_dead(
    request_id: Annotated[list[str] | None, typer.Argument(help="ids; all dead requests if none")] = None,
) -> None:
    """Put dead sync requests back on the queue with their attempts reset."""
    from contest_pipelines.db.engine import get_engine
    from contest_pipelines.player_sync import queue as sync_queue

    with get_engine(_database_url()).begin() as conn:
        count = sync_queue.replay_dead(conn, request_id or None)
    typer.echo(f"replayed {count} dead sync requests")


@app.command()
def settle(room_id: str) -> None:
    """Settle a room now (the same code as the settlement_ledger asset) and project its boards."""
    import redis as redis_lib

    from contest_pipelines.db.engine import get_engine
    from contest_pipelines.settlement.projection import settle_and_project
    from contest_pipelines.settlement.result import RoomNotSettleable

    redis_url = _redis_url()
    try:
        settled = settle_and_project(
            get_engine(_database_url()), redis_lib.Redis.from_url(redis_url, decode_responses=True), room_id
        )
    except RoomNotSettleable as exc:
        typer.echo(f"not settled: {exc}", err=True)
        raise typer.Exit(2) from exc
    o = settled.outcome
    typer.echo(
        json.dumps(
            {
                "room": room_id,
                "status": o.status,
                "version": o.version,
                "members": o.members,
                "changed": len(o.deltas),
                "dbMs": round(o.db_ms, 1),
                "redisMs": round(settled.redis_ms, 1),
            }
        )
    )


achievements_app = typer.Typer(no_args_is_help=True, help="Achievement processors (docs/achievements.md).")
app.add_typer(achievements_app, name="achievements")


@achievements_app.command("rebuild")
def achievements_rebuild(
    achievement_id: Annotated[list[str] | None, typer.Argument(help="catalog ids; every processor if none")] = None,
    announce: Annotated[
        bool, typer.Option(help="publish achievement.completed for awards the rebuild completes")
    ] = True,
) -> None:
    """Re-derive achievements from their sources from the beginning (completed awards stay: sticky)."""
    from contest_pipelines.achievements.processors import PROCESSORS, reconcile_all

    unknown = sorted(set(achievement_id or []) - set(PROCESSORS))
    if unknown:
        typer.echo(f"unknown achievement {', '.join(unknown)}; known: {', '.join(PROCESSORS)}", err=True)
        raise typer.Exit(2)
    reports = reconcile_all(_engine(), _announcer() if announce else None, only=achievement_id or None, rebuild=True)
    failed = False
    for report in reports:
        if isinstance(report, Exception):
            failed = True
            typer.echo(json.dumps({"error": f"{type(report).__name__}: {report}"}), err=True)
        else:
            typer.echo(json.dumps({"achievement": report.processor, **report.as_metadata()}))
    if failed:
        raise typer.Exit(1)


@achievements_app.command("deactivate")
def achievements_deactivate(achievement_id: str) -> None:
    """Stop awarding one achievement (its processor is skipped; awards already given stay)."""
    _set_active(achievement_id, False)


@achievements_app.command("activate")
def achievements_activate(achievement_id: str) -> None:
    """Award it again; its next tick catches up from its checkpoint."""
    _set_active(achievement_id, True)


def _set_active(achievement_id: str, active: bool) -> None:
    from contest_pipelines.db.tables import achievements

    with _engine().begin() as conn:
        found = conn.execute(
            achievements.update().where(achievements.c.id == achievement_id).values(active=active)
        ).rowcount
    if not found:
        typer.echo(f"unknown achievement {achievement_id}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps({"achievement": achievement_id, "active": active}))


def _engine():
    from contest_pipelines.db.engine import get_engine

    return get_engine(_database_url())


def _announcer():
    """Publishes on the players' event streams when Redis is configured; otherwise announces nothing."""
    redis_url = _redis_url(required=False)
    if not redis_url:
        return None
    import redis as redis_lib

    from contest_pipelines import events

    return events.publish_to(redis_lib.Redis.from_url(redis_url, decode_responses=True))


@app.command()
def onboard(user_id: str, coach: Annotated[str | None, typer.Option(help="the coach asking")] = None) -> None:
    """Ask for USER_ID to be added to the game platform (onboarding_job processes it within seconds)."""
    from contest_pipelines.db.engine import get_engine
    from contest_pipelines.game_platform.onboarding import UnknownPlayer, request_onboarding

    try:
        with get_engine(_database_url()).begin() as conn:
            request_id = request_onboarding(conn, user_id, coach)
    except UnknownPlayer as exc:
        typer.echo(f"not requested: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps({"onboardingRequest": request_id, "userId": user_id}))


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="embedded services' data")] = DATA_DIR,
    dagster_port: Annotated[int, typer.Option(min=1, max=65535, help="port of the Dagster UI")] = 3000,
    api_port: Annotated[int, typer.Option(min=1, max=65535, help="port of the API")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="also start local stand-ins for Codeforces, the game platform and the match provider, seeded with "
            "demo data, and load demo/fixture.json (from a checkout only; README, Demo)",
        ),
    ] = False,
) -> None:
    """Everything on one machine: embedded services if needed, migrations, Dagster UI + daemon, API."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ports = {"Dagster": (dagster_port, "--dagster-port"), "the API": (api_port, "--api-port")}
    _check_ports(ports)  # before anything starts: a busy port fails now, not as one line in the children's output
    demo_root = _demo_checkout() if demo else None
    env = prepare_environment(data_dir)
    # The API launches each accepted sync's run through this webserver at once (the push path).
    env.setdefault("DAGSTER_WEBSERVER_URL", f"http://127.0.0.1:{dagster_port}")
    from contest_pipelines.db.migrate import upgrade

    upgrade(env["DATABASE_URL"])
    # A flag, not KeyboardInterrupt: the signal must not land as an exception in the middle of _stop.
    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: stopping.append(signum)) for sig in SIGNALS}
    # The children's temporary files (Dagster's code-server socket among them) go to a directory of this run,
    # removed at the end whatever a killed child left behind.
    env["TMPDIR"] = scratch = tempfile.mkdtemp(prefix="contest-pipelines-dev-")
    children: dict[str, subprocess.Popen] = {}
    failed = False
    try:
        ready_note = None  # the "demo ready" block
        if demo_root is not None and not stopping:
            ready_note = _start_demo(demo_root, env, children, stopping, dagster_port, api_port)
            failed = ready_note is None
        if not stopping and not failed:
            dagster = [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-p", str(dagster_port)]
            children["Dagster"] = _spawn(dagster, env)
            api = ["contest_pipelines.api.main:create_app", "--factory", "--port", str(api_port)]
            children["the API"] = _spawn([sys.executable, "-m", "uvicorn", *api], env)
            typer.echo(f"starting: Dagster UI http://127.0.0.1:{dagster_port}  API http://127.0.0.1:{api_port}")
            failed = _supervise(children, {name: port for name, (port, _) in ports.items()}, stopping, ready_note)
    finally:
        signals_before_stop = len(stopping)
        _stop(children, hurry=lambda: len(stopping) > signals_before_stop)
        shutil.rmtree(scratch, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise typer.Exit(1)


@app.command()
def stop(data_dir: Annotated[Path, typer.Option(help="embedded services' data")] = DATA_DIR) -> None:
    """Stop the embedded PostgreSQL and Redis that `dev` started under DATA_DIR (they outlive it; data stays)."""
    from contest_pipelines.embedded import stop_services

    stopped = stop_services(data_dir)
    if not stopped:
        typer.echo(f"no embedded PostgreSQL or Redis runs under {data_dir}/: nothing to stop")
    for server in stopped:
        typer.echo(f"stopped the embedded {server.name} under {data_dir}/ (pid {server.pid}, port {server.port})")


def prepare_environment(data_dir: Path) -> dict[str, str]:
    """The environment `dev` runs with: embedded PostgreSQL/Redis when DATABASE_URL/REDIS_URL are unset."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL") or not env.get("REDIS_URL"):
        from contest_pipelines.embedded import ensure_services, pg_system_user

        account_before = pg_system_user()
        services = ensure_services(data_dir.resolve())
        env.setdefault("DATABASE_URL", services.database_url)
        env.setdefault("REDIS_URL", services.redis_url)
        env.setdefault("DAGSTER_POSTGRES_URL", services.dagster_postgres_url)
        typer.echo(f"embedded services under {data_dir}/ (they keep running after Ctrl-C; `contest-pipelines stop`):")
        for key in ("DATABASE_URL", "REDIS_URL", "DAGSTER_POSTGRES_URL"):
            typer.echo(f"  export {key}={env[key]}")
        if data_dir.resolve() == DATA_DIR.resolve():
            typer.echo("  (the CLI finds them by itself when run from this directory with these unset)")
        account = pg_system_user()
        if account is not None:  # PostgreSQL refuses to run as root
            done = "created the system user" if account != account_before else "the system user"
            typer.echo(f"running as root: {done} {account} runs the embedded PostgreSQL (README, Try it)")
    if env.get("DAGSTER_POSTGRES_URL"):
        env["DAGSTER_POSTGRES_URL"] = dagster_storage_url(env["DAGSTER_POSTGRES_URL"])
    env.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve()))
    from contest_pipelines.instance import write_instance_yaml

    write_instance_yaml(Path(env["DAGSTER_HOME"]), use_postgres=bool(env.get("DAGSTER_POSTGRES_URL")))
    return env


def _check_ports(ports: dict[str, tuple[int, str]]) -> None:
    """Exit with one clear line if a port `dev` needs is taken (or both listeners were given the same one)."""
    from contest_pipelines.embedded import port_is_free

    seen: dict[int, str] = {}
    for name, (port, option) in ports.items():
        if port in seen:
            problem = f"{seen[port]} and {name} cannot share port {port}: choose"
        elif not port_is_free(port):
            problem = (
                f"port {port} is already in use on 127.0.0.1, so {name} cannot listen on it. "
                "Stop what holds it (another `contest-pipelines dev`?) or choose"
            )
        else:
            seen[port] = name
            continue
        typer.echo(
            f"dev: {problem} another port: contest-pipelines dev {option} PORT (make dev DEV_ARGS='{option} PORT')",
            err=True,
        )
        raise typer.Exit(1)


def _supervise(
    children: dict[str, subprocess.Popen],
    ports: dict[str, int],
    stopping: list[int],
    ready_note: str | None = None,
) -> bool:
    """Say when every child listens (and ``ready_note`` after it), then wait for Ctrl-C; True (after saying which)
    if a child exits by itself."""
    from contest_pipelines.embedded import port_answers

    ready = False
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                when = "while starting" if not ready else "unexpectedly"
                typer.echo(
                    f"dev: {name} exited {when} with code {child.returncode} (its output is above); stopping the rest",
                    err=True,
                )
                return True
        if not ready and all(port_answers(port, timeout=0.5) for port in ports.values()):
            ready = True
            typer.echo("ready (Ctrl-C stops Dagster and the API; `contest-pipelines stop` stops the embedded services)")
            if ready_note:
                typer.echo(ready_note)
        time.sleep(0.2)
    return False


def _demo_checkout() -> Path:
    """The checkout `dev --demo` takes its stand-ins and data from; exits at once, saying why, if there is none."""
    from contest_pipelines.demo import DemoUnavailable, checkout

    try:
        return checkout()
    except DemoUnavailable as exc:
        typer.echo(f"dev: {exc}", err=True)
        raise typer.Exit(2) from exc


def _start_demo(
    root: Path,
    env: dict[str, str],
    children: dict[str, subprocess.Popen],
    stopping: list[int],
    dagster_port: int,
    api_port: int,
) -> str | None:
    """Start the demo's stand-ins (as ``children``), point ``env`` at them and load the demo fixture; the "demo ready"
    block to print once everything listens, or None (after saying why) if a stand-in failed."""
    from contest_pipelines import demo

    try:
        stand_ins = demo.start_stand_ins(root, env, children, lambda: bool(stopping))
    except demo.DemoUnavailable as exc:
        typer.echo(f"dev: {exc}; stopping the rest", err=True)
        return None
    env.update(stand_ins)  # the demo's stand-ins win over any real service configured
    if stopping:
        return ""
    counts = demo.load_demo_fixture(root, env["DATABASE_URL"])
    typer.echo(f"demo: stand-ins listening, {root / 'demo' / demo.FIXTURE} loaded ({json.dumps({'changed': counts})})")
    return demo.ready_block(
        f"http://127.0.0.1:{dagster_port}",
        f"http://127.0.0.1:{api_port}",
        stand_ins,
        _settings().api_jwt_secret.get_secret_value(),
    )


def _spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def _stop(
    children: dict[str, subprocess.Popen],
    grace_seconds: float = STOP_GRACE_SECONDS,
    hurry: Callable[[], bool] = lambda: False,
) -> None:
    """Interrupt every child's process group at once, wait for all of them together, and SIGKILL the groups after
    ``grace_seconds`` (or as soon as ``hurry()``, a second Ctrl-C).

    Dagster's own shutdown closes its webserver, daemon and code server one after the other (seconds, and up to a
    minute for the code server); a dev session loses nothing by killing the rest: run monitoring fails a run killed
    mid-way and sync_run_failure_sensor returns its requests to the queue.
    """
    started = time.monotonic()
    for child in children.values():
        _signal_group(child, signal.SIGINT)
    deadline = started + grace_seconds
    while any(c.poll() is None for c in children.values()) and time.monotonic() < deadline and not hurry():
        time.sleep(0.05)
    killed = [name for name, child in children.items() if child.poll() is None]
    for child in children.values():
        _signal_group(child, signal.SIGKILL)  # stragglers, and what each left in its group (code servers, run workers)
        child.wait()
    if children:
        note = f"; killed {' and '.join(killed)} after {grace_seconds:g}s" if killed else ""
        typer.echo(f"dev: stopped in {time.monotonic() - started:.1f}s{note}", err=True)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    app()
