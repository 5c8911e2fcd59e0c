"""A room's result as SQL generated from the pure scoring rules, the scopes it counts in, and the
rooms that make up a scope. `reference.room_result` is the pure-Python twin the tests hold it to."""

import sqlalchemy as sa

from contest_pipelines.db.sql import seconds
from contest_pipelines.db.tables import match_results, tournaments
from contest_pipelines.domain.room_status import ENDED
from contest_pipelines.domain.scoring import prediction_points_sql


class RoomNotSettleable(Exception):
    """The room cannot be settled now (unknown, or its match has no final result yet)."""


def room_scopes(conn: sa.Connection, room: sa.Row) -> list[tuple[str, str]]:
    if room.tournament_id is None:
        return []
    league_id = conn.execute(
        sa.select(tournaments.c.league_id).where(tournaments.c.tournament_id == room.tournament_id)
    ).scalar_one()
    return [("tournament", room.tournament_id), ("league", league_id)]


def final_score(conn: sa.Connection, room: sa.Row) -> tuple[int, int]:
    final = conn.execute(sa.select(match_results).where(match_results.c.room_id == room.room_id)).one_or_none()
    if final is None or final.status != ENDED or final.home_score is None or final.away_score is None:
        raise RoomNotSettleable(f"room {room.room_id}: the match provider has not reported a final score")
    return final.home_score, final.away_score


# A room's result as SQL: every member with (user_id, points, last_scored_at), times in whole seconds.
CONTEST_RESULT_SQL = """
    SELECT m.user_id, COALESCE(sum(f.points), 0)::integer AS points,
           to_timestamp(max(f.cf_timestamp) FILTER (WHERE f.points > 0)) AS last_scored_at
    FROM room_members m LEFT JOIN (
        SELECT DISTINCT ON (d.user_id, d.problem_id) d.user_id, rp.points, d.cf_timestamp
        FROM detections d JOIN room_problems rp ON rp.room_id = d.room_id AND rp.problem_id = d.problem_id
        WHERE d.room_id = :room_id ORDER BY d.user_id, d.problem_id, d.cf_timestamp) f ON f.user_id = m.user_id
    WHERE m.room_id = :room_id GROUP BY m.user_id"""
PREDICTION_RESULT_SQL = f"""
    SELECT user_id, points, CASE WHEN points > 0 THEN date_trunc('second', guessed_at, 'UTC') END AS last_scored_at
    FROM (SELECT m.user_id, g.guessed_at, {prediction_points_sql()} AS points
          FROM room_members m LEFT JOIN guesses g ON g.room_id = m.room_id AND g.user_id = m.user_id
          WHERE m.room_id = :room_id) scored"""
# sha256 over the same canonical text as domain.settlement.result_hash: equal results, equal hash.
# `COLLATE "C"` sorts user ids by UTF-8 bytes, which is Python's code point order.
RESULT_SUMMARY_SQL = f"""
    SELECT count(*) AS members, COALESCE(sum(points), 0) AS points_total,
           encode(sha256(convert_to(COALESCE(string_agg(
               user_id || chr(31) || points || chr(31) || COALESCE({seconds("last_scored_at")}::text, '') || chr(30),
               '' ORDER BY user_id COLLATE "C"), ''), 'UTF8')), 'hex') AS result_hash
    FROM settle_current"""


def room_result_sql(conn: sa.Connection, room: sa.Row) -> tuple[str, dict[str, object]]:
    """The SQL (and its parameters) of the room's result now; RoomNotSettleable if it has none yet."""
    if room.kind == "contest":
        return CONTEST_RESULT_SQL, {"room_id": room.room_id}
    home, away = final_score(conn, room)
    return PREDICTION_RESULT_SQL, {"room_id": room.room_id, "home": home, "away": away}


# Rooms whose results make up a standings scope.
SCOPE_ROOMS = {
    "tournament": "SELECT room_id FROM rooms WHERE tournament_id = :scope_id",
    "league": "SELECT r.room_id FROM rooms r JOIN tournaments t USING (tournament_id) WHERE t.league_id = :scope_id",
}
