"""The `contest-pipelines` command: migrate, load, token, api, dev, and operator helpers."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from contest_pipelines.settings import Settings, dagster_storage_url

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
log = logging.getLogger("contest_pipelines")


def _settings() -> Settings:
    return Settings()


def _database_url() -> str:
    url = _settings().database_url
    if not url:
        raise typer.BadParameter(
            "DATABASE_URL is not set (or use `contest-pipelines dev`, which starts an embedded one)"
        )
    return url


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

    redis_url = _settings().redis_url
    if not redis_url:
        raise typer.BadParameter("REDIS_URL is not set")
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
    redis_url = _settings().redis_url
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
    data_dir: Annotated[Path, typer.Option(help="embedded services' data")] = Path(".data"),
    dagster_port: int = 3000,
    api_port: int = 8000,
) -> None:
    """Everything on one machine: embedded services if needed, migrations, Dagster UI + daemon, API."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    env = prepare_environment(data_dir)
    # The API launches each accepted sync's run through this webserver at once (the push path).
    env.setdefault("DAGSTER_WEBSERVER_URL", f"http://127.0.0.1:{dagster_port}")
    from contest_pipelines.db.migrate import upgrade

    upgrade(env["DATABASE_URL"])
    processes = [
        _spawn([sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-p", str(dagster_port)], env),
        _spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "contest_pipelines.api.main:create_app",
                "--factory",
                "--port",
                str(api_port),
            ],
            env,
        ),
    ]
    typer.echo(f"Dagster UI http://127.0.0.1:{dagster_port}  API http://127.0.0.1:{api_port}  (Ctrl-C stops all)")
    # A flag, not KeyboardInterrupt: the signal must not land as an exception in the middle of _stop.
    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: stopping.append(signum))
    try:
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
    finally:
        _stop(processes)


def prepare_environment(data_dir: Path) -> dict[str, str]:
    """The environment `dev` runs with: embedded PostgreSQL/Redis when DATABASE_URL/REDIS_URL are unset."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL") or not env.get("REDIS_URL"):
        from contest_pipelines.embedded import ensure_services

        services = ensure_services(data_dir.resolve())
        env.setdefault("DATABASE_URL", services.database_url)
        env.setdefault("REDIS_URL", services.redis_url)
        env.setdefault("DAGSTER_POSTGRES_URL", services.dagster_postgres_url)
        # Embedded URLs carry no password; print them so a second shell can use the CLI.
        typer.echo(f"embedded services under {data_dir}:")
        for key in ("DATABASE_URL", "REDIS_URL", "DAGSTER_POSTGRES_URL"):
            typer.echo(f"  export {key}={env[key]}")
    if env.get("DAGSTER_POSTGRES_URL"):
        env["DAGSTER_POSTGRES_URL"] = dagster_storage_url(env["DAGSTER_POSTGRES_URL"])
    env.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve()))
    from contest_pipelines.instance import write_instance_yaml

    write_instance_yaml(Path(env["DAGSTER_HOME"]), use_postgres=bool(env.get("DAGSTER_POSTGRES_URL")))
    return env


def _spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def _stop(processes: list[subprocess.Popen], grace_seconds: float = 20.0) -> None:
    """Signal each process group (Dagster's shutdown otherwise waits up to 60 s for its code server)."""
    for p in processes:
        _signal_group(p, signal.SIGINT)
    deadline = time.monotonic() + grace_seconds
    for p in processes:
        try:
            p.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _signal_group(p, signal.SIGKILL)
            p.wait()
        _signal_group(p, signal.SIGKILL)  # whatever the child left behind in its group (code servers)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    app()
