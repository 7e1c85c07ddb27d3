"""The real chain: simulator history → landing → dbt marts → publish → every dataset released.
Proves the catalog's SQL runs on the marts dbt actually builds (not only on datasets.synthetic)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datasets import catalog
from datasets.release import release_all, verify_release
from pipelines.lib.warehouse import Warehouse
from registry_api.core.config import Settings
from tests.datasets.conftest import KEYS

pytestmark = pytest.mark.slow


def test_every_dataset_releases_from_the_real_pipeline(tmp_path: Path, _templates, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from pipelines.run import run_pipeline
    from simulator.bulk import load_history

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(_templates["sqlite"], data / "registry.sqlite")
    url = f"sqlite:///{data / 'registry.sqlite'}"
    monkeypatch.setenv("CIVSTAT_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    load_history(url, years=1, scale=0.002, seed=3, end_date=dt.date(2025, 6, 30), progress=False)
    wh = Warehouse(str(data / "warehouse.duckdb"), data)
    summary = run_pipeline(url, wh)
    assert summary["success"], summary

    settings = Settings(DATA_DIR=data, WAREHOUSE=wh.target, REGISTRY_URL=url, PSEUDONYM_KEYS=KEYS)
    # gate on: it reads quality_results when the pipeline published them (today's microbatch job
    # publishes none: its blocking asset checks stop publication upstream instead)
    results = {r.name: r for r in release_all(wh, settings=settings)}
    assert set(results) == set(catalog.DATASETS)
    for r in results.values():
        verify_release(r.path)
        assert r.rows > 0, r.name
    births = pq.read_table(results["births_pseudonymized_health"].path / "births_pseudonymized_health.parquet")
    region = pq.read_table(results["vital_events_region_year"].path / "vital_events_region_year.parquet").to_pylist()
    published_births = sum(r["births"] or 0 for r in region)
    assert 0 < published_births <= births.num_rows  # consular births are outside the regions
    ids = pq.read_table(results["deceased_adults_national_id"].path / "deceased_adults_national_id.parquet")
    assert ids.num_rows > 0 and all(ids.column("national_id").to_pylist())
