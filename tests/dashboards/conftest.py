"""Fixtures for the dashboard tests: a real published warehouse and the app's environment.

The warehouse is built once per session (``fixture_data.build``: a working DuckDB file with
every contract table, published with ``pipelines.lib.publish.publish_duckdb``); tests that
re-publish get their own copy. ``app_env`` points the app at a warehouse through the same
``CIVSTAT_*`` variables a deployment uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboards import fixture_data
from tests.dashboards.fixture_data import Built

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def point_app_at(monkeypatch: pytest.MonkeyPatch, built: Built) -> None:
    from registry_api.core.config import get_settings

    for key, value in built.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CIVSTAT_DASHBOARD_AUTH", raising=False)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The shared, read-only published warehouse (never re-published)."""
    return fixture_data.build(tmp_path_factory.mktemp("dash-wh"))


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, published: Built) -> Iterator[Built]:
    point_app_at(monkeypatch, published)
    yield published
    from registry_api.core.config import get_settings

    get_settings.cache_clear()


@pytest.fixture
def own_warehouse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Built]:
    """A warehouse this test may re-publish (the pipeline-run tests)."""
    built = fixture_data.build(tmp_path / "data")
    point_app_at(monkeypatch, built)
    yield built
    from registry_api.core.config import get_settings

    get_settings.cache_clear()
