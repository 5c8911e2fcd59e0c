"""The CTF game-platform integration (seed 001): incremental solves sync and day backfills, the
totals sweep, onboarding competitors, roster reconciliation, and the sync-health telemetry."""
