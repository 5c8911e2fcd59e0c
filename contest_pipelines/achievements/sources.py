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
