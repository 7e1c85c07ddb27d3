"""A PostgreSQL warehouse (marts in ``analytics``) releases the same bytes as the DuckDB one
holding the same rows: the release does not depend on where the marts live."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from datasets.release import release_all
from pipelines.lib.warehouse import Warehouse
from registry_api.core.config import Settings
from tests.datasets.conftest import KEYS, Released

pytestmark = pytest.mark.postgres

TABLES = ("dim_geography", "dim_region", "fct_birth", "fct_death", "fct_marriage", "fct_divorce",
          "ind_vital_region_month", "publish_meta")
PG_TYPES = {"BIGINT": "bigint", "INTEGER": "integer", "VARCHAR": "text", "DATE": "date", "BOOLEAN": "boolean",
            "DOUBLE": "double precision", "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz"}


def _copy_to_postgres(released: Released, url: str) -> None:
    import psycopg

    published = released.data_dir / "published" / (released.data_dir / "published" / "CURRENT").read_text().strip()
    src = duckdb.connect(str(published), read_only=True)
    try:
        with psycopg.connect(url) as pg:
            pg.execute("create schema analytics")
            for name in TABLES:
                cols = src.execute(f"describe {name}").fetchall()
                ddl = ", ".join(f'"{c[0]}" {PG_TYPES[c[1]]}' for c in cols)
                pg.execute(f"create table analytics.{name} ({ddl})")
                rows = src.execute(f"select * from {name}").fetchall()
                with pg.cursor().copy(f"copy analytics.{name} from stdin") as cp:
                    for row in rows:
                        cp.write_row(row)
    finally:
        src.close()


def test_postgres_marts_release_the_same_versions(released: Released, pg_database_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg_database_factory()
    _copy_to_postgres(released, url)
    wh = Warehouse(url, tmp_path)
    settings = Settings(DATA_DIR=tmp_path, WAREHOUSE=url, REGISTRY_URL=released.registry_url, PSEUDONYM_KEYS=KEYS)
    results = release_all(wh, settings=settings)
    assert {r.name: r.version for r in results} == {n: r.version for n, r in released.results.items()}
