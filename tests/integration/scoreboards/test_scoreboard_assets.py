"""The scoreboards as Dagster assets: materialising rebuilds every board of a scope, the check compares
Redis with PostgreSQL (a wrong board fails it, a stale one does not), and the data map's lineage."""

import dagster as dg
import pytest

from contest_pipelines.assets.scoreboards import scoreboard_assets, scoreboard_checks
from contest_pipelines.resources import PostgresResource, RedisResource
from contest_pipelines.scoreboards.board import aux_key, board_key
from contest_pipelines.settlement.ledger import settle_room
from tests.factories import load, prediction_fixture, set_match_result


@pytest.fixture
def resources(env):
    return {
        "postgres": PostgresResource(database_url=env["DATABASE_URL"]),
        "redis": RedisResource(redis_url=env["REDIS_URL"]),
    }


@pytest.fixture
def settled(db):
    load(db, prediction_fixture(rooms={"p1": {"ann": (2, 1), "bob": (1, 0)}, "p2": {"ann": (0, 0), "cat": (1, 1)}}))
    for room in ("p1", "p2"):
        set_match_result(db, room, 2, 1)
        settle_room(db, room)
    return db


def materialize(resources, selection=None):
    return dg.materialize([*scoreboard_assets, *scoreboard_checks], resources=resources, selection=selection)


def test_materialising_rebuilds_every_board_and_the_check_passes(settled, resources, redis_client):
    result = materialize(resources)
    assert result.success
    rooms = result.asset_materializations_for_node("room_scoreboards")[0].metadata
    assert (rooms["boards"].value, rooms["rebuilt"].value, rooms["members"].value) == (2, 2, 4)
    tournament = result.asset_materializations_for_node("tournament_scoreboards")[0].metadata
    assert tournament["members"].value == 3
    assert redis_client.zscore(board_key("tournament", "t1"), "ann") is not None
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 3 and all(c.passed for c in checks)


def test_the_check_fails_on_a_wrong_board_and_counts_a_stale_one(settled, resources, redis_client):
    assert materialize(resources).success
    redis_client.zadd(board_key("room", "p1"), {"bob": 123456.0})  # wrong, while it says it is current
    redis_client.set(aux_key("room", "p2", "built"), 0)  # behind PostgreSQL: the next read rebuilds it
    [check] = [c for c in materialize(resources, selection=["room_scoreboards"]).get_asset_check_evaluations()]
    assert check.passed  # the materialisation rebuilt both before its check ran
    redis_client.zadd(board_key("room", "p1"), {"bob": 123456.0})
    redis_client.set(aux_key("room", "p2", "built"), 0)
    only_check = dg.AssetCheckKey(dg.AssetKey("room_scoreboards"), "projection_matches_postgres")
    job = dg.define_asset_job("check_only", selection=dg.AssetSelection.checks(only_check))
    defs = dg.Definitions(assets=[*scoreboard_assets], asset_checks=[*scoreboard_checks], jobs=[job],
                          resources=resources)  # fmt: skip
    result = defs.resolve_job_def("check_only").execute_in_process(raise_on_error=False)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.description == "differ from PostgreSQL: p1"
    assert check.metadata["stale"].value == 1 and check.metadata["wrong"].value == 1


def test_the_data_map_follows_the_data():
    from contest_pipelines.definitions import defs

    graph = defs().resolve_asset_graph()

    def upstream(key: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey(key)).parent_keys}

    assert upstream("verified_solves") == {"sync_requests"}
    assert upstream("room_scoreboards") == {"settlement_ledger", "verified_solves"}
    assert upstream("tournament_scoreboards") == upstream("league_scoreboards") == {"settlement_ledger"}
    assert upstream("game_platform_sync_state") == {"challenge_solves"}
    assert upstream("calendar_pushes") == {"upcoming_contests"}
    assert upstream("achievement_solve_rollup") == {"verified_solves", "challenge_solves"}
    assert upstream("achievement_solves_10") == upstream("achievement_streak_7") == {"achievement_solve_rollup"}
    assert upstream("achievement_room_winner") == {"settlement_ledger"}
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["room_scoreboards"] == "scoring" and groups["verified_solves"] == "player_sync"
    assert upstream("player_totals") == {"challenge_solves"}
    assert all(graph.get(k).owners for k in graph.get_all_asset_keys())  # every asset has its team
