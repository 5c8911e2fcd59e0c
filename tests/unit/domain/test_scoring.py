"""Scoring rules: the prediction rule table, contest solves, team solves."""

from datetime import UTC, datetime, timedelta

import pytest

from contest_pipelines.domain.scoring import (
    Guess,
    MemberResult,
    Solve,
    contest_results,
    prediction_points,
    prediction_results,
    team_results,
)

T0 = datetime(2026, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("guess", "final", "points"),
    [
        ((2, 1), (2, 1), 3),
        ((3, 1), (2, 1), 1),
        ((1, 1), (0, 0), 1),
        ((0, 2), (1, 3), 1),
        ((1, 0), (0, 1), 0),
        ((1, 1), (2, 1), 0),
        ((0, 0), (0, 0), 3),
        ((2, 1), (1, 1), 0),
    ],
)
def test_prediction_rule_table(guess, final, points):
    assert prediction_points(*guess, *final) == points


def test_prediction_results_cover_every_member_and_ignore_strangers():
    guesses = [Guess("a", 2, 1, T0), Guess("b", 1, 0, T0 + timedelta(seconds=5)), Guess("stranger", 2, 1, T0)]
    results = prediction_results(["a", "b", "c"], guesses, 2, 1)
    assert results == {
        "a": MemberResult(3, T0.replace(microsecond=0)),
        "b": MemberResult(1, (T0 + timedelta(seconds=5)).replace(microsecond=0)),
        "c": MemberResult(0, None),
    }


def test_a_wrong_guess_has_no_scoring_time():
    assert prediction_results(["a"], [Guess("a", 0, 3, T0)], 2, 1) == {"a": MemberResult(0, None)}


def test_contest_counts_each_problem_once_per_player_at_the_first_solve():
    solves = [
        Solve("a", "1A", 100, T0 + timedelta(minutes=9)),
        Solve("a", "1A", 100, T0),
        Solve("a", "1B", 200, T0 + timedelta(minutes=5)),
        Solve("b", "1A", 100, T0 + timedelta(minutes=1)),
    ]
    results = contest_results(["a", "b", "c"], solves)
    assert results["a"] == MemberResult(300, (T0 + timedelta(minutes=5)).replace(microsecond=0))
    assert results["b"] == MemberResult(100, (T0 + timedelta(minutes=1)).replace(microsecond=0))
    assert results["c"] == MemberResult(0, None)


def test_zero_point_solves_do_not_move_the_tie_break():
    results = contest_results(["a"], [Solve("a", "1A", 100, T0), Solve("a", "1Z", 0, T0 + timedelta(hours=1))])
    assert results["a"] == MemberResult(100, T0.replace(microsecond=0))


def test_team_score_is_the_sum_of_its_members_unique_solves():
    team_of = {"a": "red", "b": "red", "c": "blue", "d": None}
    solves = [
        Solve("a", "1A", 100, T0 + timedelta(minutes=3)),
        Solve("a", "1A", 100, T0 + timedelta(minutes=4)),
        Solve("b", "1A", 100, T0),
        Solve("b", "1B", 50, T0 + timedelta(minutes=7)),
        Solve("d", "1A", 100, T0),
    ]
    assert team_results(team_of, solves) == {
        "red": MemberResult(250, (T0 + timedelta(minutes=7)).replace(microsecond=0)),
        "blue": MemberResult(0, None),
    }
