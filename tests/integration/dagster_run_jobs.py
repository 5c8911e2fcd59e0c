"""Jobs the run-launcher tests launch: one that records its worker's pid, one that waits to be cancelled."""

import os
import time
from pathlib import Path

import dagster as dg


class MarkerConfig(dg.Config):
    marker: str


@dg.op
def write_pid(config: MarkerConfig) -> None:
    Path(config.marker).write_text(str(os.getpid()))


@dg.op
def wait_a_minute(config: MarkerConfig) -> None:
    Path(config.marker).write_text(str(os.getpid()))
    time.sleep(60)


@dg.job(executor_def=dg.in_process_executor)
def quick_job():
    write_pid()


@dg.job(executor_def=dg.in_process_executor)
def slow_job():
    wait_a_minute()
