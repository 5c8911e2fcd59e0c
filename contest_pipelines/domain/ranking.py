"""Ranking, pure and implemented once: the board order, its exact encoding as a Redis score, and the
three rank semantics.

Order: points descending, then the earlier last-scoring time (never scored sorts after any time),
then user id ascending. A Redis sorted set orders by score ascending and then by member bytes
ascending, so `encode` maps (points, time) to a float whose ascending order is the board order and
the user id is the member. The float is exact: |points| < 2^21 and seconds since 2020 < 2^31 use
52 bits of the 53-bit mantissa.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

RankMode = Literal["ordinal", "competition", "dense"]

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
TIME_SLOTS = 2**31
NEVER = TIME_SLOTS - 1  # "never scored" sorts after every real time
MAX_POINTS = 2**21


@dataclass(frozen=True)
class Row:
    user_id: str
    points: int
    last_scored_at: datetime | None


@dataclass(frozen=True)
class RankedRow:
    rank: int
    user_id: str
    points: int
    last_scored_at: datetime | None


EPOCH_SECONDS = int(EPOCH.timestamp())


def slot_of_seconds(seconds: int | None) -> int:
    if seconds is None:
        return NEVER
    slot = seconds - EPOCH_SECONDS
    if not 0 <= slot < NEVER:
        moment = datetime.fromtimestamp(seconds, UTC).isoformat()
        raise ValueError(f"last-scoring time {moment} is outside the board's range (2020..2088)")
    return slot


def encode(points: int, last_scored_at: datetime | None) -> float:
    return encode_seconds(points, None if last_scored_at is None else math.floor(last_scored_at.timestamp()))


def encode_seconds(points: int, seconds: int | None) -> float:
    """`encode` for a time given as Unix seconds (what bulk paths read from SQL, skipping datetimes)."""
    if not -MAX_POINTS < points < MAX_POINTS:
        raise ValueError(f"{points} points do not fit a board score (|points| < {MAX_POINTS})")
    return float(-points * TIME_SLOTS + slot_of_seconds(seconds))


def decode(score: float) -> tuple[int, datetime | None]:
    value = int(score)
    points, slot = -(value // TIME_SLOTS), value % TIME_SLOTS
    return points, None if slot == NEVER else datetime.fromtimestamp(EPOCH.timestamp() + slot, UTC)


def sort_key(row: Row) -> tuple[float, str]:
    return encode(row.points, row.last_scored_at), row.user_id


def tie_key(row: "Row | RankedRow") -> tuple[int, datetime | None]:
    """Rows tie when everything but the user id is equal."""
    return row.points, row.last_scored_at


def rank_rows(
    rows: Iterable[Row], mode: RankMode, *, offset: int = 0, first_rank: int | None = None
) -> list[RankedRow]:
    """Rank rows given in board order: ordinal 1,2,3,4; competition 1,2,2,4; dense 1,2,2,3.

    For a page that starts at `offset`, the caller gives the first row's rank under `mode`
    (competition: 1 + rows strictly better; dense: 1 + distinct better keys); ordinal needs none.
    """
    ranked: list[RankedRow] = []
    for index, row in enumerate(rows):
        if index == 0:
            rank = offset + 1 if mode == "ordinal" or first_rank is None else first_rank
        elif mode == "ordinal":
            rank = offset + index + 1
        elif tie_key(row) == tie_key(ranked[-1]):
            rank = ranked[-1].rank
        else:
            rank = offset + index + 1 if mode == "competition" else ranked[-1].rank + 1
        ranked.append(RankedRow(rank, row.user_id, row.points, row.last_scored_at))
    return ranked
