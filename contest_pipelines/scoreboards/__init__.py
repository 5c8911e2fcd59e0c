"""Scoreboards, the read model capabilities share: PostgreSQL is the truth, Redis sorted sets the projection.

`board` says what a board is, `queries` computes it in SQL, `store` keeps its Redis projection and
`read` decides where a page comes from. Boards are `room`, `tournament` and `league`.
"""

from contest_pipelines.scoreboards.board import BOARD_RANKING, Board, BoardNotFound, board_key
from contest_pipelines.scoreboards.queries import all_rows
from contest_pipelines.scoreboards.read import read, read_teams, room_teams
from contest_pipelines.scoreboards.store import project, rebuild

__all__ = [
    "BOARD_RANKING",
    "Board",
    "BoardNotFound",
    "all_rows",
    "board_key",
    "project",
    "read",
    "read_teams",
    "room_teams",
    "rebuild",
]
