"""Demo mode of `contest-pipelines dev --demo`: local stand-ins for the three external services, and demo data.

The stand-ins are the tests' fakes, run as `python -m tests.fakes.<name>` from the checkout (product code never
imports tests/), so demo mode works only from a checkout. Each loads its data from demo/<name>.json with the fakes'
own `--state` option; demo/fixture.json is the `load` fixture (docs/fixtures.md) that goes with it.
"""

import selectors
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIXTURE = "fixture.json"
READY_SECONDS = 30.0  # a fake answers in well under a second; an interpreter start on a busy machine takes longer
GAME_PLATFORM_TOKEN = "demo-game-platform-token"  # the stand-in's bearer token: any value does, both ends agree

# What demo/fixture.json and the stand-ins' data hold, named here for the "demo ready" block.
PLAYER, HANDLE = "alice", "alice_cf"
ROOM, PROBLEM = "demo-room", "1843A"  # alice_cf's accepted submission at the Codeforces stand-in
PREDICTION_ROOM, TOURNAMENT = "demo-final", "demo-cup"  # the match ended 2:1 at the match provider stand-in


@dataclass(frozen=True)
class StandIn:
    name: str  # as `dev` names its children
    module: str
    url_env: str
    options: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        return f"{self.module.rsplit('.', 1)[-1]}.json"


STAND_INS = (
    StandIn("the Codeforces stand-in", "tests.fakes.codeforces", "CODEFORCES_API_URL"),
    StandIn(
        "the game platform stand-in",
        "tests.fakes.game_platform",
        "GAME_PLATFORM_API_URL",
        ("--token", GAME_PLATFORM_TOKEN),
    ),
    StandIn("the match provider stand-in", "tests.fakes.match_provider", "MATCH_PROVIDER_URL"),
)


class DemoUnavailable(Exception):
    """Demo mode cannot start (not a checkout, or a stand-in did not come up); the message says why."""


def checkout() -> Path:
    """The checkout this package runs from, holding demo/ and tests/fakes/; DemoUnavailable otherwise."""
    root = Path(__file__).resolve().parent.parent
    needed = [Path("demo") / FIXTURE]
    for stand_in in STAND_INS:
        needed += [Path("demo") / stand_in.state, Path(*stand_in.module.split(".")).with_suffix(".py")]
    missing = [str(path) for path in needed if not (root / path).is_file()]
    if missing:
        raise DemoUnavailable(
            f"demo mode runs from a checkout of contest_pipelines (it starts the tests' fakes as stand-ins); "
            f"{root} lacks {', '.join(missing)}"
        )
    return root


def start_stand_ins(
    root: Path, env: dict[str, str], children: dict[str, subprocess.Popen], stopping: Callable[[], bool]
) -> dict[str, str]:
    """Start every stand-in in its own process group (added to ``children`` at once, so whoever stops ``children``
    stops them too), wait until each listens, and return the settings that point the product at them.

    Returns what is ready so far if ``stopping()`` turns true; DemoUnavailable if a stand-in exits or stays silent.
    """
    for stand_in in STAND_INS:
        command = [sys.executable, "-m", stand_in.module, "--port", "0", "--state", str(root / "demo" / stand_in.state)]
        children[stand_in.name] = subprocess.Popen(
            [*command, *stand_in.options], cwd=root, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
    settings = {"GAME_PLATFORM_API_TOKEN": GAME_PLATFORM_TOKEN}
    deadline = time.monotonic() + READY_SECONDS
    for stand_in in STAND_INS:
        url = _ready_url(stand_in.name, children[stand_in.name], deadline, stopping)
        if url is None:
            return settings
        settings[stand_in.url_env] = url
    return settings


def _ready_url(name: str, child: subprocess.Popen, deadline: float, stopping: Callable[[], bool]) -> str | None:
    """The base URL from the child's `READY <url>` line (None if stopping first); its stdout is closed after."""
    assert child.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while not stopping():
            if time.monotonic() > deadline:
                raise DemoUnavailable(f"{name} did not say READY within {READY_SECONDS:g}s")
            if not selector.select(timeout=0.2):
                continue
            line = child.stdout.readline()
            if line.startswith("READY "):
                child.stdout.close()  # nothing else comes on it
                return line.split(maxsplit=1)[1].strip()
            if not line:  # end of output: it exited
                raise DemoUnavailable(
                    f"{name} exited with code {child.wait()} before it was ready (its output is above)"
                )
    return None


def load_demo_fixture(root: Path, database_url: str) -> dict[str, int]:
    """Upsert demo/fixture.json (loading it again changes nothing); the changed rows by kind."""
    from contest_pipelines.db.engine import get_engine
    from contest_pipelines.db.fixtures import Fixture, load_fixture

    fixture = Fixture.model_validate_json((root / "demo" / FIXTURE).read_text())
    with get_engine(database_url).begin() as conn:
        return load_fixture(conn, fixture)


def ready_block(ui_url: str, api_url: str, stand_ins: dict[str, str], jwt_secret: str) -> str:
    """What `dev --demo` prints once everything listens: where things are, a player's token, and what to try."""
    from contest_pipelines.api.auth import issue_token

    urls = "  ".join(
        f"{s.name.removeprefix('the ').removesuffix(' stand-in')} {stand_ins[s.url_env]}" for s in STAND_INS
    )
    auth = '-H "Authorization: Bearer $TOKEN"'
    body = f'{{"roomId":"{ROOM}","problemId":"{PROBLEM}"}}'
    return "\n".join(
        [
            f"demo ready: Dagster UI {ui_url}  API {api_url}  (the walk-through: README, Demo)",
            f"  stand-ins: {urls}",
            f"  in another shell, as {PLAYER} (Codeforces handle {HANDLE}, accepted on {PROBLEM} at the stand-in):",
            f"    export TOKEN={issue_token(jwt_secret, PLAYER)}",
            f"    curl -N {auth} {api_url}/api/events &",
            f"    curl -X POST {auth} -H 'Content-Type: application/json' -d '{body}' {api_url}/api/contests/sync",
            f"  the match of {PREDICTION_ROOM} ended 2:1 at the provider: the sensors settle it within about a minute",
            f"    curl {api_url}/api/scoreboards/tournament/{TOURNAMENT}",
            f"  a CTF solve of {PLAYER} waits at the game platform: {ui_url}/assets/challenge_solves, Materialize…, "
            "Latest, Launch 1 run (or wait for game_platform_sync_schedule at :00 or :30); a minute later",
            f"    curl {auth} {api_url}/api/achievements/first_ctf_solve",
        ]
    )
