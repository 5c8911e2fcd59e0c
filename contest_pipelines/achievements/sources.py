"""What each achievement is derived from: for every processor, the SQL that names what changed since its
checkpoint (its keys: players, rooms or tournaments) and the SQL that derives progress for those keys
from the full source state (re-reading a row is harmless; the upsert in processors.py is idempotent).

A dirty query returns `(key, at)`: `at` is the earliest event time among the key's new rows, or NULL
when the change has no time of its own (a profile edit): a processor that only counts (`prune`) skips a
player already complete unless a new row is dated before their completion.

A derivation returns one row per award it can see: `specifier` (the player, or `<player>:<object>`),
`user_id`, `steps` (progress, capped at the catalog's step count by the upsert), `reached_at` (the time
of the source event that completed it, NULL while incomplete), `amount` (NULL: the catalog's) and
`detail` (JSON the player sees with it). Parameters: `:keys`, `:step_count`, `:starts_at` (events
before it do not count; NULL: history counts), `:now` (the tick's clock, injected in tests).
"""

from __future__ import annotations

# Events before the catalog's starting point do not count.
STARTS = "coalesce(CAST(:starts_at AS timestamptz), '-infinity'::timestamptz)"
# Rows written by a transaction at or after the checkpoint (checkpoint.py explains why that is enough).
SINCE = "write_xid >= CAST(:lo AS text)::xid8"

# --- solves ---------------------------------------------------------------------------------------------
# A Codeforces problem verified in any room counts once, at its first verification.
VERIFIED_SOLVES = """
    SELECT DISTINCT ON (d.user_id, d.problem_id) d.user_id, to_timestamp(d.cf_timestamp) AS at
    FROM detections d WHERE d.user_id = ANY(:keys) ORDER BY d.user_id, d.problem_id, d.cf_timestamp
"""
CTF_SOLVES = """
    SELECT p.user_id, s.solved_at AS at
    FROM challenge_solves s JOIN players p ON p.game_platform_id = s.syned_user_id
    WHERE p.user_id = ANY(:keys)
"""
BOTH_SOLVES = f"SELECT * FROM ({VERIFIED_SOLVES}) verified UNION ALL {CTF_SOLVES}"

DIRTY_VERIFIED = f"SELECT user_id, to_timestamp(min(cf_timestamp)) FROM detections WHERE {SINCE} GROUP BY user_id"
# A CTF solve is the player's through their game platform id, which a player row may gain later.
DIRTY_CTF = f"""
    SELECT p.user_id, min(s.solved_at) FROM challenge_solves s JOIN players p ON p.game_platform_id = s.syned_user_id
    WHERE s.{SINCE} GROUP BY p.user_id
    UNION ALL SELECT user_id, NULL::timestamptz FROM players WHERE {SINCE} AND game_platform_id IS NOT NULL
"""
DIRTY_BOTH = f"{DIRTY_VERIFIED} UNION ALL {DIRTY_CTF}"


def solves(verified: bool = True, ctf: bool = True) -> str:
    return BOTH_SOLVES if verified and ctf else VERIFIED_SOLVES if verified else CTF_SOLVES


def count_solves(solves_sql: str) -> str:
    """Progress = the player's solves counted; complete at the step count, at the time of that solve."""
    return f"""
        SELECT s.user_id AS specifier, s.user_id, count(*)::int AS steps,
               (array_agg(s.at ORDER BY s.at))[:step_count] AS reached_at, NULL::int AS amount, NULL::jsonb AS detail
        FROM ({solves_sql}) s WHERE s.at >= {STARTS}
        GROUP BY s.user_id
    """


def first_solve(solves_sql: str) -> str:
    """A boolean award: complete at the player's first solve (min, no ordered aggregate)."""
    return f"""
        SELECT s.user_id AS specifier, s.user_id, 1 AS steps, min(s.at) AS reached_at, NULL::int AS amount,
               NULL::jsonb AS detail
        FROM ({solves_sql}) s WHERE s.at >= {STARTS}
        GROUP BY s.user_id
    """


# --- day streaks ------------------------------------------------------------------------------------------
# Consecutive days with a solve, the day being the player's own zone (UTC when unset): gaps and islands
# over distinct (player, local day). The award is reached on the step_count-th day of the first run to
# get that long, at that day's first solve; a backfilled day joins runs and may move it earlier.
STREAK = f"""
    WITH zones AS (
        SELECT user_id, coalesce(time_zone, 'UTC') AS zone FROM players WHERE user_id = ANY(:keys)
    ),
    days AS (
        SELECT s.user_id, (s.at AT TIME ZONE z.zone)::date AS day, min(s.at) AS first_at
        FROM ({BOTH_SOLVES}) s JOIN zones z USING (user_id) WHERE s.at >= {STARTS}
        GROUP BY 1, 2
    ),
    islands AS (
        SELECT user_id, day, first_at, day - (row_number() OVER (PARTITION BY user_id ORDER BY day))::int AS grp
        FROM days
    ),
    runs AS (
        SELECT user_id, min(day) AS first_day, count(*)::int AS len
        FROM islands GROUP BY user_id, grp
    ),
    per_user AS (
        SELECT user_id, max(len) AS longest,
               min(first_day + (CAST(:step_count AS int) - 1)) FILTER (WHERE len >= :step_count) AS reached_day
        FROM runs GROUP BY user_id
    )
    SELECT u.user_id AS specifier, u.user_id, u.longest AS steps, i.first_at AS reached_at, NULL::int AS amount,
           jsonb_build_object('longestStreak', u.longest, 'timeZone', z.zone) AS detail
    FROM per_user u JOIN zones z USING (user_id)
    LEFT JOIN islands i ON i.user_id = u.user_id AND i.day = u.reached_day
"""

# --- from the solve rollup (rollup.py) -------------------------------------------------------------------
# What the solve tiers, the first CTF solve, the streaks and the category specialist read when their
# catalog row has no starting point (the rollup counts all history): one row per player, not their every
# solve. `:keys` come
# with `:since`, the earliest event time among each key's changes (NULL: unknown); a complete award no
# change precedes keeps its completion time, and only a crossing (or an earlier event) looks for the
# event that reached the step count, in the sources, by index, reading no more than that many rows.
KEYS = "unnest(CAST(:keys AS text[]), CAST(:since AS timestamptz[])) AS k(user_id, since)"
KEEP = "p.complete AND p.completed_at <= k.since"


# Players the rollup changed since the checkpoint, at the earliest new event among those changes: the
# change log, which has a row for every change the rollup makes (a rebuild logs everyone, with no time).
# From the beginning (a first tick, a reader's rebuild), every player the rollup knows, with no time.
# The log is short (pruned below every reader's checkpoint): one scan, grouped, whatever the planner
# believes about rows above a fresh checkpoint (the statistics of an ever-growing xid column are always
# behind: a join it believed to be one row ran 8,000 x 8,000). `having` keeps the players a reader must
# look at.
def dirty_rollup(having: str = "true") -> str:
    return f"""
        SELECT user_id, CASE WHEN NOT bool_or(at IS NULL) THEN min(at) END FROM achievement_solve_changes c
        WHERE c.{SINCE} AND CAST(:lo AS text)::xid8 > '0'::xid8
        GROUP BY user_id HAVING {having}
        UNION ALL
        SELECT user_id, NULL FROM achievement_solve_totals WHERE CAST(:lo AS text)::xid8 = '0'::xid8
    """


DIRTY_ROLLUP = dirty_rollup()
# A change with no time (re-derived whole), or a catalog row with a starting point (derived from the
# sources, which the filters below know nothing of): looked at.
UNKNOWN = "bool_or(c.at IS NULL) OR CAST(:starts_at AS timestamptz) IS NOT NULL"
# Every new event came after the latest event counted before the changes: an award complete before them
# completed no later (its event was counted, or came earlier still), so none of them precedes it. The
# latest of the changes' prior latest events (the one before the first change the reader has not seen is
# among them, and no smaller).
AFTER_ALL_COUNTED = "bool_and(c.at IS NOT NULL AND c.prior_last_at IS NOT NULL) AND min(c.at) >= max(c.prior_last_at)"
# The solve tiers: a player with the step count counted before the first change the reader has not seen
# (the smallest prior count among the changes is that one's, or smaller) was complete then (or not
# eligible: their gate incomplete, and a gate completing brings them back, GATE_WAITING_SQL); with every
# new event after all that was counted, nothing they derive can change. Otherwise their award is looked
# up: complete, and no new event precedes its completion, it cannot change either (processors.KEYS_SQL's
# prune, for these players only).
DIRTY_ROLLUP_COUNT = dirty_rollup(f"""
    {UNKNOWN} OR min(c.prior_total) < :step_count OR NOT ({AFTER_ALL_COUNTED}) AND NOT EXISTS (
        SELECT 1 FROM achievement_progress p WHERE p.achievement_id = :id AND p.specifier = c.user_id
          AND p.complete AND p.completed_at <= min(c.at))""")
# The streaks: only a change that made the player's longest run grow, or brought an event before their
# completion, can change what they derive (the longest run is their progress and detail; the first run
# that got long enough is when they completed, and a run that newly got that long has a new day before
# the day it completed, so an event before the completion). That is looked up only when some new event
# came before the latest counted.
DIRTY_ROLLUP_STREAK = dirty_rollup(f"""
    {UNKNOWN} OR bool_or(c.longest_grew) OR NOT ({AFTER_ALL_COUNTED}) AND EXISTS (
        SELECT 1 FROM achievement_progress p WHERE p.achievement_id = :id AND p.specifier = c.user_id
          AND p.complete AND p.completed_at > min(c.at))""")
ROLLUP_COUNT = f"""
    SELECT t.user_id AS specifier, t.user_id, t.verified + t.ctf AS steps,
           CASE WHEN t.verified + t.ctf < :step_count THEN NULL WHEN {KEEP} THEN p.completed_at
                ELSE (SELECT s.at FROM (
                          SELECT to_timestamp(min(cf_timestamp)) AS at FROM detections WHERE user_id = t.user_id
                          GROUP BY problem_id
                          UNION ALL
                          SELECT solved_at FROM challenge_solves WHERE syned_user_id = t.game_platform_id) s
                      ORDER BY s.at OFFSET CAST(:step_count AS int) - 1 LIMIT 1) END AS reached_at,
           NULL::int AS amount, NULL::jsonb AS detail
    FROM {KEYS} JOIN achievement_solve_totals t USING (user_id)
    LEFT JOIN achievement_progress p ON p.achievement_id = :id AND p.specifier = t.user_id
"""
# The first CTF solve: any counted is enough; its time, by index (the player's CTF solves in time order).
ROLLUP_FIRST_CTF = f"""
    SELECT t.user_id AS specifier, t.user_id, 1 AS steps,
           CASE WHEN {KEEP} THEN p.completed_at
                ELSE (SELECT min(s.solved_at) FROM challenge_solves s WHERE s.syned_user_id = t.game_platform_id)
           END AS reached_at,
           NULL::int AS amount, NULL::jsonb AS detail
    FROM {KEYS} JOIN achievement_solve_totals t USING (user_id)
    LEFT JOIN achievement_progress p ON p.achievement_id = :id AND p.specifier = t.user_id
    WHERE t.ctf > 0
"""
# The step_count-th day of the first run that long, at that day's first solve (of either kind, from the
# sources by index over the local day's bounds).
DAY_BOUNDS = """
    SELECT r.first_day + (CAST(:step_count AS int) - 1) AS day FROM (
        SELECT r.first_day FROM achievement_solve_runs r WHERE r.user_id = t.user_id AND r.length >= :step_count
        UNION ALL  -- the finished runs, and the last run (on the totals row)
        SELECT t.last_run_first WHERE t.last_run_last - t.last_run_first + 1 >= :step_count) r
    ORDER BY r.first_day LIMIT 1
"""
FIRST_SOLVE_IN = """least(
    (SELECT min(c.solved_at) FROM challenge_solves c WHERE c.syned_user_id = t.game_platform_id
       AND c.solved_at >= b.lo AND c.solved_at < b.hi),
    (SELECT to_timestamp(min(v.first)) FROM (
        SELECT min(e.cf_timestamp) AS first FROM detections e WHERE e.user_id = t.user_id AND e.problem_id IN (
            SELECT problem_id FROM detections WHERE user_id = t.user_id
              AND cf_timestamp >= floor(extract(epoch FROM b.lo))::bigint
              AND cf_timestamp < floor(extract(epoch FROM b.hi))::bigint)
        GROUP BY e.problem_id) v
     WHERE v.first >= floor(extract(epoch FROM b.lo))::bigint))
"""
ROLLUP_STREAK = f"""
    SELECT t.user_id AS specifier, t.user_id, t.longest_run AS steps,
           CASE WHEN t.longest_run < :step_count THEN NULL WHEN {KEEP} THEN p.completed_at
                ELSE (SELECT {FIRST_SOLVE_IN} FROM (
                          SELECT (d.day::timestamp AT TIME ZONE t.zone) AS lo,
                                 ((d.day + 1)::timestamp AT TIME ZONE t.zone) AS hi FROM ({DAY_BOUNDS}) d) b)
           END AS reached_at,
           NULL::int AS amount, jsonb_build_object('longestStreak', t.longest_run, 'timeZone', t.zone) AS detail
    FROM {KEYS} JOIN achievement_solve_totals t USING (user_id)
    LEFT JOIN achievement_progress p ON p.achievement_id = :id AND p.specifier = t.user_id
    WHERE t.longest_run > 0
"""
# A key's categories the rollup changed since the checkpoint (a category it did not change derives the
# same as before), or all of them when the key's change has no time (a player re-derived, a rebuild):
# read per key by index (see DIRTY_ROLLUP on estimates above a checkpoint; OFFSET 0 keeps the planner
# from flattening it into a hash of every player's categories). Left out without a look at its award: a
# category that had the step count when the reader last looked (its count less every solve the player
# gained since the first change the reader has not seen: the smallest prior count among the changes is
# that change's, or smaller) was complete then; and if the player's new events all come after the
# category's latest solve before its latest change (no smaller than what the reader saw: it only grows),
# none precedes that completion: it cannot change (the tiers' rule, DIRTY_ROLLUP_COUNT, per category).
# Never for a key with no time: re-derived whole, or every key of a reader starting from the beginning
# (its progress may be gone: a rebuild), whatever the change log still holds.
KEY_CHANGES = f"""
    SELECT min(g.prior_total) AS prior_total FROM achievement_solve_changes g WHERE g.user_id = t.user_id AND g.{SINCE}
"""
CHANGED_CATEGORIES = f"""
    SELECT c.* FROM achievement_solve_categories c
    WHERE c.user_id = t.user_id AND (k.since IS NULL OR c.{SINCE})
      AND NOT coalesce(k.since >= c.prior_last_at
                       AND c.solves - (t.verified + t.ctf - s.prior_total) >= :step_count, false)
    OFFSET 0
"""
ROLLUP_CATEGORY = f"""
    SELECT c.user_id || ':' || c.category AS specifier, c.user_id, c.solves AS steps,
           CASE WHEN c.solves < :step_count THEN NULL WHEN {KEEP} THEN p.completed_at
                ELSE (SELECT s.solved_at FROM challenge_solves s
                      WHERE s.syned_user_id = t.game_platform_id AND lower(btrim(s.category)) = c.category
                      ORDER BY s.solved_at OFFSET CAST(:step_count AS int) - 1 LIMIT 1) END AS reached_at,
           NULL::int AS amount, jsonb_build_object('category', c.category) AS detail
    FROM {KEYS} JOIN achievement_solve_totals t USING (user_id)
    CROSS JOIN LATERAL ({KEY_CHANGES}) s
    CROSS JOIN LATERAL ({CHANGED_CATEGORIES}) c
    LEFT JOIN achievement_progress p ON p.achievement_id = :id AND p.specifier = c.user_id || ':' || c.category
    WHERE NOT coalesce({KEEP}, false)  -- a complete category no new event precedes cannot change
"""

# --- CTF categories and Flash CTF events ------------------------------------------------------------------
CATEGORY = f"""
    SELECT s.user_id || ':' || s.category AS specifier, s.user_id, count(*)::int AS steps,
           (array_agg(s.at ORDER BY s.at))[:step_count] AS reached_at, NULL::int AS amount,
           jsonb_build_object('category', s.category) AS detail
    FROM (SELECT p.user_id, lower(btrim(s.category)) AS category, s.solved_at AS at
          FROM challenge_solves s JOIN players p ON p.game_platform_id = s.syned_user_id
          WHERE p.user_id = ANY(:keys) AND btrim(s.category) <> '') s
    WHERE s.at >= {STARTS}
    GROUP BY s.user_id, s.category
"""
# A row of the vendor's Flash CTF list is taking part; it happened when the event started.
FLASH = f"""
    SELECT p.user_id || ':' || f.event_id AS specifier, p.user_id, 1 AS steps,
           coalesce(f.starts_at, f.synced_at) AS reached_at, NULL::int AS amount,
           jsonb_build_object('eventId', f.event_id, 'name', f.name, 'rank', f.rank) AS detail
    FROM flash_ctf_events f JOIN players p ON p.game_platform_id = f.syned_user_id
    WHERE p.user_id = ANY(:keys) AND coalesce(f.starts_at, f.synced_at) >= {STARTS}
"""
DIRTY_FLASH = f"""
    SELECT p.user_id, NULL::timestamptz FROM flash_ctf_events f JOIN players p ON p.game_platform_id = f.syned_user_id
    WHERE f.{SINCE}
    UNION ALL SELECT user_id, NULL::timestamptz FROM players WHERE {SINCE} AND game_platform_id IS NOT NULL
"""

# --- settled rooms and tournament weeks -------------------------------------------------------------------
# Keys are rooms. Every applied version's first place, as the ledger recorded it: a correction that
# changes the winner gives the new winner the award too, and the earlier one keeps theirs.
ROOM_WINNER = f"""
    SELECT w.user_id || ':' || l.room_id AS specifier, w.user_id, 1 AS steps, min(l.created_at) AS reached_at,
           NULL::int AS amount, jsonb_build_object('roomId', l.room_id, 'version', min(l.version)) AS detail
    FROM settlement_ledger l CROSS JOIN LATERAL unnest(l.winners) AS w(user_id)
    WHERE l.room_id = ANY(:keys) AND l.status = 'applied' AND l.created_at >= {STARTS}
    GROUP BY l.room_id, w.user_id
"""
DIRTY_ROOM_WINNER = f"SELECT room_id, NULL::timestamptz FROM settlement_ledger WHERE {SINCE} AND status = 'applied'"

# Keys are tournaments. A week is the ISO week (UTC) a room ended in; its points are the room results of
# the tournament's rooms that ended in it; once it has ended (by the tick's clock), the top 10 by rank
# (ties share a rank) are awarded, at the week's end, 3x the amount for first, 2x for second and third.
WEEK_START = "date_trunc('week', r.ends_at AT TIME ZONE 'UTC')"
WEEKLY = f"""
    WITH weeks AS (
        SELECT r.tournament_id, {WEEK_START} AS week_start, rr.user_id, sum(rr.points)::bigint AS points
        FROM rooms r JOIN room_results rr USING (room_id)
        WHERE r.tournament_id = ANY(:keys) AND r.ends_at >= {STARTS}
        GROUP BY 1, 2, 3
    ),
    ranked AS (
        SELECT *, rank() OVER (PARTITION BY tournament_id, week_start ORDER BY points DESC) AS rank
        FROM weeks
        WHERE points > 0 AND (week_start + interval '7 days') AT TIME ZONE 'UTC' <= CAST(:now AS timestamptz)
    )
    SELECT user_id || ':' || tournament_id || ':' || to_char(week_start, 'IYYY-"W"IW') AS specifier, user_id,
           1 AS steps, (week_start + interval '7 days') AT TIME ZONE 'UTC' AS reached_at,
           CAST(:amount AS int) * CASE WHEN rank = 1 THEN 3 WHEN rank <= 3 THEN 2 ELSE 1 END AS amount,
           jsonb_build_object('tournamentId', tournament_id, 'week', to_char(week_start, 'IYYY-"W"IW'),
                              'rank', rank, 'points', points) AS detail
    FROM ranked WHERE rank <= 10
"""
# Tournaments with a settlement since the checkpoint, and those with a week that ended since the last tick.
DIRTY_WEEKLY = f"""
    SELECT r.tournament_id, NULL::timestamptz FROM settlement_ledger l JOIN rooms r USING (room_id)
    WHERE l.{SINCE} AND l.status = 'applied' AND r.tournament_id IS NOT NULL
    UNION ALL
    SELECT r.tournament_id, NULL::timestamptz FROM rooms r WHERE r.tournament_id IS NOT NULL
      AND ({WEEK_START} + interval '7 days') AT TIME ZONE 'UTC'
          BETWEEN coalesce(CAST(:clock_at AS timestamptz), '-infinity') AND CAST(:now AS timestamptz)
"""

# --- the profile ------------------------------------------------------------------------------------------
# Five steps; complete at the latest dated one (the handle and the platform id carry no date of their own).
PROFILE = """
    SELECT p.user_id AS specifier, p.user_id, s.steps, CASE WHEN s.steps = 5 THEN greatest(t.at, d.at, c.at) END
           AS reached_at, NULL::int AS amount, s.detail
    FROM players p
    LEFT JOIN LATERAL (SELECT min(joined_at) AS at FROM team_members WHERE user_id = p.user_id) t ON true
    LEFT JOIN LATERAL (SELECT to_timestamp(min(cf_timestamp)) AS at FROM detections WHERE user_id = p.user_id) d ON true
    LEFT JOIN LATERAL (
        SELECT least((SELECT connected_at FROM google_accounts WHERE user_id = p.user_id AND connected),
                     (SELECT created_at FROM calendar_feed_tokens WHERE user_id = p.user_id)) AS at) c ON true
    CROSS JOIN LATERAL (
        SELECT (p.cf_handle IS NOT NULL)::int + (p.game_platform_id IS NOT NULL)::int + (t.at IS NOT NULL)::int
               + (d.at IS NOT NULL)::int + (c.at IS NOT NULL)::int AS steps,
               jsonb_build_object('codeforcesHandle', p.cf_handle IS NOT NULL,
                                  'gamePlatform', p.game_platform_id IS NOT NULL, 'team', t.at IS NOT NULL,
                                  'firstVerifiedSolve', d.at IS NOT NULL, 'calendarConnected', c.at IS NOT NULL)
               AS detail) s
    WHERE p.user_id = ANY(:keys)
"""
DIRTY_PROFILE = f"""
    SELECT user_id, NULL::timestamptz FROM players WHERE {SINCE}
    UNION ALL SELECT user_id, NULL::timestamptz FROM team_members WHERE {SINCE}
    UNION ALL {DIRTY_VERIFIED}
    UNION ALL SELECT user_id, NULL::timestamptz FROM google_accounts WHERE {SINCE}
    UNION ALL SELECT user_id, NULL::timestamptz FROM calendar_feed_tokens WHERE {SINCE}
"""
