"""Fixtures for the quality tests: real DuckDB warehouses in temporary folders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.lib.warehouse import Warehouse
from tests.quality import factories

# Outside office hours (a Saturday night in Casablanca): freshness is not judged unless a test says so.
QUIET_NOW = dt.datetime(2024, 6, 1, 22, 0, tzinfo=dt.UTC)


@pytest.fixture
def clean_wh(tmp_path: Path) -> Warehouse:
    """Every mart and the raw layer, all clean."""
    return factories.build_warehouse(tmp_path)
