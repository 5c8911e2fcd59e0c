"""Boards: Redis order and ranks equal PostgreSQL's for any ties; pages, neighbourhoods, rebuilds."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest_pipelines import scoreboards
from contest_pipelines.db.boards import current_version
from contest_pipelines.db.tables import standings
from contest_pipelines.scoreboards import BOARD_RANKING
from tests.factories import load, prediction_fixture

T0 = datetime(2026, 6, 1, tzinfo=UTC)
user_ids = st.text(alphabet="aAbB_-0z", min_size=1, max_size=4)
entries = st.dictionaries(
    user_ids,
    st.tuples(st.integers(0, 4), st.one_of(st.none(), st.integers(0, 3).map(lambda s: T0 + timedelta(seconds=s)))),
    min_size=1,
    max_size=25,
)


def fill(db, rows: dict) -> None:
    with db.begin() as conn:
        conn.execute(sa.text("TRUNCATE leagues, tournaments, players, rooms, standings, board_versions CASCADE"))
    load(db, prediction_fixture(rooms={"p1": {}}))
    with db.begin() as conn:
        for scope, scope_id in (("tournament", "t1"), ("league", "l1")):
            conn.execute(
                standings.insert(),
                [
                    {
                        "scope": scope,
                        "scope_id": scope_id,
                        "user_id": u,
                        "points": p,
                        "last_scored_at": t if p else None,
                    }
                    for u, (p, t) in rows.items()
                ],
            )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=entries, offset=st.integers(0, 10), limit=st.integers(1, 10))
def test_redis_pages_equal_postgres_pages_under_ties(db, redis_client, rows, offset, limit):
    fill(db, rows)
    redis_client.flushdb()
    for scope, scope_id in (("tournament", "t1"), ("league", "l1")):
        from_redis = scoreboards.read(db, redis_client, scope, scope_id, limit=limit, offset=offset)
        from_sql = scoreboards.read(db, None, scope, scope_id, limit=limit, offset=offset)
        assert (from_redis.source, from_sql.source) == ("redis", "postgres")
        assert from_redis.rows == from_sql.rows and from_redis.total == from_sql.total == len(rows)


def test_rank_semantics_per_board(db, redis_client):
    fill(db, {"a": (5, T0), "b": (3, T0), "c": (3, T0), "d": (1, T0 + timedelta(seconds=1)), "e": (0, None)})
    assert BOARD_RANKING == {"room": "ordinal", "tournament": "competition", "league": "dense"}
    tournament = scoreboards.read(db, redis_client, "tournament", "t1")
    league = scoreboards.read(db, redis_client, "league", "l1")
    assert [r.rank for r in tournament.rows] == [1, 2, 2, 4, 5]
    assert [r.rank for r in league.rows] == [1, 2, 2, 3, 4]


def test_around_a_player_centres_the_page(db, redis_client):
    fill(db, {f"u{i:02d}": (100 - i, T0) for i in range(30)})
    for client in (redis_client, None):
        board = scoreboards.read(db, client, "tournament", "t1", limit=5, around="u20")
        assert [r.user_id for r in board.rows] == ["u18", "u19", "u20", "u21", "u22"]
        assert board.rows[2].rank == 21


def test_unknown_boards_and_players(db, redis_client):
    fill(db, {"a": (1, T0)})
    with pytest.raises(scoreboards.BoardNotFound):
        scoreboards.read(db, redis_client, "tournament", "nope")
    with pytest.raises(scoreboards.BoardNotFound):
        scoreboards.read(db, redis_client, "tournament", "t1", around="stranger")


def test_rebuild_swaps_atomically_and_stamps_the_version(db, redis_client):
    fill(db, {"a": (1, T0), "b": (2, T0)})
    assert scoreboards.rebuild(redis_client, db, "tournament", "t1") == 2
    assert redis_client.zrange("board:tournament:t1", 0, -1) == ["b", "a"]
    with db.connect() as conn:
        assert redis_client.get("board:tournament:t1:built") == str(current_version(conn, "tournament", "t1"))
    assert [k for k in redis_client.keys("board:tournament:t1:*") if ":build:" in k or k.endswith(":rebuilding")] == []
    # A second rebuilder waits its turn rather than racing the first.
    redis_client.set("board:tournament:t1:rebuilding", "someone", ex=5)
    assert scoreboards.rebuild(redis_client, db, "tournament", "t1") is None


def test_loading_new_members_makes_the_redis_board_rebuild(db, redis_client):
    load(db, prediction_fixture(rooms={"p1": {"ann": (1, 0), "bob": (0, 1)}}))
    assert scoreboards.read(db, redis_client, "tournament", "t1").total == 2
    load(db, prediction_fixture(rooms={"p2": {"cat": (2, 2)}}))  # a new room of the tournament, a new member
    board = scoreboards.read(db, redis_client, "tournament", "t1")
    assert board.source == "redis" and {r.user_id for r in board.rows} == {"ann", "bob", "cat"}


team_names = st.sampled_from(["red", "Red", "blue", "é", None])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=entries, teams=st.lists(team_names, min_size=25, max_size=25))
def test_the_team_board_in_sql_equals_the_domain_rule(db, rows, teams):
    """`queries.team_rows` aggregates in SQL what `domain.scoring.team_totals` says, ties and all."""
    from contest_pipelines.db.tables import room_members, room_results
    from contest_pipelines.db.tables import teams as teams_table
    from contest_pipelines.domain.ranking import Row, rank_rows, sort_key
    from contest_pipelines.domain.scoring import MemberResult, team_totals

    with db.begin() as conn:
        conn.execute(sa.text("TRUNCATE leagues, tournaments, players, rooms, teams, board_versions CASCADE"))
    load(db, prediction_fixture(rooms={"p1": {u: (0, 0) for u in rows}}))
    team_of = {u: t for u, t in zip(sorted(rows), teams)}
    with db.begin() as conn:
        named = sorted({t for t in team_of.values() if t})
        if named:
            conn.execute(teams_table.insert(), [{"team_id": t, "name": t} for t in named])
        for user, team in team_of.items():
            conn.execute(room_members.update().where(room_members.c.user_id == user).values(team_id=team))
        conn.execute(
            room_results.insert(),
            [{"room_id": "p1", "user_id": u, "points": p, "last_scored_at": t if p else None, "version": 1}
             for u, (p, t) in rows.items()],
        )  # fmt: skip
    results = {u: MemberResult(p, t if p else None) for u, (p, t) in rows.items()}
    expected = sorted(
        (Row(t, r.points, r.last_scored_at) for t, r in team_totals(results, team_of).items()), key=sort_key
    )
    board = scoreboards.read_teams(db, "p1", limit=100)
    assert board.rows == rank_rows(expected, "ordinal") and board.total == len(expected)
