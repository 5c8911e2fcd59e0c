"""Writes the Dagster instance config ($DAGSTER_HOME/dagster.yaml) from the repository's dagster.yaml."""

from pathlib import Path

import yaml

REPO_INSTANCE_YAML = Path(__file__).resolve().parent.parent / "dagster.yaml"


def write_instance_yaml(dagster_home: Path, use_postgres: bool, template: Path = REPO_INSTANCE_YAML) -> Path:
    """PostgreSQL storage reads DAGSTER_POSTGRES_URL at start-up, so no secret is written to disk."""
    config = yaml.safe_load(template.read_text()) if template.exists() else {}
    if use_postgres:
        config["storage"] = {"postgres": {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}}
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target
