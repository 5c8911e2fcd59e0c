"""The room-status rule: which provider reports change a room, and which of them settle it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest_pipelines.domain.room_status import ENDED, MatchReport, transition

statuses = st.sampled_from(["scheduled", "live", "halftime", ENDED])
scores = st.none() | st.integers(min_value=0, max_value=9)
reports = st.builds(MatchReport, statuses, scores, scores)


@pytest.mark.parametrize(
    ("before", "report", "settles"),
    [
        (None, MatchReport("live", 1, 0), False),
        (MatchReport("live", 1, 0), MatchReport(ENDED, 2, 1), True),  # the real -> ended transition
        (None, MatchReport(ENDED, 2, 1), True),  # first seen already ended
        (MatchReport(ENDED, 2, 1), MatchReport(ENDED, 1, 0), True),  # a correction after the end
        (MatchReport(ENDED, 2, 1), MatchReport("live", 2, 1), False),  # reopened: no settlement
        (MatchReport("live", 1, 0), MatchReport("live", 2, 0), False),
    ],
)
def test_which_reports_settle(before, report, settles):
    change = transition(before, report)
    assert change is not None and change.settlement_requested is settles
    assert change.previous == (before.status if before else None) and change.current == report.status
    assert change.result_hash == (f"{report.home}:{report.away}" if report.final else None)


@given(reports)
def test_an_unchanged_report_changes_nothing(report):
    assert transition(report, report) is None


@given(st.none() | reports, reports)
def test_only_a_final_report_settles_and_the_room_follows_the_report(before, report):
    change = transition(before, report)
    if change is None:
        assert before == report
        return
    assert change.room_status == report.status
    assert not change.settlement_requested or report.final
    # A settlement needs a first end or a changed final score: never the same final result twice.
    if change.settlement_requested:
        assert before is None or not before.final or (before.home, before.away) != (report.home, report.away)
