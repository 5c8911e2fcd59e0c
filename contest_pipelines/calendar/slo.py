"""The calendar SLO: each judge's contest list fetched successfully within the last 3 hours."""

import sqlalchemy as sa

from contest_pipelines.domain.slo import SloResult, age_text

LAST_OK_SQL = """
    SELECT judge, extract(epoch FROM now() - max(fetched_at) FILTER (WHERE ok)) AS age
    FROM judge_fetches GROUP BY judge ORDER BY judge
"""


def contest_lists_fresh(engine: sa.Engine, judges: list[str], limit_seconds: float = 3 * 3600) -> SloResult:
    with engine.connect() as conn:
        ages = {r.judge: (float(r.age) if r.age is not None else None) for r in conn.execute(sa.text(LAST_OK_SQL))}
    old = {j: ages.get(j) for j in judges if ages.get(j) is None or ages[j] > limit_seconds}
    metadata = {f"{j}_age_seconds": round(ages[j], 1) for j in judges if ages.get(j) is not None}
    if not old:
        return SloResult(True, "every judge's contest list is younger than 3 hours", metadata)
    text = ", ".join(f"{j} ({'no successful fetch' if a is None else age_text(a)})" for j, a in old.items())
    return SloResult(False, f"contest lists older than {age_text(limit_seconds)}: {text}", metadata)
