"""Warehouses built once per session from the fixed change log, on DuckDB and PostgreSQL.

Building (seed + run + 300 data tests) takes about a minute per target, so the read-only tests
share one build per target; tests that land data themselves (incremental) build their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dbt_project.fixtures import Warehouse, fixed_change_log, make_warehouse, reference_rows


@pytest.fixture(scope="session")
def fixture_reference() -> dict[str, list[dict[str, Any]]]:
    return reference_rows()


@pytest.fixture(scope="session")
def fixture_changes() -> list[dict[str, Any]]:
    return fixed_change_log()


def _build(kind: str, workdir: Path, pg_url: str | None, reference: dict[str, list[dict[str, Any]]],
           changes: list[dict[str, Any]]) -> Warehouse:
    wh = make_warehouse(kind, workdir, pg_url, reference)
    wh.land(changes, run_id="full")
    wh.build_run = wh.dbt("build")  # type: ignore[attr-defined]
    return wh


@pytest.fixture(scope="session")
def duckdb_warehouse(tmp_path_factory: pytest.TempPathFactory, fixture_reference, fixture_changes) -> Warehouse:
    return _build("duckdb", tmp_path_factory.mktemp("dbt_duckdb"), None, fixture_reference, fixture_changes)


@pytest.fixture(scope="session")
def postgres_warehouse(tmp_path_factory: pytest.TempPathFactory, pg_database_factory, fixture_reference,
                       fixture_changes) -> Warehouse:
    return _build("postgres", tmp_path_factory.mktemp("dbt_postgres"), pg_database_factory(), fixture_reference,
                  fixture_changes)


@pytest.fixture(scope="session", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    """The fixed change log, landed at once and built with `dbt build`, on each target."""
    yield request.getfixturevalue(f"{request.param}_warehouse")
