"""A run launcher whose run worker has already imported Dagster and the code location when the run arrives.

Dagster's DefaultRunLauncher asks the code server to start each run, and the code server spawns a fresh
interpreter that spends ~2 s importing Dagster and the definitions before the run's first step: that is most
of a pushed sync's latency (docs/decisions.md). This launcher keeps one run worker spawned ahead of need:
`python -m contest_pipelines.run_launcher <modules>` imports the modules and then blocks on its stdin. A
launch hands the waiting worker the run (the same serialized `ExecuteRunArgs` that `dagster api execute_run`
takes, which the worker then runs through that very command) and spawns the next one. A worker that died,
or was spawned before the code changed on disk, is replaced by a fresh one for that launch, so a run
never executes stale code.

Dagster runs the launcher in the daemon (queued runs); the webserver's copy only terminates runs. A run
worker records its pid as a run tag, so termination and run monitoring work from any process: terminate
marks the run canceling and interrupts the worker (Dagster's interrupt handling ends the run as canceled),
and the health check reports a worker that is gone, so run monitoring fails its run.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, RunLauncher, WorkerStatus
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import ConfigurableClass, ConfigurableClassData, serialize_value

PID_TAG = "contest_pipelines/run_worker_pid"
DEFAULT_PRELOAD = ("contest_pipelines.definitions",)
DEFAULT_SPARE_DELAY = 1.5
PACKAGE_DIR = Path(__file__).resolve().parent


def code_fingerprint(root: Path = PACKAGE_DIR) -> int:
    """The newest modification time among the package's sources: a worker spawned before it is stale."""
    return max((p.stat().st_mtime_ns for p in root.rglob("*.py")), default=0)


class _Worker:
    """One spawned interpreter, importing the preload modules, then waiting for a run on its stdin."""

    def __init__(self, executable: str, preload: Sequence[str]):
        self.fingerprint = code_fingerprint()
        self.process = subprocess.Popen(
            [executable, "-m", "contest_pipelines.run_launcher", *preload],
            stdin=subprocess.PIPE,
            text=True,
        )

    def usable(self) -> bool:
        return self.process.poll() is None and self.fingerprint == code_fingerprint()

    def start(self, payload: str) -> int:
        """Hands the run over; the worker reads it as soon as its imports are done."""
        assert self.process.stdin is not None
        self.process.stdin.write(payload + "\n")
        self.process.stdin.close()
        return self.process.pid

    def retire(self) -> None:
        """An idle worker exits when its stdin closes."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()


class WarmRunLauncher(RunLauncher, ConfigurableClass):
    """Launches each run in a pre-spawned run worker on this machine (dagster.yaml: `run_launcher`)."""

    def __init__(
        self,
        inst_data: ConfigurableClassData | None = None,
        preload_modules: Sequence[str] = (),
        spare_delay_seconds: float = DEFAULT_SPARE_DELAY,
    ):
        self._inst_data = inst_data
        self._preload = tuple(preload_modules) or DEFAULT_PRELOAD
        self._spare_delay = spare_delay_seconds
        self._lock = threading.Lock()
        self._idle: _Worker | None = None
        self._spare_timer: threading.Timer | None = None
        self._executable = sys.executable
        self._running: dict[str, subprocess.Popen] = {}
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict:
        return {
            "preload_modules": dg.Field([str], is_required=False, default_value=list(DEFAULT_PRELOAD)),
            "spare_delay_seconds": dg.Field(float, is_required=False, default_value=DEFAULT_SPARE_DELAY),
        }

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]) -> WarmRunLauncher:
        return cls(
            inst_data=inst_data,
            preload_modules=config_value.get("preload_modules", DEFAULT_PRELOAD),
            spare_delay_seconds=config_value.get("spare_delay_seconds", DEFAULT_SPARE_DELAY),
        )

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        origin = run.job_code_origin
        if origin is None:
            raise dg.DagsterInvariantViolationError(f"run {run.run_id} has no code origin to execute")
        args = ExecuteRunArgs(job_origin=origin, run_id=run.run_id, instance_ref=self._instance.get_ref())
        payload = serialize_value(args)
        with self._lock:
            self._reap()
            executable = origin.executable_path or sys.executable
            worker = self._idle if self._idle and self._idle.usable() and executable == self._executable else None
            if worker is None:
                if self._idle:
                    self._idle.retire()
                    self._running[f"retired-{self._idle.process.pid}"] = self._idle.process
                self._executable = executable
                worker = _Worker(executable, self._preload)
            pid = worker.start(payload)
            self._running[run.run_id] = worker.process
            self._idle = None
            self._schedule_spare()
        self._instance.add_run_tags(run.run_id, {PID_TAG: str(pid)})

    def _schedule_spare(self) -> None:
        """The next worker's imports take ~2 s of CPU: spawned a moment later, they do not slow the run just
        handed over on a small machine. A launch before then spawns its own worker (the cold path)."""
        if self._spare_timer:
            self._spare_timer.cancel()
        self._spare_timer = threading.Timer(self._spare_delay, self._spawn_spare)
        self._spare_timer.daemon = True
        self._spare_timer.start()

    def _spawn_spare(self) -> None:
        with self._lock:
            if self._idle is None:
                self._idle = _Worker(self._executable, self._preload)

    def _reap(self) -> None:
        """Collects finished workers so none lingers as a zombie."""
        for run_id, process in list(self._running.items()):
            if process.poll() is not None:
                del self._running[run_id]

    def _pid(self, run: dg.DagsterRun) -> int | None:
        value = run.tags.get(PID_TAG)
        return int(value) if value and value.isdigit() else None

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        pid = self._pid(run) if run else None
        if run is None or run.is_finished or pid is None:
            return False
        self._instance.report_run_canceling(run)
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return False
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        with self._lock:
            self._reap()
            process = self._running.get(run.run_id)
        if process is not None:
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        pid = self._pid(run)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "the run worker's pid was not recorded yet")
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):  # gone, or its pid now belongs to another user's process
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker (pid {pid}) is gone")
        return CheckRunHealthResult(WorkerStatus.RUNNING)

    def dispose(self) -> None:
        with self._lock:
            if self._spare_timer:
                self._spare_timer.cancel()
            if self._idle:
                self._idle.retire()
                self._idle = None


def main(argv: Sequence[str]) -> int:
    """The run worker: import, wait for the run, then run it exactly as `dagster api execute_run` does."""
    from dagster._cli import cli

    for module in argv:
        importlib.import_module(module)

    payload = sys.stdin.readline().strip()
    if not payload:
        return 0  # retired before it got a run
    cli.main(args=["api", "execute_run", payload], prog_name="dagster")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
