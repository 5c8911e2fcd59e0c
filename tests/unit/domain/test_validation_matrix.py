"""The validation matrix: every check alone, their combinations, judging states and tie-breaks."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest_pipelines.domain.validation_matrix import (
    Detected,
    Pending,
    Rejected,
    Submission,
    Target,
    evaluate,
    normalize_problem_id,
)

REVEAL, END = 1_000_000, 1_003_600
TARGET = Target(problem_id="1843A", handle="Tourist", revealed_at=REVEAL, ends_at=END)


def sub(id=1, created=REVEAL + 60, problem=(1843, "A"), verdict="OK", handles=("tourist",)) -> Submission:
    return Submission(
        id=id,
        creation_time=created,
        problem_contest_id=problem[0],
        problem_index=problem[1],
        verdict=verdict,
        handles=handles,
    )


def test_accepted_submission_in_window_is_detected():
    outcome = evaluate([sub()], TARGET)
    assert isinstance(outcome, Detected) and outcome.submission.id == 1


# Each of the five checks failing alone turns a detection into a rejection.
@pytest.mark.parametrize(
    ("submission", "expected", "detail_part"),
    [
        (sub(verdict="WRONG_ANSWER"), "WA", "WRONG_ANSWER"),
        (sub(created=REVEAL - 1), "invalid", "before the problem was revealed"),
        (sub(created=END + 1), "invalid", "after the room ended"),
        (sub(problem=(1843, "B")), "invalid", "no submission on 1843A"),
        (sub(problem=(1844, "A")), "invalid", "no submission on 1843A"),
        (sub(handles=("someone_else",)), "invalid", "not authored by Tourist"),
    ],
    ids=["verdict", "lower-bound", "upper-bound", "index", "contest", "handle"],
)
def test_each_check_alone_rejects(submission, expected, detail_part):
    outcome = evaluate([submission], TARGET)
    assert isinstance(outcome, Rejected)
    assert outcome.verdict == expected
    assert detail_part in outcome.detail


@pytest.mark.parametrize("created", [REVEAL, END], ids=["at-reveal", "at-end"])
def test_window_bounds_are_inclusive(created):
    assert isinstance(evaluate([sub(created=created)], TARGET), Detected)


@pytest.mark.parametrize(
    "verdict",
    [
        "FAILED",
        "PARTIAL",
        "COMPILATION_ERROR",
        "RUNTIME_ERROR",
        "WRONG_ANSWER",
        "PRESENTATION_ERROR",
        "TIME_LIMIT_EXCEEDED",
        "MEMORY_LIMIT_EXCEEDED",
        "IDLENESS_LIMIT_EXCEEDED",
        "SECURITY_VIOLATED",
        "CRASHED",
        "INPUT_PREPARATION_CRASHED",
        "CHALLENGED",
        "SKIPPED",
        "REJECTED",
    ],
)
def test_every_final_non_ok_verdict_is_wa(verdict):
    outcome = evaluate([sub(verdict=verdict)], TARGET)
    assert outcome == Rejected("WA", f"submission 1 on 1843A was judged {verdict}")


@pytest.mark.parametrize("verdict", [None, "TESTING", "SUBMITTED"])
def test_submission_still_judging_is_pending_not_failure(verdict):
    outcome = evaluate([sub(verdict=verdict)], TARGET)
    assert isinstance(outcome, Pending) and outcome.submission.id == 1


def test_judging_submission_after_an_accepted_one_does_not_delay_detection():
    outcome = evaluate([sub(id=2, created=REVEAL + 90, verdict="TESTING"), sub(id=1, created=REVEAL + 60)], TARGET)
    assert isinstance(outcome, Detected) and outcome.submission.id == 1


def test_earlier_judging_submission_waits_because_it_could_be_the_earliest_accept():
    outcome = evaluate([sub(id=2, created=REVEAL + 90), sub(id=1, created=REVEAL + 60, verdict=None)], TARGET)
    assert isinstance(outcome, Pending) and outcome.submission.id == 1


def test_earliest_passing_submission_wins():
    subs = [sub(id=9, created=REVEAL + 900), sub(id=5, created=REVEAL + 300), sub(id=7, created=REVEAL + 300)]
    outcome = evaluate(subs, TARGET)
    assert isinstance(outcome, Detected) and outcome.submission.id == 5


def test_wrong_answer_then_accepted_is_detected():
    subs = [sub(id=2, created=REVEAL + 200), sub(id=1, created=REVEAL + 100, verdict="WRONG_ANSWER")]
    assert isinstance(evaluate(subs, TARGET), Detected)


def test_accepted_outside_window_and_wrong_answer_inside_is_wa():
    subs = [sub(id=1, created=REVEAL - 100), sub(id=2, created=REVEAL + 100, verdict="TIME_LIMIT_EXCEEDED")]
    outcome = evaluate(subs, TARGET)
    assert isinstance(outcome, Rejected) and outcome.verdict == "WA"


def test_handle_match_is_case_insensitive_and_any_team_member_counts():
    team = sub(handles=("Petr", "TOURIST", "Um_nik"))
    assert isinstance(evaluate([team], TARGET), Detected)


def test_problem_index_case_and_letter_digit_indices():
    target = Target("1850d2", "tourist", REVEAL, END)
    assert isinstance(evaluate([sub(problem=(1850, "D2"))], target), Detected)
    assert isinstance(evaluate([sub(problem=(1850, "D1"))], target), Rejected)


def test_submission_without_contest_id_never_matches():
    assert isinstance(evaluate([sub(problem=(None, "A"))], TARGET), Rejected)


def test_empty_history_is_invalid():
    outcome = evaluate([], TARGET)
    assert outcome == Rejected("invalid", "no submission on 1843A among the recent submissions of Tourist")


@pytest.mark.parametrize("raw", ["", "A", "1843", "0A", "18 43A", "1843-A", "abc"])
def test_malformed_problem_ids_are_refused(raw):
    with pytest.raises(ValueError, match="not a Codeforces contest id"):
        normalize_problem_id(raw)


def test_all_five_checks_combined():
    """Every combination of the five checks: detected exactly when all pass."""
    for verdict_ok, after_reveal, before_end, same_problem, same_handle in itertools.product([True, False], repeat=5):
        s = sub(
            verdict="OK" if verdict_ok else "WRONG_ANSWER",
            created=(REVEAL + 10 if after_reveal else REVEAL - 10) if before_end else END + 10,
            problem=(1843, "A") if same_problem else (1843, "C"),
            handles=("tourist",) if same_handle else ("petr",),
        )
        if not before_end and not after_reveal:
            continue  # one timestamp cannot be both before the reveal and after the end
        outcome = evaluate([s], TARGET)
        all_pass = verdict_ok and after_reveal and before_end and same_problem and same_handle
        assert isinstance(outcome, Detected) == all_pass
        if not all_pass:
            expected = "WA" if (after_reveal and before_end and same_problem and same_handle) else "invalid"
            assert isinstance(outcome, Rejected) and outcome.verdict == expected


submissions = st.builds(
    sub,
    id=st.integers(1, 10**9),
    created=st.integers(REVEAL - 5000, END + 5000),
    problem=st.sampled_from([(1843, "A"), (1843, "B"), (1844, "A")]),
    verdict=st.sampled_from(["OK", "WRONG_ANSWER", "TESTING", None, "COMPILATION_ERROR"]),
    handles=st.sampled_from([("tourist",), ("petr",), ("Petr", "TOURIST")]),
)


@given(st.lists(submissions, max_size=20, unique_by=lambda s: s.id))
def test_outcome_ignores_order_and_detections_always_pass_every_check(subs):
    outcome = evaluate(subs, TARGET)
    assert outcome == evaluate(list(reversed(subs)), TARGET)
    if isinstance(outcome, Detected):
        s = outcome.submission
        assert s.verdict == "OK" and REVEAL <= s.creation_time <= END and s.problem_id == "1843A"
        assert "tourist" in {h.casefold() for h in s.handles}
