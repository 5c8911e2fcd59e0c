"""Ranking semantics and encoding; settlement deltas and hashes (with hypothesis invariants)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest_pipelines.domain.ranking import Row, decode, encode, encode_seconds, rank_rows, sort_key
from contest_pipelines.domain.scoring import MemberResult
from contest_pipelines.domain.settlement import ZERO, deltas, result_hash

T = datetime(2026, 3, 1, tzinfo=UTC)
ROWS = [Row("a", 10, T), Row("b", 7, T), Row("c", 7, T), Row("d", 5, T + timedelta(seconds=1))]


@pytest.mark.parametrize(
    ("mode", "ranks"), [("ordinal", [1, 2, 3, 4]), ("competition", [1, 2, 2, 4]), ("dense", [1, 2, 2, 3])]
)
def test_rank_modes(mode, ranks):
    assert [r.rank for r in rank_rows(ROWS, mode)] == ranks


@pytest.mark.parametrize(
    ("mode", "first_rank", "ranks"), [("ordinal", None, [3, 4]), ("competition", 2, [2, 4]), ("dense", 2, [2, 3])]
)
def test_a_page_starting_mid_board(mode, first_rank, ranks):
    assert [r.rank for r in rank_rows(ROWS[2:], mode, offset=2, first_rank=first_rank)] == ranks


def test_order_points_then_earlier_time_then_user_id():
    rows = [
        Row("z", 5, None),
        Row("b", 5, T),
        Row("a", 5, T),
        Row("c", 5, T - timedelta(seconds=1)),
        Row("d", 6, T + timedelta(days=9)),
    ]
    assert [r.user_id for r in sorted(rows, key=sort_key)] == ["d", "c", "a", "b", "z"]


times = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(2020, 1, 2), max_value=datetime(2087, 1, 1), timezones=st.just(UTC)).map(
        lambda d: d.replace(microsecond=0)
    ),
)


@given(st.integers(-(2**21) + 1, 2**21 - 1), times)
def test_encoding_is_exact(points, when):
    assert decode(encode(points, when)) == (points, when)


@given(st.tuples(st.integers(0, 2**21 - 1), times), st.tuples(st.integers(0, 2**21 - 1), times))
def test_encoding_preserves_board_order(a, b):
    def board_key(p, t):
        return (-p, t is None, t or T)

    if board_key(*a) < board_key(*b):
        assert encode(*a) < encode(*b)
    elif board_key(*a) == board_key(*b):
        assert encode(*a) == encode(*b)


results = st.dictionaries(st.sampled_from("abcdefgh"), st.builds(MemberResult, st.integers(0, 50), times), max_size=8)


@given(results, results)
def test_applying_deltas_to_the_previous_result_gives_the_current(previous, current):
    totals = {u: r.points for u, r in previous.items()}
    for d in deltas(previous, current):
        totals[d.user_id] = totals.get(d.user_id, 0) + d.points_delta
        assert (d.points, d.last_scored_at) == (
            current.get(d.user_id, MemberResult(0, None)).points,
            current.get(d.user_id, MemberResult(0, None)).last_scored_at,
        )
    assert {u: totals.get(u, 0) for u in current} == {u: r.points for u, r in current.items()}
    assert all(totals[u] == 0 for u in totals if u not in current)

    # Nothing to do exactly when no one left and every result is the same, absent counting as 0.
    def scoring(results):
        return {u: r for u, r in results.items() if r != ZERO}

    assert (deltas(previous, current) == []) == (
        set(previous) <= set(current) and scoring(previous) == scoring(current)
    )


@given(results)
def test_hash_ignores_order_and_sees_every_change(res):
    assert result_hash(res) == result_hash(dict(reversed(list(res.items()))))
    if res:
        user = next(iter(res))
        bumped = {**res, user: MemberResult(res[user].points + 1, res[user].last_scored_at)}
        assert result_hash(bumped) != result_hash(res)


@given(
    st.integers(-(2**20), 2**20),
    st.one_of(
        st.none(), st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2088, 1, 1), timezones=st.just(UTC))
    ),
)
def test_encoding_unix_seconds_equals_encoding_the_time(points, when):
    """Bulk paths read times as Unix seconds from SQL (floor of the epoch) and must score alike."""
    import math

    assert encode_seconds(points, None if when is None else math.floor(when.timestamp())) == encode(points, when)


def test_out_of_range_scores_are_refused():
    with pytest.raises(ValueError, match="outside the board's range"):
        encode_seconds(1, 0)
    with pytest.raises(ValueError, match="do not fit"):
        encode(2**21, None)
