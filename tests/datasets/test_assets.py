"""The Dagster assets (materialized in-process) and the CLI."""

from __future__ import annotations

import dagster as dg
import pytest

from datasets import catalog
from pipelines.defs.datasets import dataset_key, dataset_releases, defs
from pipelines.defs.publish.assets import PUBLISH_KEY
from pipelines.defs.resources import RegistryResource, WarehouseResource
from tests.datasets.conftest import KEYS, Released


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CIVSTAT_PSEUDONYM_KEYS", KEYS)  # the assets read keys from the environment only
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()


def test_one_asset_per_dataset_reading_the_published_warehouse() -> None:
    specs = {s.key: s for s in dataset_releases.specs}
    assert defs.assets == [dataset_releases] and [j.name for j in defs.jobs] == ["datasets_job"]
    assert set(specs) == {dataset_key(n) for n in catalog.DATASETS}
    births = specs[dataset_key("births_commune_month_sex")]
    assert {d.asset_key for d in births.deps} == {PUBLISH_KEY, dg.AssetKey(["fct_birth"]), dg.AssetKey(["dim_geography"])}
    region = specs[dataset_key("vital_events_region_year")]
    assert dg.AssetKey(["ind_vital_region_month"]) in {d.asset_key for d in region.deps}
    assert all(PUBLISH_KEY in {d.asset_key for d in s.deps} for s in specs.values())
    assert births.group_name == "datasets"


def test_materialize_gives_the_same_versions_as_release_all(released: Released) -> None:
    resources = {
        "warehouse": WarehouseResource(target=released.wh.target, data_dir=str(released.data_dir)),
        "registry": RegistryResource(url=released.registry_url),
    }
    result = dg.materialize([dataset_releases], resources=resources)
    assert result.success
    mats = {m.asset_key: m for m in result.get_asset_materialization_events()}
    assert set(mats) == {dataset_key(n) for n in catalog.DATASETS}
    for name, r in released.results.items():
        meta = mats[dataset_key(name)].materialization.metadata
        assert meta["version"].value == r.version and meta["rows"].value == r.rows
        assert meta["new_release"].value is False  # same inputs: the existing release is reused


def test_a_subset_materializes_only_what_is_selected(released: Released) -> None:
    resources = {
        "warehouse": WarehouseResource(target=released.wh.target, data_dir=str(released.data_dir)),
        "registry": RegistryResource(url=released.registry_url),
    }
    result = dg.materialize(
        [dataset_releases], resources=resources, selection=[dataset_key("vital_events_region_year")]
    )
    assert result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [dataset_key("vital_events_region_year")]


def test_quality_gate_fails_the_asset(tmp_path, _templates) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from tests.datasets.conftest import SPEC, make_env

    quality = [{"run_id": SPEC.run_id, "suite": "fct_death", "model": "fct_death", "expectation": "age_range",
                "severity": "error", "success": False, "checked_at": dt.datetime(2025, 4, 1, tzinfo=dt.UTC)}]
    wh, _, url = make_env(tmp_path / "data", _templates, quality=quality)
    result = dg.materialize(
        [dataset_releases],
        resources={"warehouse": WarehouseResource(target=wh.target, data_dir=str(wh.data_dir)), "registry": RegistryResource(url=url)},
        selection=[dataset_key("vital_events_region_year")],
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "release blocked" in str(failure.event_specific_data.error)
    assert not (tmp_path / "data" / "releases" / "vital_events_region_year").exists()


def test_cli_list_and_release(released: Released, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from civstat_cli.main import main
    from registry_api.core.config import get_settings

    monkeypatch.setenv("CIVSTAT_DATA_DIR", str(released.data_dir))
    monkeypatch.setenv("CIVSTAT_WAREHOUSE", released.wh.target)
    monkeypatch.setenv("CIVSTAT_REGISTRY_URL", released.registry_url)
    get_settings.cache_clear()
    try:
        assert main(["datasets", "release", "--name", "vital_events_region_year"]) == 0
        out = capsys.readouterr().out
        assert released.results["vital_events_region_year"].version in out and "unchanged" in out
        assert main(["datasets", "list"]) == 0
        out = capsys.readouterr().out
        for name, r in released.results.items():
            assert name in out and r.version in out
        monkeypatch.setenv("CIVSTAT_PSEUDONYM_KEYS", "")
        get_settings.cache_clear()
        assert main(["datasets", "release", "--name", "births_pseudonymized_health"]) == 2
        assert "no pseudonym key for sector 'health'" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
