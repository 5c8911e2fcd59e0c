"""The solve rollup: what the solve-reading processors (the solve tiers, the streaks, the category
specialist) derive from, kept from new source rows only.

Without it each tick re-read the whole history of every player with a new solve (a tick after 10,000
solves of 8,000 players: 29.7 s). Per player it holds their verified problems and CTF solves, their CTF
solves per category, and their runs of consecutive local days with a solve.

A refresh reads the source rows at or above its checkpoint and advances it to the horizon, its snapshot's
xmin, like the processors (checkpoint.py). Counts are incremented, so a row must be counted once: the
rows above the horizon it counted (read again next time) are kept in `achievement_solve_consumed` and
skipped, until the checkpoint passes them. (Reading only below the horizon would count each row once
without that, but xmin is cluster-wide: any open transaction on the server would delay every award.)
New CTF solves add to the counts; new days merge into the runs around them (the
runs they touch are expanded to days and re-derived with the new ones). A player whose zone or game
platform id changed, or who verified a problem verified before (its first verification may move), is
re-derived whole. Every player changed gets their totals row stamped
(`write_xid`) and a row in the change log with the earliest new event's time: the processors' dirty set
(readers.DIRTY_ROLLUP). A rebuild truncates the rollup and fills it from one scan of the sources.

Deleted source rows (a room deleted with its detections) are not seen until a rebuild, as before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from contest_pipelines.achievements import checkpoint

CHECKPOINT = "solve_rollup"
TABLES = ("achievement_solve_totals", "achievement_solve_categories", "achievement_solve_runs")
HI = "CAST(:hi AS text)::xid8"
# The key a source row is remembered by once counted above the horizon.
CTF_KEY = "'c:' || s.syned_user_id || ':' || s.challenge_solve_id"
VERIFIED_KEY = "'d:' || d.id"


def since(alias: str) -> str:
    """Rows of `alias` written by a transaction at or after the checkpoint."""
    return f"{alias}.write_xid >= CAST(:lo AS text)::xid8"


def fresh(alias: str, key: str) -> str:
    """Rows of `alias` since the checkpoint that no refresh has counted yet."""
    return f"{since(alias)} AND NOT EXISTS (SELECT 1 FROM achievement_solve_consumed k WHERE k.row_key = {key})"


# Players to re-derive whole: not seen yet, or their zone or game platform id is not the one counted
# with; or a new detection of a problem they had verified before.
RESET_SQL = f"""
    SELECT p.user_id FROM players p LEFT JOIN achievement_solve_totals t USING (user_id)
    WHERE {since("p")} AND (t.user_id IS NULL OR t.zone <> coalesce(p.time_zone, 'UTC')
                          OR t.game_platform_id IS DISTINCT FROM p.game_platform_id)
    UNION
    SELECT d.user_id FROM detections d WHERE {fresh("d", VERIFIED_KEY)} AND EXISTS (
        SELECT 1 FROM detections e WHERE e.user_id = d.user_id AND e.problem_id = d.problem_id AND e.id <> d.id)
"""

# --- whole players: `{users}` filters a `user_id` column, `{gps}` a
# `syned_user_id`, `{p_users}` players `p` (all three "true" in a rebuild) ---------------------------------
WHOLE_TOTALS_SQL = """
    INSERT INTO achievement_solve_totals AS t (user_id, verified, ctf, zone, game_platform_id, last_at)
    SELECT p.user_id, coalesce(v.n, 0), coalesce(c.n, 0), coalesce(p.time_zone, 'UTC'), p.game_platform_id,
           greatest(v.last, c.last)
    FROM players p
    LEFT JOIN (SELECT user_id, count(DISTINCT problem_id)::int AS n, to_timestamp(max(cf_timestamp)) AS last
               FROM detections WHERE {users} GROUP BY user_id) v USING (user_id)
    LEFT JOIN (SELECT syned_user_id, count(*)::int AS n, max(solved_at) AS last FROM challenge_solves WHERE {gps}
               GROUP BY syned_user_id) c ON c.syned_user_id = p.game_platform_id
    WHERE {p_users}
    ON CONFLICT (user_id) DO UPDATE SET verified = excluded.verified, ctf = excluded.ctf, zone = excluded.zone,
                                        game_platform_id = excluded.game_platform_id, longest_run = 0,
                                        last_run_first = NULL, last_run_last = NULL, last_at = excluded.last_at
"""
WHOLE_CATEGORIES_SQL = """
    INSERT INTO achievement_solve_categories (user_id, category, solves, last_at)
    SELECT p.user_id, c.category, c.n, c.last
    FROM (SELECT syned_user_id, lower(btrim(category)) AS category, count(*)::int AS n, max(solved_at) AS last
          FROM challenge_solves
          WHERE {gps} AND btrim(category) <> '' GROUP BY 1, 2) c
    JOIN players p ON p.game_platform_id = c.syned_user_id
    WHERE {p_users}
    ORDER BY 1  -- a player's categories on one page: a tick reads them together
"""
# Gaps and islands over every solve's local day (a verified problem at its first verification):
# within a run, the day minus its dense rank is constant. The player's last run (the one ending last)
# and longest go on their totals row; the runs before the last are the finished runs.
WHOLE_RUNS_SQL = """
    WITH runs AS MATERIALIZED (
    SELECT user_id, min(day) AS first_day, max(day) AS last_day, max(day) - min(day) + 1 AS length,
           row_number() OVER (PARTITION BY user_id ORDER BY min(day) DESC) AS from_last,
           max(max(day) - min(day) + 1) OVER (PARTITION BY user_id) AS longest
    FROM (SELECT user_id, day, day - (dense_rank() OVER (PARTITION BY user_id ORDER BY day))::int AS grp
          FROM (SELECT z.user_id COLLATE "C" AS user_id, (s.at AT TIME ZONE z.zone)::date AS day
                FROM (SELECT user_id, to_timestamp(min(cf_timestamp)) AS at FROM detections
                      WHERE {users} GROUP BY user_id, problem_id
                      UNION ALL
                      SELECT p.user_id, s.solved_at FROM challenge_solves s
                      JOIN players p ON p.game_platform_id = s.syned_user_id
                      WHERE {gps} AND {p_users}) s
                JOIN (SELECT user_id, coalesce(time_zone, 'UTC') AS zone FROM players WHERE {users}) z
                  USING (user_id)) days) islands
    GROUP BY user_id, grp
    ),
    last AS (
        UPDATE achievement_solve_totals t SET longest_run = r.longest, last_run_first = r.first_day,
                                              last_run_last = r.last_day
        FROM runs r WHERE r.from_last = 1 AND t.user_id = r.user_id
    )
    INSERT INTO achievement_solve_runs (user_id, first_day, last_day, length)
    SELECT user_id, first_day, last_day, length FROM runs WHERE from_last > 1  -- in the window's order: by player
"""
PLAYER_GPS = "syned_user_id IN (SELECT game_platform_id FROM players WHERE user_id = ANY(:users))"
# What the whole derivation counted above the horizon: skipped when read again.
WHOLE_CONSUMED_SQL = f"""
    INSERT INTO achievement_solve_consumed (row_key, write_xid)
    SELECT {CTF_KEY}, s.write_xid FROM challenge_solves s WHERE {{gps}} AND s.write_xid >= {HI}
    UNION ALL SELECT {VERIFIED_KEY}, d.write_xid FROM detections d WHERE {{users}} AND d.write_xid >= {HI}
    ON CONFLICT DO NOTHING
"""

# --- new rows (the window) of players not re-derived whole ---------------------------------------------
# A new detection here is a problem's first verification (a repeat re-derives the player).
NEW_ROWS_SQL = f"""
    CREATE TEMP TABLE rollup_new ON COMMIT DROP AS
    SELECT t.user_id, s.solved_at AS at, (s.solved_at AT TIME ZONE t.zone)::date AS day,
           lower(btrim(s.category)) AS category, false AS verified, {CTF_KEY} AS row_key, s.write_xid
    FROM challenge_solves s JOIN achievement_solve_totals t ON t.game_platform_id = s.syned_user_id
    WHERE {fresh("s", CTF_KEY)} AND t.user_id <> ALL(CAST(:reset AS text[]))
    UNION ALL
    SELECT t.user_id, to_timestamp(d.cf_timestamp), (to_timestamp(d.cf_timestamp) AT TIME ZONE t.zone)::date,
           NULL, true, {VERIFIED_KEY}, d.write_xid
    FROM detections d JOIN achievement_solve_totals t USING (user_id)
    WHERE {fresh("d", VERIFIED_KEY)} AND t.user_id <> ALL(CAST(:reset AS text[]))
"""
APPLY_SQL = (
    """INSERT INTO achievement_solve_categories AS c (user_id, category, solves, last_at)
       SELECT user_id, category, count(*), max(at) FROM rollup_new WHERE NOT verified AND category <> ''
       GROUP BY 1, 2
       ON CONFLICT (user_id, category) DO UPDATE SET solves = c.solves + excluded.solves, prior_last_at = c.last_at,
                                                    last_at = greatest(c.last_at, excluded.last_at)""",
    # Runs: the new days no run covers yet (a day inside the player's last run, or after it, is known from
    # their totals row; an earlier one, a backfill, is looked up in the finished runs), and the days of every
    # run within a day of their span, re-derived together.
    "ANALYZE rollup_new",  # a temporary table has no statistics until analysed: the plans below need them
    """CREATE TEMP TABLE rollup_days ON COMMIT DROP AS
       SELECT DISTINCT n.user_id, n.day FROM rollup_new n JOIN achievement_solve_totals t USING (user_id)
       WHERE CASE WHEN n.day BETWEEN t.last_run_first AND t.last_run_last THEN false
                  WHEN t.last_run_last IS NULL OR n.day > t.last_run_last THEN true
                  ELSE NOT EXISTS (SELECT 1 FROM (SELECT r.last_day FROM achievement_solve_runs r
                                                  WHERE r.user_id = n.user_id AND r.first_day <= n.day
                                                  ORDER BY r.first_day DESC LIMIT 1) r WHERE r.last_day >= n.day)
             END""",
    """CREATE TEMP TABLE rollup_span ON COMMIT DROP AS
       SELECT user_id, min(day) - 1 AS lo, max(day) + 1 AS hi FROM rollup_days GROUP BY user_id""",
    "ANALYZE rollup_span",
    # The runs within a day of the span: the last run (on the totals row) if it is; finished runs only when
    # the span starts before the last run (a backfill): the one starting on or before the span and those
    # starting inside it (two index ranges per player, not their every run). New days after the last run
    # (the usual case) read no run row.
    """CREATE TEMP TABLE rollup_touched ON COMMIT DROP AS
       SELECT t.user_id, t.last_run_first AS first_day, t.last_run_last AS last_day,
              t.last_run_last - t.last_run_first + 1 AS length, false AS finished
       FROM rollup_span s JOIN achievement_solve_totals t USING (user_id)
       WHERE t.last_run_first <= s.hi AND t.last_run_last >= s.lo
       UNION ALL
       SELECT r.*, true FROM rollup_span s JOIN achievement_solve_totals t USING (user_id) CROSS JOIN LATERAL (
           (SELECT * FROM achievement_solve_runs r WHERE r.user_id = s.user_id AND r.first_day <= s.lo
            ORDER BY r.first_day DESC LIMIT 1)
           UNION ALL
           SELECT * FROM achievement_solve_runs r WHERE r.user_id = s.user_id AND r.first_day > s.lo
             AND r.first_day <= s.hi) r
       WHERE s.lo < t.last_run_first AND r.last_day >= s.lo""",
    "ANALYZE rollup_touched",
    """INSERT INTO rollup_days SELECT user_id, generate_series(first_day, last_day, interval '1 day')::date
       FROM rollup_touched""",
    """DELETE FROM achievement_solve_runs r USING rollup_touched x
       WHERE x.finished AND r.user_id = x.user_id AND r.first_day = x.first_day""",
    """CREATE TEMP TABLE rollup_runs ON COMMIT DROP AS
       SELECT user_id, min(day) AS first_day, max(day) AS last_day, max(day) - min(day) + 1 AS length
       FROM (SELECT user_id, day, day - (dense_rank() OVER (PARTITION BY user_id ORDER BY day))::int AS grp
             FROM rollup_days) islands
       GROUP BY user_id, grp""",
    # Per player, the re-derived run ending last and the longest re-derived. Runs only grow here: the longest
    # is the greater of it and the one held, and the player's last run is that run when it ends on or after
    # the one held (it then contains it, or follows it), else the one held (the new days were a backfill).
    """CREATE TEMP TABLE rollup_last ON COMMIT DROP AS
       SELECT DISTINCT ON (r.user_id) r.user_id, r.first_day, r.last_day,
              max(r.length) OVER (PARTITION BY r.user_id) AS longest,
              r.last_day >= coalesce(t.last_run_last, r.last_day) AS replaces
       FROM rollup_runs r JOIN achievement_solve_totals t USING (user_id) ORDER BY r.user_id, r.last_day DESC""",
    # The finished runs: the re-derived ones but the player's new last run; and the last run held, untouched,
    # when a new run after it replaces it.
    """INSERT INTO achievement_solve_runs (user_id, first_day, last_day, length)
       SELECT r.* FROM rollup_runs r LEFT JOIN rollup_last l
         ON l.user_id = r.user_id AND l.first_day = r.first_day AND l.replaces
       WHERE l.user_id IS NULL
       UNION ALL
       SELECT t.user_id, t.last_run_first, t.last_run_last, t.last_run_last - t.last_run_first + 1
       FROM rollup_last l JOIN achievement_solve_totals t USING (user_id)
       WHERE l.replaces AND t.last_run_last IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM rollup_touched x WHERE x.user_id = l.user_id AND NOT x.finished)""",
    # The change log: one row per player changed, at the earliest new event, saying whether their longest
    # run grew, and what was counted before (the totals row, before the update below).
    """INSERT INTO achievement_solve_changes (user_id, at, longest_grew, prior_total, prior_last_at)
       SELECT x.user_id, x.at, coalesce(l.longest > t.longest_run, false), t.verified + t.ctf, t.last_at
       FROM (SELECT user_id, min(at) AS at FROM rollup_new GROUP BY user_id) x
       JOIN achievement_solve_totals t USING (user_id) LEFT JOIN rollup_last l USING (user_id)""",
    # One update per player (it stamps them): solves added (a new detection here is a first verification of
    # a problem, and the only new one of it: a repeat re-derives the player), the longest and last run.
    """UPDATE achievement_solve_totals t
       SET ctf = t.ctf + x.ctf, verified = t.verified + x.verified, last_at = greatest(t.last_at, x.last_at),
           longest_run = greatest(t.longest_run, l.longest),
           last_run_first = CASE WHEN l.replaces THEN l.first_day ELSE t.last_run_first END,
           last_run_last = CASE WHEN l.replaces THEN l.last_day ELSE t.last_run_last END
       FROM (SELECT user_id, count(*) FILTER (WHERE NOT verified) AS ctf, count(*) FILTER (WHERE verified) AS verified,
                    max(at) AS last_at
             FROM rollup_new GROUP BY user_id) x
       LEFT JOIN rollup_last l USING (user_id)
       WHERE t.user_id = x.user_id""",
    # Counted above the horizon: read again next time, skipped then; below the new checkpoint, never again.
    f"""INSERT INTO achievement_solve_consumed (row_key, write_xid) SELECT row_key, write_xid FROM rollup_new
        WHERE write_xid >= {HI} ON CONFLICT DO NOTHING""",
    f"DELETE FROM achievement_solve_consumed WHERE write_xid < {HI}",
)
# A rebuild: every player changed, with no time of their own (each reader re-derives everyone).
LOG_EVERYONE_SQL = (
    "INSERT INTO achievement_solve_changes (user_id, at) SELECT user_id, NULL FROM achievement_solve_totals"
)
LOG_RESET_SQL = "INSERT INTO achievement_solve_changes (user_id, at) SELECT unnest(CAST(:users AS text[])), NULL"
# Rows every processor reading the rollup has consumed (an inactive one keeps its checkpoint, and rows).
PRUNE_SQL = """
    DELETE FROM achievement_solve_changes WHERE write_xid < (
        SELECT CASE WHEN count(*) = cardinality(CAST(:consumers AS text[])) THEN min(lower_xid) END
        FROM achievement_checkpoints WHERE processor = ANY(CAST(:consumers AS text[])))
"""


@dataclass(frozen=True)
class RefreshReport:
    players: int  # players changed
    reset: int  # of which re-derived whole (new, a zone or game platform id changed, a repeat verification)
    duration_ms: int


def refresh(engine: sa.Engine, consumers: list[str], *, rebuild: bool = False) -> RefreshReport:
    """Brings the rollup up to the horizon, in one transaction (a rebuild: from empty). `consumers`: the
    processors reading it, whose checkpoints bound the change log's pruning."""
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        conn.execute(sa.text("SET LOCAL jit = off"))  # compiling costs more than these statements run
        if rebuild:
            checkpoint.reset(conn, CHECKPOINT)
        lo, _ = checkpoint.lower_bound(conn, CHECKPOINT)
        hi = checkpoint.horizon(conn)
        bounds = {"lo": str(lo), "hi": str(hi)}
        if lo == 0:  # from empty: one scan of the sources
            conn.execute(
                sa.text(f"TRUNCATE {', '.join(TABLES)}, achievement_solve_changes, achievement_solve_consumed")
            )
            conn.execute(sa.text("SET LOCAL work_mem = '256MB'"))  # one sort of every solve's day, in memory
            conn.execute(sa.text("SET LOCAL enable_nestloop = off"))  # hash joins over whole tables
            _derive_whole(conn, bounds, users=None)
            players = conn.execute(sa.text(LOG_EVERYONE_SQL)).rowcount
            reset = changed = players
        else:
            reset_users = sorted(conn.execute(sa.text(RESET_SQL), bounds).scalars())
            if reset_users:
                for table in TABLES:
                    conn.execute(sa.text(f"DELETE FROM {table} WHERE user_id = ANY(:users)"), {"users": reset_users})
                _derive_whole(conn, bounds, users=reset_users)
                conn.execute(sa.text(LOG_RESET_SQL), {"users": reset_users})
            conn.execute(sa.text(NEW_ROWS_SQL), {**bounds, "reset": reset_users})
            for statement in APPLY_SQL:
                conn.execute(sa.text(statement), bounds)
            new = conn.execute(sa.text("SELECT count(DISTINCT user_id) FROM rollup_new")).scalar_one()
            reset, changed = len(reset_users), new + len(reset_users)
            conn.execute(sa.text(PRUNE_SQL), {"consumers": consumers})
        ms = int((time.monotonic() - started) * 1000)
        checkpoint.advance(conn, CHECKPOINT, hi, None, players=changed, changed=changed, completed=0, ms=ms)
    if lo == 0:  # refilled: the next refresh's plans need the tables' new size (autovacuum may come later)
        with engine.begin() as conn:
            conn.execute(sa.text(f"ANALYZE {', '.join(TABLES)}"))
    return RefreshReport(changed, reset, int((time.monotonic() - started) * 1000))


def _derive_whole(conn: sa.Connection, bounds: dict, users: list[str] | None) -> None:
    """Whole players from the sources: `users`, or everyone (a rebuild: no filter)."""
    if users is None:
        where = {"users": "true", "gps": "true", "p_users": "true"}
    else:
        where = {"users": "user_id = ANY(:users)", "gps": PLAYER_GPS, "p_users": "p.user_id = ANY(:users)"}
    params = {**bounds, "users": users}
    for sql in (WHOLE_TOTALS_SQL, WHOLE_CATEGORIES_SQL, WHOLE_RUNS_SQL, WHOLE_CONSUMED_SQL):
        conn.execute(sa.text(sql.format(**where)), params)
