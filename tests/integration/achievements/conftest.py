"""Shared by the achievement tests: three players in a room, u1 linked to the game platform as g1."""

import pytest

from contest_pipelines.db.tables import players
from tests.factories import load, room_fixture


@pytest.fixture
def world(db):
    load(db, room_fixture(players={"u1": "tourist", "u2": "petr", "u3": None}))
    with db.begin() as conn:
        conn.execute(players.update().where(players.c.user_id == "u1").values(game_platform_id="g1"))
    return db
