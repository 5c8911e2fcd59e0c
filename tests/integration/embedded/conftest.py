"""Each test's tmp_path goes when the test ends: an embedded cluster weighs 50-120 MB, too much to keep."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _tmp_path_removed(tmp_path: Path) -> Iterator[None]:
    yield  # torn down after the fixtures that stop the servers living in it (autouse: set up first)
    shutil.rmtree(tmp_path, ignore_errors=True)
