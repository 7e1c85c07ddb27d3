"""dagster.yaml for ``civstat dagster`` and in-process runs.

Local: SQLite storage under DAGSTER_HOME (Dagster's default). Production
(``CIVSTAT_DAGSTER_PG_URL`` set): runs, event logs and schedules in PostgreSQL via
dagster-postgres, so the webserver, the daemon and run workers on other machines share one
instance (docs/scaling.md). Either way: telemetry off, and the run queue lets at most one run
tagged ``civstat/warehouse`` (both pipeline jobs) go at a time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from pipelines.defs.jobs import TAGS


def dagster_config(pg_url: str | None = None) -> dict[str, Any]:
    key, value = next(iter(TAGS.items()))
    config: dict[str, Any] = {
        "telemetry": {"enabled": False},
        "run_queue": {
            "max_concurrent_runs": 4,
            "tag_concurrency_limits": [{"key": key, "value": value, "limit": 1}],
        },
    }
    if pg_url:
        config["storage"] = {"postgres": {"postgres_url": pg_url.replace("postgresql+psycopg://", "postgresql://", 1)}}
    return config


def write_dagster_yaml(home: Path, pg_url: str | None = None) -> Path:
    pg_url = pg_url if pg_url is not None else os.environ.get("CIVSTAT_DAGSTER_PG_URL")
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    path.write_text(yaml.safe_dump(dagster_config(pg_url), sort_keys=False))
    return path
