"""The game platform's freshness SLO: each competitor synced within its activity tier's interval
(active <= 30 min, moderate <= 2 h, inactive <= 8 h stale), counted per tier."""

import sqlalchemy as sa

from contest_pipelines.domain.slo import SloResult
from contest_pipelines.domain.tiers import SYNC_INTERVAL

# Per tier: competitors, and those whose last sync (ODL) is older than the tier's interval plus the
# grace of one schedule tick; one never synced counts from when its first sync fell due.
STALE_SQL = """
    SELECT s.activity_tier AS tier, count(*) AS competitors,
           count(*) FILTER (WHERE coalesce(s.last_odl_synced_at, s.next_due_at) < now() - make_interval(
               secs => CASE s.activity_tier {cases} END + :grace)) AS stale
    FROM sync_state s GROUP BY s.activity_tier
"""


def freshness(engine: sa.Engine, grace_seconds: float = 300) -> SloResult:
    cases = " ".join(f"WHEN '{tier}' THEN {interval.total_seconds()}" for tier, interval in SYNC_INTERVAL.items())
    with engine.connect() as conn:
        rows = conn.execute(sa.text(STALE_SQL.format(cases=cases)), {"grace": grace_seconds}).all()
    by_tier = {r.tier: (r.competitors, r.stale) for r in rows}
    stale = {tier: s for tier, (_, s) in by_tier.items() if s}
    metadata = {f"{tier}_stale": by_tier.get(tier, (0, 0))[1] for tier in SYNC_INTERVAL}
    metadata |= {f"{tier}_competitors": by_tier.get(tier, (0, 0))[0] for tier in SYNC_INTERVAL}
    if not stale:
        return SloResult(True, "every competitor synced within its tier's interval", metadata)
    text = ", ".join(f"{n} {tier} (> {SYNC_INTERVAL[tier]})" for tier, n in stale.items())  # type: ignore[index]
    return SloResult(False, f"competitors not synced within their tier's interval: {text}", metadata)
