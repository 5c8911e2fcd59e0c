"""WarmRunLauncher through a real Dagster instance: runs execute in the pre-spawned worker, and terminate,
run monitoring's health check and code changes behave as Dagster's own launcher would."""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance_for_test import instance_for_test
from dagster._core.launcher import LaunchRunContext, WorkerStatus

from contest_pipelines import run_launcher
from contest_pipelines.run_launcher import PID_TAG, WarmRunLauncher
from tests.integration import dagster_run_jobs

FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    overrides = {
        "run_launcher": {
            "module": "contest_pipelines.run_launcher",
            "class": "WarmRunLauncher",
            "config": {"preload_modules": ["tests.integration.dagster_run_jobs"], "spare_delay_seconds": 0.2},
        }
    }
    with instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        yield instance
        instance.run_launcher.dispose()


def launch(instance: dg.DagsterInstance, job: dg.JobDefinition, marker: Path) -> dg.DagsterRun:
    config = {"ops": {node.name: {"config": {"marker": str(marker)}} for node in job.nodes}}
    run = instance.create_run_for_job(
        job, run_config=config, job_code_origin=dg.reconstructable(_job_fn(job)).get_python_origin()
    )
    instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    return run


def _job_fn(job: dg.JobDefinition):
    return getattr(dagster_run_jobs, job.name)


def wait_for(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def spare(launcher: WarmRunLauncher):
    """The worker waiting for the next run, once the launcher has spawned it."""
    return wait_for(lambda: launcher._idle).process


def finished(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun:
    return wait_for(lambda: (r := instance.get_run_by_id(run_id)) and r.status in FINISHED and r)


def test_a_run_executes_in_the_waiting_worker_and_the_next_one_is_spawned(instance, tmp_path):
    launcher: WarmRunLauncher = instance.run_launcher
    assert isinstance(launcher, WarmRunLauncher)
    first = launch(instance, dagster_run_jobs.quick_job, tmp_path / "first")
    waiting = spare(launcher)
    run = finished(instance, first.run_id)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags[PID_TAG] == (tmp_path / "first").read_text()

    second = launch(instance, dagster_run_jobs.quick_job, tmp_path / "second")
    assert finished(instance, second.run_id).status == dg.DagsterRunStatus.SUCCESS
    assert (tmp_path / "second").read_text() == str(waiting.pid)  # the worker spawned after the first launch
    assert spare(launcher).poll() is None  # and a third waits


def test_launches_closer_together_than_a_worker_warms_up_each_get_a_worker(instance, tmp_path):
    runs = [launch(instance, dagster_run_jobs.quick_job, tmp_path / f"burst-{i}") for i in range(3)]
    assert [finished(instance, r.run_id).status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 3
    assert len({(tmp_path / f"burst-{i}").read_text() for i in range(3)}) == 3


def test_terminate_interrupts_the_worker_and_the_run_ends_canceled(instance, tmp_path):
    run = launch(instance, dagster_run_jobs.slow_job, tmp_path / "slow")
    wait_for(lambda: (tmp_path / "slow").exists())
    assert instance.run_launcher.terminate(run.run_id)
    assert finished(instance, run.run_id).status == dg.DagsterRunStatus.CANCELED
    assert not instance.run_launcher.terminate(run.run_id)  # nothing left to stop


def test_a_worker_killed_mid_run_is_reported_failed_to_run_monitoring(instance, tmp_path):
    run = launch(instance, dagster_run_jobs.slow_job, tmp_path / "slow")
    wait_for(lambda: (tmp_path / "slow").exists())
    launched = instance.get_run_by_id(run.run_id)
    assert instance.run_launcher.check_run_worker_health(launched).status == WorkerStatus.RUNNING
    os.kill(int(launched.tags[PID_TAG]), signal.SIGKILL)
    health = wait_for(
        lambda: (h := instance.run_launcher.check_run_worker_health(launched)).status == WorkerStatus.FAILED and h
    )
    assert str(launched.tags[PID_TAG]) in health.msg
    # Another process (the webserver's launcher) knows the worker only by the pid tag, and sees it gone too.
    other = WarmRunLauncher(preload_modules=["tests.integration.dagster_run_jobs"])
    other.register_instance(instance)
    assert other.check_run_worker_health(launched).status == WorkerStatus.FAILED


def test_a_worker_spawned_before_a_code_change_is_not_used(instance, tmp_path, monkeypatch):
    launcher: WarmRunLauncher = instance.run_launcher
    first = launch(instance, dagster_run_jobs.quick_job, tmp_path / "first")
    finished(instance, first.run_id)
    stale = spare(launcher)
    monkeypatch.setattr(run_launcher, "code_fingerprint", lambda root=None: -1)
    run = launch(instance, dagster_run_jobs.quick_job, tmp_path / "second")
    assert finished(instance, run.run_id).status == dg.DagsterRunStatus.SUCCESS
    assert (tmp_path / "second").read_text() != str(stale.pid)
    assert stale.wait(timeout=30) == 0  # the stale worker was retired and exited without running anything


def test_a_retired_worker_exits_without_running_anything(instance, tmp_path):
    launcher: WarmRunLauncher = instance.run_launcher
    run = launch(instance, dagster_run_jobs.quick_job, tmp_path / "first")
    finished(instance, run.run_id)
    idle = spare(launcher)
    launcher.dispose()
    assert idle.wait(timeout=30) == 0
    assert instance.get_runs_count() == 1
