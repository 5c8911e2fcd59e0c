"""Settlement scores rooms in SQL generated from the pure rules: here the SQL is held to the Python
reference on random rooms (results, hash and deltas, byte for byte)."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql import insert

from contest_pipelines.db.tables import (
    detections,
    guesses,
    match_results,
    players,
    room_members,
    room_problems,
    room_results,
    rooms,
)
from contest_pipelines.domain.ranking import encode
from contest_pipelines.domain.scoring import MemberResult
from contest_pipelines.domain.settlement import deltas, result_hash
from contest_pipelines.settlement import ledger, reference, result

T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
# Ids whose byte order differs from naive expectations: upper before lower, non-ASCII last.
USERS = ["A", "Z", "a", "a1", "b", "é", "ö-2", "中"]
PROBLEMS = {"1A": 100, "1B": 250, "1Z": 0}

moment = st.integers(0, 10_000).map(lambda ms: T0 + timedelta(milliseconds=ms * 137))
member_sets = st.sets(st.sampled_from(USERS), max_size=len(USERS))
previous_results = st.dictionaries(
    st.sampled_from(USERS),
    st.one_of(
        st.just(MemberResult(0, None)),
        st.builds(MemberResult, st.integers(1, 9), moment.map(lambda t: t.replace(microsecond=0))),
    ),
)


def reset(conn: sa.Connection) -> None:
    """Inside the example's transaction, which is rolled back."""
    conn.execute(insert(players).on_conflict_do_nothing(), [{"user_id": u} for u in USERS])
    conn.execute(rooms.delete().where(rooms.c.room_id == "r"))


def add_room(conn: sa.Connection, kind: str, members: set[str], previous: dict[str, MemberResult]) -> sa.Row:
    conn.execute(rooms.insert().values(room_id="r", name="r", kind=kind, starts_at=T0, ends_at=T0 + timedelta(hours=2)))
    if members:
        conn.execute(room_members.insert(), [{"room_id": "r", "user_id": u} for u in members])
    if previous:
        conn.execute(room_results.insert(), [
            {"room_id": "r", "user_id": u, "points": r.points, "last_scored_at": r.last_scored_at, "version": 1}
            for u, r in previous.items()
        ])  # fmt: skip
    return conn.execute(sa.select(rooms).where(rooms.c.room_id == "r")).one()


def sql_side(
    conn: sa.Connection, room: sa.Row
) -> tuple[dict[str, MemberResult], str, dict[str, int], dict[str, float]]:
    sql, params = result.room_result_sql(conn, room)
    conn.execute(sa.text(f"CREATE TEMP TABLE settle_current ON COMMIT DROP AS {sql}"), params)
    current = {
        r.user_id: MemberResult(r.points, r.last_scored_at)
        for r in conn.execute(sa.text("SELECT * FROM settle_current"))
    }
    digest = conn.execute(sa.text(result.RESULT_SUMMARY_SQL)).one().result_hash
    return current, digest, *ledger._stage(conn, room.room_id)


def check(conn: sa.Connection, room: sa.Row, previous: dict[str, MemberResult]) -> None:
    expected = reference.room_result(conn, room)
    current, digest, staged, room_scores = sql_side(conn, room)
    assert current == expected
    assert digest == result_hash(expected)
    changes = deltas(previous, expected)
    assert list(staged.items()) == [(d.user_id, d.points_delta) for d in changes]
    assert room_scores == {d.user_id: encode(d.points, d.last_scored_at) for d in changes if not d.removed}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    members=member_sets,
    guessed=st.dictionaries(st.sampled_from(USERS), st.tuples(st.integers(0, 4), st.integers(0, 4), moment)),
    final=st.tuples(st.integers(0, 4), st.integers(0, 4)),
    previous=previous_results,
)
def test_prediction_scoring_in_sql_equals_the_rule_table(engine, members, guessed, final, previous):
    with engine.connect() as conn, conn.begin() as tx:
        reset(conn)
        room = add_room(conn, "prediction", members, previous)
        rows = [
            {"room_id": "r", "user_id": u, "home": h, "away": a, "guessed_at": t}
            for u, (h, a, t) in guessed.items()
            if u in members
        ]
        if rows:
            conn.execute(guesses.insert(), rows)
        conn.execute(
            match_results.insert().values(room_id="r", status="ended", home_score=final[0], away_score=final[1])
        )
        check(conn, room, previous)
        tx.rollback()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    members=member_sets,
    solves=st.dictionaries(st.tuples(st.sampled_from(USERS), st.sampled_from(sorted(PROBLEMS))), st.integers(0, 5_000)),
    previous=previous_results,
)
def test_contest_scoring_in_sql_equals_the_pure_rules(engine, members, solves, previous):
    """Detections of non-members (a player who left) and 0-point problems included."""
    with engine.connect() as conn, conn.begin() as tx:
        reset(conn)
        room = add_room(conn, "contest", members, previous)
        conn.execute(
            room_problems.insert(),
            [{"room_id": "r", "problem_id": p, "points": pts, "revealed_at": T0} for p, pts in PROBLEMS.items()],
        )
        if solves:
            conn.execute(detections.insert(), [
                {"room_id": "r", "user_id": u, "problem_id": p, "cf_submission_id": i,
                 "cf_timestamp": int(T0.timestamp()) + s}
                for i, ((u, p), s) in enumerate(solves.items())
            ])  # fmt: skip
        check(conn, room, previous)
        tx.rollback()


def test_a_room_loaded_after_the_last_analyze_is_scored_without_nested_loops(db):
    """The statistics say a room loaded since the last ANALYZE has one member; a nested loop on that
    estimate rescans the room per member (minutes at 50k). Settlement plans hash or merge joins instead."""
    from contest_pipelines.db.engine import hash_joins
    from tests.factories import load, prediction_fixture, set_match_result

    load(db, prediction_fixture(rooms={f"old{i}": {f"u{j}": (1, 0) for j in range(300)} for i in range(3)}))
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    fresh = prediction_fixture(rooms={"fresh": {f"u{j}": (1, 0) for j in range(300)}})
    fresh.pop("players")
    load(db, fresh)
    set_match_result(db, "fresh", 1, 0)
    with db.begin() as conn, hash_joins(conn):
        room = conn.execute(sa.select(rooms).where(rooms.c.room_id == "fresh")).one()
        sql, params = result.room_result_sql(conn, room)
        plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {sql}"), params).scalars())
    # PostgreSQL 15 picks a hash join here, 18 (the embedded one) a merge join: both are linear.
    assert "Nested Loop" not in plan and ("Hash" in plan or "Merge" in plan), plan
