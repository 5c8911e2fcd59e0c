"""Storing judges' contest lists in PostgreSQL: upsert on (judge, key), changes by visible fields only,
tombstones after 3 hours missing from successful fetches, failures change nothing, pruning."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest_pipelines.calendar.contests import (
    REMOVE_AFTER,
    apply_fetch,
    judges_starting_soon,
    prune,
    record_failure,
    usual_upcoming,
)
from contest_pipelines.db.tables import judge_contests, judge_fetches
from contest_pipelines.domain.contests import Contest

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def contest(key: str, start: datetime = T0 + timedelta(days=2), title: str | None = None, **raw) -> Contest:
    return Contest(
        judge="codeforces",
        key=key,
        title=title or f"Round {key}",
        url=f"https://codeforces.com/contests/{key}",
        start=start,
        end=start + timedelta(hours=2),
        kind="CF",
        raw={"id": key, **raw},
    )


def stored(engine) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        return {r.key: r for r in conn.execute(sa.select(judge_contests))}


def fetch(engine, contests, now, usual=None):
    with engine.begin() as conn:
        return apply_fetch(conn, "codeforces", contests, now, usual_upcoming=usual)


def test_first_fetch_inserts_and_a_repeat_changes_nothing(db):
    first = fetch(db, [contest("1"), contest("2")], T0)
    assert (first.seen, first.inserted, first.changed, first.unchanged, first.removed) == (2, 2, 0, 0, 0)
    again = fetch(db, [contest("1", relativeTimeSeconds=-5), contest("2")], T0 + timedelta(minutes=10))
    assert (again.inserted, again.changed, again.unchanged) == (0, 0, 2)  # volatile payload fields are no change
    rows = stored(db)
    assert {r.sequence for r in rows.values()} == {0}
    assert rows["1"].raw["relativeTimeSeconds"] == -5 and rows["1"].changed_at == T0


def test_a_moved_or_renamed_contest_is_a_change_and_bumps_its_sequence(db):
    fetch(db, [contest("1"), contest("2")], T0)
    moved = T0 + timedelta(days=3)
    report = fetch(db, [contest("1", start=moved), contest("2", title="Round 1117 (Div. 2)")], T0 + timedelta(hours=1))
    assert report.changed == 2
    rows = stored(db)
    assert rows["1"].start_at == moved and rows["1"].sequence == 1 and rows["1"].changed_at == T0 + timedelta(hours=1)
    assert rows["2"].title == "Round 1117 (Div. 2)" and rows["2"].sequence == 1


def test_a_contest_missing_for_three_hours_of_successful_fetches_is_tombstoned_and_can_come_back(db):
    fetch(db, [contest("1"), contest("2")], T0)
    assert fetch(db, [contest("1")], T0 + timedelta(hours=1)).removed == 0
    with db.begin() as conn:  # failures in between change nothing
        record_failure(conn, "codeforces", "HTTP 503", T0 + timedelta(hours=2))
    assert fetch(db, [contest("1")], T0 + timedelta(hours=1) + REMOVE_AFTER - timedelta(seconds=1)).removed == 0
    report = fetch(db, [contest("1")], T0 + timedelta(hours=1) + REMOVE_AFTER)
    assert report.removed == 1
    gone = stored(db)["2"]
    assert gone.removed_at == T0 + timedelta(hours=1) + REMOVE_AFTER and gone.sequence == 1
    back = fetch(db, [contest("1"), contest("2")], T0 + timedelta(hours=5))
    assert back.changed == 1
    revived = stored(db)["2"]
    assert revived.removed_at is None and revived.missing_since is None and revived.sequence == 2


def test_a_contest_that_reappears_within_three_hours_is_never_removed(db):
    fetch(db, [contest("1"), contest("2")], T0)
    fetch(db, [contest("1")], T0 + timedelta(hours=1))
    fetch(db, [contest("1"), contest("2")], T0 + timedelta(hours=2))
    assert fetch(db, [contest("1")], T0 + timedelta(hours=4)).removed == 0  # missing again, since 4 h only


def test_a_started_contest_leaving_the_list_happened_and_is_kept(db):
    fetch(db, [contest("1", start=T0 + timedelta(minutes=30))], T0)
    report = fetch(db, [], T0 + timedelta(hours=5))
    assert report.removed == 0 and stored(db)["1"].removed_at is None


def test_placeholders_are_dropped(db):
    far = contest("far", start=T0 + timedelta(days=400))
    report = fetch(db, [far, contest("1")], T0)
    assert report.dropped == 1 and set(stored(db)) == {"1"}


def test_a_collapsed_list_is_stored_but_removes_nothing(db):
    many = [contest(str(i)) for i in range(10)]
    fetch(db, many, T0)
    report = fetch(db, many[:2], T0 + REMOVE_AFTER * 2, usual=10)
    assert report.removed == 0 and all(r.missing_since is None for r in stored(db).values())
    assert fetch(db, many[:2], T0 + REMOVE_AFTER * 3, usual=None).removed == 0  # now marked missing, not yet removed


def test_usual_upcoming_is_the_median_of_recent_successful_fetches(db):
    with db.begin() as conn:
        for i, n in enumerate([5, 6, 7, 100]):
            conn.execute(judge_fetches.insert().values(judge="codeforces", fetched_at=T0 + timedelta(hours=i),
                                                       ok=True, upcoming=n))  # fmt: skip
        record_failure(conn, "codeforces", "Cloudflare", T0 + timedelta(hours=5))
        assert usual_upcoming(conn, "codeforces", before=T0 + timedelta(hours=6)) == 6.5
        assert usual_upcoming(conn, "leetcode", before=T0 + timedelta(hours=6)) is None


def test_prune_forgets_ended_and_removed_contests_after_thirty_days(db):
    fetch(db, [contest("old", start=T0 - timedelta(days=31)), contest("1")], T0 - timedelta(days=32))
    with db.begin() as conn:
        assert prune(conn, T0)["contests_pruned"] == 1
    assert set(stored(db)) == {"1"}


def test_judges_starting_soon(db):
    fetch(db, [contest("soon", start=T0 + timedelta(minutes=40)), contest("later")], T0)
    with db.connect() as conn:
        assert judges_starting_soon(conn, T0, timedelta(hours=1)) == ["codeforces"]
        assert judges_starting_soon(conn, T0 + timedelta(hours=1), timedelta(hours=1)) == []


# Any sequence of fetches (a subset of a pool of contests, some moved) or failures.
fetches = st.lists(
    st.one_of(
        st.none(),
        st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2)), max_size=8, unique_by=lambda t: t[0]),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=fetches)
def test_any_sequence_of_fetches_never_loses_a_listed_contest_nor_duplicates_one(db, steps):
    with db.begin() as conn:
        conn.execute(judge_contests.delete())
        conn.execute(judge_fetches.delete())
    now = T0
    for step in steps:
        now += timedelta(hours=1)
        if step is None:
            with db.begin() as conn:
                record_failure(conn, "codeforces", "HTTP 503", now)
            continue
        listed = [contest(str(k), start=T0 + timedelta(days=5, hours=shift)) for k, shift in step]
        fetch(db, listed, now)
        rows = stored(db)
        for c in listed:  # everything the last successful fetch listed is there, live, as listed
            assert rows[c.key].removed_at is None and rows[c.key].start_at == c.start
    with db.connect() as conn:
        keys = conn.execute(sa.select(judge_contests.c.key)).scalars().all()
    assert len(keys) == len(set(keys))
