"""A small published warehouse (regions 11 and 12, two years, real geography) with a registry
holding the same death acts, released once per session; tests that change things build their own."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from datasets.release import ReleaseResult, release_all
from datasets.synthetic import SyntheticSpec, build_published_warehouse
from pipelines.lib.warehouse import Warehouse
from registry_api.core.config import Settings

# test-only secrets: the repository holds no real key
KEYS = "health=test-key-health-000001,social_protection=test-key-social-000002"
SPEC = SyntheticSpec(regions=("11", "12"), births=6000, deaths=2000, marriages=600, divorces=200, first_year=2023, years=2)


@dataclass
class Released:
    data_dir: Path
    wh: Warehouse
    settings: Settings
    registry_url: str
    results: dict[str, ReleaseResult]

    @property
    def root(self) -> Path:
        return self.data_dir / "releases"


def make_env(data_dir: Path, templates: dict[str, str], spec: SyntheticSpec = SPEC, **kw: object) -> tuple[Warehouse, Settings, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    registry = data_dir / "registry.sqlite"
    shutil.copyfile(templates["sqlite"], registry)
    url = f"sqlite:///{registry}"
    wh = build_published_warehouse(data_dir, spec, registry_url=url, **kw)  # type: ignore[arg-type]
    settings = Settings(DATA_DIR=data_dir, WAREHOUSE=wh.target, REGISTRY_URL=url, PSEUDONYM_KEYS=KEYS)
    return wh, settings, url


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory, _templates: dict[str, str]) -> Released:
    data = tmp_path_factory.mktemp("datasets") / "data"
    wh, settings, url = make_env(data, _templates)
    results = release_all(wh, settings=settings)
    return Released(data, wh, settings, url, {r.name: r for r in results})


@pytest.fixture
def fresh_env(tmp_path: Path, _templates: dict[str, str]) -> tuple[Warehouse, Settings, str]:
    """A warehouse of one's own (same data as the session one) for tests that write releases."""
    return make_env(tmp_path / "data", _templates)
