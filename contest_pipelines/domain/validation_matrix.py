"""The validation matrix (seed 000): does a player's recent Codeforces history prove a solve?

Five checks on each submission: verdict OK, created at or after the problem's reveal, at or before
the room's end, `contestId + index` equal to the requested problem, and an author member whose handle
equals the player's (case-insensitive). A matching submission still being judged means "look again
soon"; it never fails a request.
"""

import re
from dataclasses import dataclass
from typing import Literal

JUDGING_VERDICTS = frozenset({None, "TESTING", "SUBMITTED"})
PROBLEM_ID = re.compile(r"^(?P<contest>[1-9][0-9]*)(?P<index>[A-Za-z][A-Za-z0-9]*)$")


@dataclass(frozen=True)
class Submission:
    """The fields of a Codeforces submission the matrix reads."""

    id: int
    creation_time: int
    problem_contest_id: int | None
    problem_index: str
    verdict: str | None
    handles: tuple[str, ...]

    @property
    def problem_id(self) -> str | None:
        if self.problem_contest_id is None:
            return None
        return f"{self.problem_contest_id}{self.problem_index.upper()}"

    @property
    def judging(self) -> bool:
        return self.verdict in JUDGING_VERDICTS


@dataclass(frozen=True)
class Target:
    """What the player claims: a problem of a room, solved with their handle inside the room's window."""

    problem_id: str
    handle: str
    revealed_at: float
    ends_at: float


@dataclass(frozen=True)
class Detected:
    submission: Submission
    kind: Literal["detected"] = "detected"


@dataclass(frozen=True)
class Pending:
    submission: Submission
    kind: Literal["pending"] = "pending"


@dataclass(frozen=True)
class Rejected:
    verdict: Literal["WA", "invalid"]
    detail: str
    kind: Literal["rejected"] = "rejected"


Outcome = Detected | Pending | Rejected


def normalize_problem_id(problem_id: str) -> str:
    """`1843a` -> `1843A`; raises ValueError for anything that is not a contest id followed by an index."""
    match = PROBLEM_ID.match(problem_id.strip())
    if not match:
        raise ValueError(f"problem id {problem_id!r} is not a Codeforces contest id followed by an index, like 1843A")
    return f"{match['contest']}{match['index'].upper()}"


def authored_by(submission: Submission, handle: str) -> bool:
    wanted = handle.casefold()
    return any(member.casefold() == wanted for member in submission.handles)


def in_window(submission: Submission, target: Target) -> bool:
    return target.revealed_at <= submission.creation_time <= target.ends_at


def evaluate(submissions: list[Submission], target: Target) -> Outcome:
    """Decide a sync request from the player's recent submissions (any order)."""
    wanted = normalize_problem_id(target.problem_id)
    on_problem = [s for s in submissions if s.problem_id == wanted and authored_by(s, target.handle)]
    candidates = sorted((s for s in on_problem if in_window(s, target)), key=lambda s: (s.creation_time, s.id))

    accepted = next((s for s in candidates if s.verdict == "OK"), None)
    judging = next((s for s in candidates if s.judging), None)
    # An earlier submission still being judged could still become the earliest accepted one.
    if judging is not None and (
        accepted is None or (judging.creation_time, judging.id) < (accepted.creation_time, accepted.id)
    ):
        return Pending(judging)
    if accepted is not None:
        return Detected(accepted)
    if candidates:
        last = candidates[-1]
        return Rejected("WA", f"submission {last.id} on {wanted} was judged {last.verdict}")
    return Rejected("invalid", _why_invalid(on_problem, submissions, wanted, target))


def _why_invalid(on_problem: list[Submission], submissions: list[Submission], wanted: str, target: Target) -> str:
    accepted = [s for s in on_problem if s.verdict == "OK"]
    if any(s.creation_time < target.revealed_at for s in accepted):
        return f"the accepted submission on {wanted} was made before the problem was revealed"
    if any(s.creation_time > target.ends_at for s in accepted):
        return f"the accepted submission on {wanted} was made after the room ended"
    if on_problem:
        return f"no submission on {wanted} inside the room's window"
    if any(s.problem_id == wanted for s in submissions):
        return f"submissions on {wanted} were not authored by {target.handle}"
    return f"no submission on {wanted} among the recent submissions of {target.handle}"
