"""Run configuration (the Launchpad's form) that more than one Dagster definition takes."""

import dagster as dg


class GameSyncConfig(dg.Config):
    """Launchpad knobs of the game-platform passes: look without writing, one coach's competitors, batch size."""

    dry_run: bool = False
    coach_id: str | None = None
    batch_size: int = 100
