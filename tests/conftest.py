"""Shared fixtures: real SQLite files and real PostgreSQL databases, one per test.

PostgreSQL comes from ``CIVSTAT_TEST_PG_URL`` (CI exports it) or the local default; when no
server answers, PostgreSQL tests skip with the reason. A template database (migrated, with the
geography seeded) is built once per session; each test clones it and drops its clone.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

for _k, _v in {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
}.items():
    os.environ.setdefault(_k, _v)

PG_URL = os.environ.get("CIVSTAT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_PG_REASON: str | None = None


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason it doesn't."""
    global _PG_REASON
    if _PG_REASON is None:
        try:
            with _pg_admin() as conn:
                conn.execute("select 1")
            _PG_REASON = ""
        except Exception as exc:  # noqa: BLE001 - any failure means: skip with the reason
            _PG_REASON = f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return _PG_REASON or None


def _db_url(name: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}"


def create_pg_database(template: str | None = None) -> str:
    name = f"civstat_t_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'create database "{name}"' + (f' template "{template}"' if template else ""))
    return name


def drop_pg_database(name: str) -> None:
    with _pg_admin() as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def pg_database_factory() -> Iterator:
    """Makes empty PostgreSQL databases (dropped at the end of the session)."""
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    made: list[str] = []

    def make() -> str:
        name = create_pg_database()
        made.append(name)
        return _db_url(name)

    yield make
    for name in made:
        drop_pg_database(name)


def _prepare(url: str) -> None:
    from registry_api.core.db import Registry, upgrade
    from registry_api.services.geography import seed_geography

    reg = Registry(url)
    upgrade(reg.engine)
    with reg.session() as s:
        seed_geography(s)
    reg.dispose()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Migrated registries with geography, built once: a SQLite file and (if up) a PG template."""
    out: dict[str, str] = {}
    sqlite_tmpl = tmp_path_factory.mktemp("tmpl") / "registry.sqlite"
    _prepare(f"sqlite:///{sqlite_tmpl}")
    out["sqlite"] = str(sqlite_tmpl)
    pg_tmpl = None
    if not pg_available():
        pg_tmpl = create_pg_database()
        _prepare(_db_url(pg_tmpl))
        with _pg_admin() as conn:
            conn.execute(f'alter database "{pg_tmpl}" with is_template true')
        out["postgres"] = pg_tmpl
    yield out
    if pg_tmpl:
        with _pg_admin() as conn:
            conn.execute(f'alter database "{pg_tmpl}" with is_template false')
        drop_pg_database(pg_tmpl)


def fresh_registry_url(kind: str, templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        target = tmp_path / "registry.sqlite"
        shutil.copyfile(templates["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    name = create_pg_database(template=templates["postgres"])
    try:
        yield _db_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, _templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated registry with the real geography, on SQLite and on PostgreSQL."""
    yield from fresh_registry_url(request.param, _templates, tmp_path)


@pytest.fixture
def pg_registry_url(_templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    yield from fresh_registry_url("postgres", _templates, tmp_path)


@pytest.fixture
def sqlite_registry_url(_templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    yield from fresh_registry_url("sqlite", _templates, tmp_path)


@pytest.fixture
def registry(registry_url: str):  # type: ignore[no-untyped-def]
    from registry_api.core.db import Registry

    reg = Registry(registry_url)
    yield reg
    reg.dispose()
