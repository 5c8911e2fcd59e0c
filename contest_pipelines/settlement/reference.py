"""The room's result through the pure scoring rules, read row by row: the oracle that the
settlement's SQL (`result.room_result_sql`) is held to by the tests and the benchmark baseline."""

from datetime import UTC, datetime

import sqlalchemy as sa

from contest_pipelines.db.tables import detections, guesses, room_members, room_problems
from contest_pipelines.domain.scoring import Guess, MemberResult, Solve, contest_results, prediction_results
from contest_pipelines.settlement.result import final_score


def room_result(conn: sa.Connection, room: sa.Row) -> dict[str, MemberResult]:
    """The room's result now, from its source data, through the pure scoring rules (the reference
    that `room_result_sql` must equal)."""
    members = (
        conn.execute(sa.select(room_members.c.user_id).where(room_members.c.room_id == room.room_id)).scalars().all()
    )
    if room.kind == "contest":
        solves = conn.execute(
            sa.select(detections.c.user_id, detections.c.problem_id, room_problems.c.points, detections.c.cf_timestamp)
            .join(
                room_problems,
                sa.and_(
                    room_problems.c.room_id == detections.c.room_id,
                    room_problems.c.problem_id == detections.c.problem_id,
                ),
            )
            .where(detections.c.room_id == room.room_id)
        ).all()
        return contest_results(members, [Solve(u, p, pts, datetime.fromtimestamp(ts, UTC)) for u, p, pts, ts in solves])
    home, away = final_score(conn, room)
    rows = conn.execute(
        sa.select(guesses.c.user_id, guesses.c.home, guesses.c.away, guesses.c.guessed_at).where(
            guesses.c.room_id == room.room_id
        )
    ).all()
    return prediction_results(members, [Guess(g.user_id, g.home, g.away, g.guessed_at) for g in rows], home, away)
