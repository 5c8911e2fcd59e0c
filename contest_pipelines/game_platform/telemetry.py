"""Sync-health telemetry (seed 001, sections 19-22): what each pass did, truthfully, on the run and in `sync_runs`."""

from dataclasses import asdict, dataclass, field
from datetime import datetime

import sqlalchemy as sa

from contest_pipelines.db.tables import sync_runs

ERROR_SAMPLES = 5
# Counters with a column of their own in sync_runs; everything else goes into its `batch` JSON.
COLUMNS = {
    "processed": "processed",
    "synced": "with_new_data",
    "skipped": "skipped",
    "api_calls": "api_calls",
    "errors": "errors",
    "duration_ms": "duration_ms",
}


@dataclass
class Telemetry:
    processed: int = 0
    synced: int = 0  # competitors with new solves
    skipped: int = 0  # competitors asked, nothing new (section 21: never counted as synced)
    errors: int = 0
    new_solves: int = 0
    api_calls: int = 0
    flash_sentinel: str = "not run"
    flash_events_synced: int = 0
    duration_ms: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    def error(self, sample: str) -> None:
        """Count a failed call; the first few say which competitor and why."""
        self.errors += 1
        self.error_samples.append(sample)

    def as_dict(self) -> dict:
        return asdict(self) | {"error_samples": self.error_samples[:ERROR_SAMPLES]}

    def as_metadata(self) -> dict:
        """What an asset materialisation shows in the Dagster UI."""
        t = self.as_dict()
        return {
            "dagster/row_count": t["new_solves"],
            **{k: t[k] for k in ("processed", "synced", "skipped", "new_solves", "api_calls", "errors")},
            "flash_sentinel": t["flash_sentinel"],
            "flash_events_synced": t["flash_events_synced"],
            "duration_ms": round(t["duration_ms"], 1),
            "error_samples": "; ".join(t["error_samples"]) or "none",
        }


def record_run(
    engine: sa.Engine, job: str, run_id: str | None, started_at: datetime, telemetry: Telemetry, dry_run: bool
) -> None:
    """One `sync_runs` row per pass: the history behind the sync-health dashboards."""
    values = telemetry.as_dict()
    with engine.begin() as conn:
        conn.execute(
            sync_runs.insert().values(
                job=job,
                dagster_run_id=run_id,
                started_at=started_at,
                finished_at=sa.func.now(),
                dry_run=dry_run,
                **{column: values[name] for name, column in COLUMNS.items()},
                batch={k: v for k, v in values.items() if k not in COLUMNS},
            )
        )
