"""What a board is: its scopes and their rank semantics, the page a read returns, and its Redis keys."""

from dataclasses import dataclass

from contest_pipelines.domain.ranking import RankedRow, RankMode

BOARD_RANKING: dict[str, RankMode] = {"room": "ordinal", "tournament": "competition", "league": "dense"}


class BoardNotFound(Exception):
    pass


@dataclass(frozen=True)
class Board:
    scope: str
    scope_id: str
    ranking: RankMode
    total: int
    rows: list[RankedRow]
    source: str  # "redis" or "postgres"
    offset: int = 0


def board_key(scope: str, scope_id: str) -> str:
    """The sorted set of a board: member = user id, score = `ranking.encode(points, last scoring time)`."""
    return f"board:{scope}:{scope_id}"


def aux_key(scope: str, scope_id: str, what: str) -> str:
    """A board's companion keys: `built` (the version it reflects), `rebuilding` (lock), `build:<token>`."""
    return f"{board_key(scope, scope_id)}:{what}"
