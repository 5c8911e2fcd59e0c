"""contest_pipelines: Dagster dataflow and reconciliation engine for contest platforms."""
