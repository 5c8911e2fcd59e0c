"""Pure decisions with no I/O: the validation matrix, backoff, scoring, ranking, settlement deltas,
activity tiers, the room-status rule, and the roster diff. No database, cache, HTTP or Dagster here."""
