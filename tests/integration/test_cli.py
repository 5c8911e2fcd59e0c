"""The CLI: load (idempotent, refuses bad files whole), token, migrate, replay-dead; how `dev` stops its children."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import jwt
import sqlalchemy as sa
from typer.testing import CliRunner

from contest_pipelines.cli import app
from contest_pipelines.db.tables import players, room_members, room_problems, rooms, sync_requests
from tests.conftest import TEST_JWT_SECRET
from tests.factories import room_fixture

runner = CliRunner()


def counts(db):
    with db.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (players, rooms, room_problems, room_members)
        }


def test_load_twice_changes_nothing(env, db, tmp_path):
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps(room_fixture(players={"u1": "tourist", "u2": "petr"}, team_of={"u1": "t1"})))

    first = runner.invoke(app, ["load", str(fixture)])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["changed"]["players"] == 2
    before = counts(db)
    second = runner.invoke(app, ["load", str(fixture)])
    assert second.exit_code == 0
    assert set(json.loads(second.output)["changed"].values()) == {0}
    assert counts(db) == before == {"players": 2, "rooms": 1, "room_problems": 2, "room_members": 2}


def test_load_updates_changed_rows(env, db, tmp_path):
    fixture = tmp_path / "fixture.json"
    data = room_fixture()
    fixture.write_text(json.dumps(data))
    runner.invoke(app, ["load", str(fixture)])
    data["players"][0]["cfHandle"] = "tourist2"
    fixture.write_text(json.dumps(data))

    result = runner.invoke(app, ["load", str(fixture)])
    assert json.loads(result.output)["changed"]["players"] == 1
    with db.connect() as conn:
        assert conn.execute(sa.select(players.c.cf_handle)).scalar_one() == "tourist2"


def test_a_bad_fixture_is_refused_whole_with_the_reason(env, db, tmp_path):
    data = room_fixture()
    data["rooms"][0]["problems"].append(
        {"problemId": "not-a-problem", "points": 5, "revealedAt": "2026-01-01T00:00:00Z"}
    )
    fixture = tmp_path / "bad.json"
    fixture.write_text(json.dumps(data))

    result = runner.invoke(app, ["load", str(fixture)])
    assert result.exit_code == 2
    assert "not a Codeforces contest id" in result.output
    assert counts(db) == {"players": 0, "rooms": 0, "room_problems": 0, "room_members": 0}


def test_token_is_a_jwt_for_the_user(env):
    result = runner.invoke(app, ["token", "alice", "--admin"])
    claims = jwt.decode(result.output.strip(), TEST_JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice" and claims["admin"] is True


def test_migrate_is_idempotent(env):
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["migrate"]).output.strip() == "migrated to head"


def test_replay_dead_requeues_dead_requests(env, db, enqueue):
    from tests.factories import load

    load(db, room_fixture())
    request_id = enqueue()
    with db.begin() as conn:
        conn.execute(sync_requests.update().values(status="dead", attempts=4))

    result = runner.invoke(app, ["replay-dead"])
    assert result.output.strip() == "replayed 1 dead sync requests"
    with db.connect() as conn:
        assert conn.execute(
            sa.select(sync_requests.c.status, sync_requests.c.attempts).where(sync_requests.c.id == request_id)
        ).one() == ("queued", 0)


def test_load_handles_rooms_larger_than_one_statement(env, db, tmp_path):
    members = {f"u{i}": f"h{i}" for i in range(12_000)}  # 3 columns each: over the 65,535-parameter limit
    fixture = tmp_path / "big.json"
    fixture.write_text(json.dumps(room_fixture(players=members)))
    result = runner.invoke(app, ["load", str(fixture)])
    assert result.exit_code == 0, result.output
    assert counts(db)["room_members"] == 12_000


def test_settle_command(env, db, redis_client):
    from tests.factories import load, prediction_fixture, set_match_result

    load(db, prediction_fixture(rooms={"p1": {"ann": (1, 0)}}))
    assert runner.invoke(app, ["settle", "p1"]).exit_code == 2  # no final score yet
    set_match_result(db, "p1", 1, 0)
    first = json.loads(runner.invoke(app, ["settle", "p1"]).output)
    assert (first["status"], first["version"], first["members"]) == ("applied", 1, 1)
    assert json.loads(runner.invoke(app, ["settle", "p1"]).output)["status"] == "skipped"


def test_onboard_command_records_a_request(env, db):
    from contest_pipelines.db.tables import onboarding_requests
    from tests.factories import load

    load(db, {"players": [{"userId": "ann", "status": "compliance"}]})
    result = runner.invoke(app, ["onboard", "ann", "--coach", "c9"])
    assert result.exit_code == 0 and json.loads(result.output)["userId"] == "ann"
    with db.connect() as conn:
        assert conn.execute(
            sa.select(onboarding_requests.c.user_id, onboarding_requests.c.coach_id, onboarding_requests.c.status)
        ).one() == ("ann", "c9", "pending")
    unknown = runner.invoke(app, ["onboard", "ghost"])
    assert unknown.exit_code == 2 and "no player 'ghost'" in unknown.output


STUBBORN = (  # ignores SIGINT, and so does the child it leaves in its process group (like a code server)
    "import signal, subprocess, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "child = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
    "signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)']); print(child.pid, flush=True); time.sleep(60)"
)


def _gone(pid: int) -> bool:
    """Dead or a zombie (an orphan is re-parented to pid 1, which may not reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _all_gone(pids: list[int], within: float = 5.0) -> bool:
    """A SIGKILLed process takes a moment to die: wait for it (on a loaded box, up to a few seconds)."""
    deadline = time.monotonic() + within
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return all(_gone(pid) for pid in pids)


def _start(code: str) -> tuple[subprocess.Popen, list[int]]:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    return process, [process.pid, int(process.stdout.readline())]


def test_stop_waits_for_every_child_at_once_then_kills_their_groups():
    from contest_pipelines.cli import _stop

    started = [_start(STUBBORN) for _ in range(2)]
    children = {f"stubborn {i}": process for i, (process, _) in enumerate(started)}
    began = time.monotonic()
    _stop(children, grace_seconds=1.0)
    elapsed = time.monotonic() - began
    assert 1.0 <= elapsed < 1.8  # one grace for all, not one each
    for process, pids in started:
        process.stdout.close()
        assert process.returncode == -signal.SIGKILL
        assert _all_gone(pids)


def test_stop_does_not_wait_for_the_grace_when_children_stop_on_ctrl_c():
    from contest_pipelines.cli import _stop

    polite = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    time.sleep(0.5)  # past the interpreter's start-up, so SIGINT lands as KeyboardInterrupt
    began = time.monotonic()
    _stop({"polite": polite}, grace_seconds=30.0)
    assert time.monotonic() - began < 5.0
    assert polite.returncode == -signal.SIGINT  # ended by its KeyboardInterrupt, not killed


def test_a_second_ctrl_c_kills_at_once():
    from contest_pipelines.cli import _stop

    process, pids = _start(STUBBORN)
    began = time.monotonic()
    _stop({"stubborn": process}, grace_seconds=30.0, hurry=lambda: time.monotonic() - began > 0.3)
    assert time.monotonic() - began < 3.0
    process.stdout.close()
    assert _all_gone(pids)
