"""Achievements (issue 11, seed 003): processors that re-derive each achievement's progress from the
product's own tables on a tick: idempotent, restart-safe, backfill-friendly."""
