"""The three resources every domain shares, by short key: ``registry``, ``warehouse``, ``dbt``.

They are built once per Definitions (``build_resources``) from explicit arguments or the
``CIVSTAT_*`` settings, so ``civstat pipeline --registry URL --warehouse PATH`` and the tests can
point the same assets at other databases without environment tricks. Domain modules
(landing, dbt, quality, datasets) must not define resources under these keys:
``Definitions.merge`` refuses two different objects for one key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import make_url

from pipelines.lib.warehouse import POSTGRES_SCHEMA, Warehouse
from registry_api.core.config import Settings


class RegistryResource(dg.ConfigurableResource):
    """Where the registry database is (the same URL the API uses)."""

    url: str


class WarehouseResource(dg.ConfigurableResource):
    """The working warehouse (DuckDB file or PostgreSQL URL) and the data folder where DuckDB
    publishes read-only versions."""

    target: str
    data_dir: str

    def get(self) -> Warehouse:
        return Warehouse(self.target, Path(self.data_dir))


def resolve(registry_url: str | None = None, warehouse: str | Warehouse | None = None) -> tuple[str, Warehouse]:
    """Explicit arguments win; otherwise the ``CIVSTAT_*`` settings (read fresh, not cached)."""
    settings = Settings()
    url = registry_url or settings.registry_url
    if isinstance(warehouse, Warehouse):
        wh = warehouse
    else:
        target = warehouse or settings.warehouse
        if not target.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            target = str(Path(target).resolve())
        wh = Warehouse(target, Path(settings.DATA_DIR).resolve())
    return url, wh


def dbt_env(wh: Warehouse) -> dict[str, str]:
    """The variables dbt_project/profiles.yml reads, for this warehouse."""
    if not wh.is_postgres:
        return {"CIVSTAT_DBT_TARGET": "duckdb", "CIVSTAT_DBT_DUCKDB_PATH": str(wh.duckdb_path)}
    u = make_url(wh.pg_dsn)
    return {
        "CIVSTAT_DBT_TARGET": "postgres",
        "CIVSTAT_DBT_PG_HOST": u.host or "127.0.0.1",
        "CIVSTAT_DBT_PG_PORT": str(u.port or 5432),
        "CIVSTAT_DBT_PG_USER": u.username or "postgres",
        "CIVSTAT_DBT_PG_PASSWORD": u.password or "",
        "CIVSTAT_DBT_PG_DBNAME": u.database or "postgres",
        "CIVSTAT_DBT_PG_SCHEMA": POSTGRES_SCHEMA,
    }


@contextmanager
def dbt_environment(wh: Warehouse) -> Iterator[None]:
    """Export ``dbt_env(wh)`` for the dbt subprocess (DbtCliResource passes os.environ on)."""
    values = dbt_env(wh)
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_resources(registry_url: str | None = None, warehouse: str | Warehouse | None = None) -> dict[str, Any]:
    from dagster_dbt import DbtCliResource

    from pipelines.defs.dbt.project import civstat_dbt_project

    url, wh = resolve(registry_url, warehouse)
    return {
        "registry": RegistryResource(url=url),
        "warehouse": WarehouseResource(target=wh.target, data_dir=str(wh.data_dir)),
        "dbt": DbtCliResource(project_dir=civstat_dbt_project, target=wh.kind),
    }
