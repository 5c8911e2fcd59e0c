"""Scoring rules, pure: a contest room's points come from verified solves, a prediction room's from
guesses against the final score. Every result is per member: points and the last scoring time."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Outcome = Literal["home", "away", "draw"]

# The prediction rule table: the first rule whose condition holds gives the points. Each condition
# has one meaning in Python (PREDICTION_CONDITIONS) and one in SQL (PREDICTION_SQL), so settlement
# can score a 50k-member room in one statement; tests/integration/test_scoring_sql.py proves the two
# agree on every guess and final score.
PREDICTION_RULES: tuple[tuple[str, str, int], ...] = (
    # (rule, condition, points)
    ("exact score", "exact", 3),
    ("right outcome", "outcome", 1),
    ("miss", "always", 0),
)


@dataclass(frozen=True, order=True)
class MemberResult:
    """A member's score in one room; `last_scored_at` (whole seconds) is None when nothing scored."""

    points: int
    last_scored_at: datetime | None


@dataclass(frozen=True)
class Solve:
    user_id: str
    problem_id: str
    points: int
    solved_at: datetime


@dataclass(frozen=True)
class Guess:
    user_id: str
    home: int
    away: int
    guessed_at: datetime


def whole_seconds(moment: datetime | None) -> datetime | None:
    """Scores tie-break on whole seconds everywhere (PostgreSQL, Redis), so times are truncated once, here."""
    return None if moment is None else moment.replace(microsecond=0)


def outcome(home: int, away: int) -> Outcome:
    return "home" if home > away else "away" if away > home else "draw"


RULE_POINTS = {name: points for name, _, points in PREDICTION_RULES}
PREDICTION_CONDITIONS = {
    "exact": lambda gh, ga, h, a: (gh, ga) == (h, a),
    "outcome": lambda gh, ga, h, a: outcome(gh, ga) == outcome(h, a),
    "always": lambda gh, ga, h, a: True,
}
# The same conditions over a guess row `g` (home, away) and the final score (:home, :away).
PREDICTION_SQL = {
    "exact": "g.home = :home AND g.away = :away",
    "outcome": "sign(g.home - g.away) = sign(CAST(:home AS integer) - CAST(:away AS integer))",
    "always": "TRUE",
}


def prediction_rule(guess_home: int, guess_away: int, home: int, away: int) -> str:
    return next(
        name
        for name, condition, _ in PREDICTION_RULES
        if PREDICTION_CONDITIONS[condition](guess_home, guess_away, home, away)
    )


def prediction_points(guess_home: int, guess_away: int, home: int, away: int) -> int:
    return RULE_POINTS[prediction_rule(guess_home, guess_away, home, away)]


def prediction_points_sql() -> str:
    """The rule table as one SQL expression over `g` (a LEFT JOINed guess: no guess scores 0)."""
    branches = " ".join(f"WHEN {PREDICTION_SQL[condition]} THEN {points}" for _, condition, points in PREDICTION_RULES)
    return f"CASE WHEN g.user_id IS NULL THEN 0 {branches} END"


def prediction_results(
    members: Iterable[str], guesses: Iterable[Guess], home: int, away: int
) -> dict[str, MemberResult]:
    """Every member gets a result; a member without a guess scores 0. An earlier guess wins a tie."""
    results = {user: MemberResult(0, None) for user in members}
    for guess in guesses:
        if guess.user_id not in results:
            continue
        points = prediction_points(guess.home, guess.away, home, away)
        results[guess.user_id] = MemberResult(points, whole_seconds(guess.guessed_at) if points > 0 else None)
    return results


def contest_results(members: Iterable[str], solves: Iterable[Solve]) -> dict[str, MemberResult]:
    """A problem's points go to each member who solved it, once (their first verified solve)."""
    first: dict[tuple[str, str], Solve] = {}
    for solve in solves:
        key = (solve.user_id, solve.problem_id)
        if key not in first or solve.solved_at < first[key].solved_at:
            first[key] = solve
    results = {user: MemberResult(0, None) for user in members}
    for (user, _), solve in first.items():
        if user not in results:
            continue
        current = results[user]
        scored_at = whole_seconds(solve.solved_at) if solve.points > 0 else None
        latest = max((t for t in (current.last_scored_at, scored_at) if t is not None), default=None)
        results[user] = MemberResult(current.points + solve.points, latest)
    return results


def team_totals(results: Mapping[str, MemberResult], team_of: Mapping[str, str | None]) -> dict[str, MemberResult]:
    """A team scores the sum of its members' results; its last scoring time is the latest of its
    members'. Every team named in `team_of` is present, at 0 when none of its members scored."""
    teams: dict[str, MemberResult] = {t: MemberResult(0, None) for t in team_of.values() if t}
    for user, result in results.items():
        team = team_of.get(user)
        if team is None:
            continue
        times = [t for t in (teams[team].last_scored_at, result.last_scored_at) if t is not None]
        teams[team] = MemberResult(teams[team].points + result.points, max(times, default=None))
    return teams


def team_results(team_of: Mapping[str, str | None], solves: Iterable[Solve]) -> dict[str, MemberResult]:
    """A contest room's team results: each member's unique problem solves, summed per team."""
    return team_totals(contest_results(team_of, solves), team_of)
