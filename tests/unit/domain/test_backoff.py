"""Retry schedule: 5, 10, 20 s, and the fourth failed attempt is final."""

import pytest

from contest_pipelines.domain.backoff import exhausted, retry_delay


def test_waits_double_from_the_base():
    assert [retry_delay(n, 5.0) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]


def test_four_attempts_give_three_waits():
    assert [exhausted(n, 4) for n in (1, 2, 3, 4, 5)] == [False, False, False, True, True]


def test_no_delay_before_a_first_failure():
    with pytest.raises(ValueError):
        retry_delay(0, 5.0)
