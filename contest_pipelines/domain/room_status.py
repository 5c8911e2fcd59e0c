"""The room-status rule, pure: what a match provider report changes, and when it asks for a settlement.

A settlement is requested only on a real `previous != ended -> ended` transition, or when the final
score of an ended match is corrected; a report equal to the last one changes nothing.
"""

from dataclasses import dataclass

ENDED = "ended"


@dataclass(frozen=True)
class MatchReport:
    """What the match provider says about a prediction room's match."""

    status: str
    home: int | None
    away: int | None

    @property
    def final(self) -> bool:
        return self.status == ENDED


@dataclass(frozen=True)
class Transition:
    """The change one report makes: the room's new status and whether it settles the room."""

    previous: str | None
    current: str
    room_status: str
    settlement_requested: bool
    result_hash: str | None  # "home:away" of a final score


def transition(before: MatchReport | None, report: MatchReport) -> Transition | None:
    """The transition from the last stored report to this one; None when nothing changed."""
    if before == report:
        return None
    corrected = before is not None and (before.home, before.away) != (report.home, report.away)
    first_end = before is None or before.status != ENDED
    return Transition(
        previous=before.status if before else None,
        current=report.status,
        room_status=ENDED if report.final else report.status,
        settlement_requested=report.final and (first_end or corrected),
        result_hash=f"{report.home}:{report.away}" if report.final else None,
    )
