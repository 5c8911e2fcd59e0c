"""What the solve rollup's readers (the solve tiers, the first CTF solve, the streaks, the category specialist)
derive, and which changed players they skip, when their catalog row has no starting point (the rollup counts all
history; with one they read the sources, sources.py). Same contract as sources.py: a dirty query returns
`(key, at)`, a derivation one row per award it can see.

The skip rules rest on one argument, written next to each: the rollup's refreshes serialise (its checkpoint row is
locked), so among the change-log rows a reader has not consumed, the smallest count recorded before a change is no
more than the count the reader last saw, and the latest event recorded before a change is no earlier than any it
saw (and so than any completion it derived).
"""

from __future__ import annotations

from contest_pipelines.achievements.sources import SINCE

# One row per player, not their every solve. `:keys` come with `:since`, the earliest event time among each
# key's changes (NULL: unknown); a complete award no change precedes keeps its completion time, and only a
# crossing (or an earlier event) looks for the event that reached the step count, in the sources, by index,
# reading no more than that many rows.
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
