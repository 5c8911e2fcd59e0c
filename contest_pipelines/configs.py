"""Run configuration (the Launchpad's form) that more than one Dagster definition takes."""

import dagster as dg


class GameSyncConfig(dg.Config):
    """Launchpad knobs of the game-platform passes: look without writing, one coach's competitors, batch size."""

    dry_run: bool = False
    coach_id: str | None = None
    batch_size: int = 100


# Runs that call Codeforces carry this tag; the production instance lets one such run go at a time
# (deploy/dagster.yaml, tag_concurrency_limits): its API allows one call per 2 s per key.
CODEFORCES_TAG = "contest_pipelines/codeforces"
