"""Settlement deltas, pure: what must change in the standings to move a room from the result applied
last to the result computed now, and the hash that says whether anything changed."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from contest_pipelines.domain.scoring import MemberResult


@dataclass(frozen=True)
class Delta:
    user_id: str
    points_delta: int
    points: int
    last_scored_at: datetime | None
    removed: bool = False  # the member left the room: their result row goes, their points come back


def canonical(results: Mapping[str, MemberResult]) -> list[tuple[str, int, int | None]]:
    return sorted(
        (user, r.points, None if r.last_scored_at is None else int(r.last_scored_at.timestamp()))
        for user, r in results.items()
    )


def result_hash(results: Mapping[str, MemberResult]) -> str:
    """sha256 over the canonical per-member results: equal results, equal hash, whatever the order."""
    digest = hashlib.sha256()
    for user, points, at in canonical(results):
        digest.update(f"{user}\x1f{points}\x1f{'' if at is None else at}\x1e".encode())
    return digest.hexdigest()


ZERO = MemberResult(0, None)


def deltas(previous: Mapping[str, MemberResult], current: Mapping[str, MemberResult]) -> list[Delta]:
    """Members whose result changed, with the points to add; a member gone from the room gives back all.
    A member absent from either side counts as 0 points, never scored: an unchanged 0 is no change."""
    changes = []
    for user in sorted(set(previous) | set(current)):
        before, after = previous.get(user, ZERO), current.get(user)
        if after is not None and before == after:
            continue
        now = after or ZERO
        changes.append(Delta(user, now.points - before.points, now.points, now.last_scored_at, removed=after is None))
    return changes
