"""The Definitions load and say what the platform relies on: landing keys that connect to the
dbt sources, groups from the dbt folders, jobs, the sensor, the schedule, retry policies and
resources by short key. The sensor and the landing asset run for real."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.landing.assets import CHANGES_KEY, land_registry
from pipelines.defs.resources import RegistryResource, WarehouseResource
from pipelines.lib.warehouse import Warehouse
from tests.pipelines.conftest import add_acts

LANDING_KEYS = {dg.AssetKey(["registry", t]) for t in ("changes", "regions", "provinces", "communes", "offices", "settings")}


@pytest.fixture(scope="module")
def defs(dbt_manifest: Path) -> dg.Definitions:
    from pipelines.definitions import defs

    return defs


def test_lineage_runs_from_landing_through_dbt_to_publish(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    assert LANDING_KEYS <= keys
    assert {graph.get(k).group_name for k in LANDING_KEYS} == {"landing"}
    assert CHANGES_KEY in graph.get(dg.AssetKey("stg_registry__changes")).parent_keys
    dbt_keys = {k for k in keys if graph.get(k).group_name in ("staging", "intermediate", "marts", "indicators")}
    assert any(graph.get(k).group_name == "staging" for k in dbt_keys)
    # every staging model reads a landing asset (directly); nothing else reads source()
    for key in dbt_keys:
        if graph.get(key).group_name == "staging" and key.path[0].startswith("stg_registry__"):
            ancestors = graph.get(key).parent_keys
            assert ancestors & (LANDING_KEYS | dbt_keys), key
    publish = graph.get(dg.AssetKey("published_warehouse"))
    assert publish.group_name == "publish"
    assert dbt_keys <= publish.parent_keys


def test_jobs_sensor_schedule_and_resources(defs: dg.Definitions) -> None:
    micro = defs.resolve_job_def("microbatch_job")
    full = defs.resolve_job_def("full_build_job")
    pipeline = defs.resolve_job_def("pipeline_job")
    for job in (micro, full, pipeline):
        selected = job.asset_layer.selected_asset_keys
        assert LANDING_KEYS <= selected and dg.AssetKey("published_warehouse") in selected
        assert dg.AssetKey("stg_registry__changes") in selected
    # the micro-batch refreshes the incremental side only (tag microbatch); reference models wait
    micro_models = micro.asset_layer.selected_asset_keys
    assert {dg.AssetKey(m) for m in ("fct_birth", "fct_death", "int_act__history", "ind_office_daily",
                                      "ind_vital_region_month", "int_registry__as_of")} <= micro_models
    assert not {dg.AssetKey(m) for m in ("dim_date", "dim_geography", "int_calendar__days", "stg_registry__offices")} & micro_models
    assert pipeline.asset_layer.selected_asset_keys == full.asset_layer.selected_asset_keys
    # micro-batches gate on the key-uniqueness dbt tests and quarantine the landed acts first; the
    # other dbt tests and every other quality suite run in civstat pipeline, full builds and quality_job
    micro_checks = {c.name for c in micro.asset_layer.asset_graph.asset_check_keys}
    full_checks = {c.name for c in full.asset_layer.asset_graph.asset_check_keys}
    assert micro_checks < full_checks
    assert "unique_fct_birth_act_id" in micro_checks and "landed_changes_quality" in micro_checks
    assert not any(n.startswith(("not_null_", "accepted_values_", "relationships_")) for n in micro_checks)
    assert not {"fct_birth_quality", "acts_reconciliation"} & micro_checks
    assert {"fct_birth_quality", "acts_reconciliation", "not_null_fct_birth_act_id"} <= {
        c.name for c in pipeline.asset_layer.asset_graph.asset_check_keys}
    quality = defs.resolve_job_def("quality_job")
    assert dg.AssetKey("published_warehouse") in quality.asset_layer.selected_asset_keys
    sensor = defs.resolve_sensor_def("registry_changes_sensor")
    assert sensor.minimum_interval_seconds is not None and sensor.minimum_interval_seconds <= 30
    assert {t.job_name for t in sensor.targets} == {"microbatch_job", "pipeline_job"}
    schedule = defs.resolve_schedule_def("nightly_full_build_schedule")
    assert schedule.job_name == "full_build_job"
    assert schedule.cron_schedule == "30 2 * * *"
    config = schedule.evaluate_tick(dg.build_schedule_context()).run_requests[0].run_config  # type: ignore[index]
    assert config["ops"]["civstat_dbt_assets"]["config"]["full_refresh"] is True
    assert {"dbt", "warehouse", "registry"} <= set(defs.resources or {})
    assert land_registry.op.retry_policy is not None
    dbt_asset = next(a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition) and a.op.name == "civstat_dbt_assets")
    assert dbt_asset.op.retry_policy is not None


def test_dbt_tests_are_asset_checks(defs: dg.Definitions, dbt_manifest: Path) -> None:
    import json

    manifest = json.loads(dbt_manifest.read_text())
    model_tests = [
        n for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and any(d.startswith("model.") for d in n["depends_on"]["nodes"])
    ]
    checks = list(defs.resolve_asset_graph().asset_check_keys)
    if not model_tests:
        pytest.skip("the dbt project has no model tests yet")
    assert len(checks) >= len({t["name"] for t in model_tests if t.get("attached_node")})
    # singular tests that read several models name the one they check (meta.dagster.ref), so
    # they are asset checks too, not bare observations
    singular = {t["name"] for t in model_tests if not t.get("attached_node")}
    assert len(singular) >= 7
    assert singular <= {c.name for c in checks}


def test_sensor_asks_for_the_first_complete_build_on_a_never_built_warehouse(
    defs: dg.Definitions, sqlite_registry_url: str, duckdb_warehouse: Warehouse
) -> None:
    """A micro-batch builds only what new changes touch, so on a warehouse never built the
    sensor asks for pipeline_job, even with nothing pending (readers need the tables). The
    micro-batch side, on a built warehouse, is in test_pipeline_e2e."""
    sensor = defs.resolve_sensor_def("registry_changes_sensor")
    resources = {
        "registry": RegistryResource(url=sqlite_registry_url),
        "warehouse": WarehouseResource(target=duckdb_warehouse.target, data_dir=str(duckdb_warehouse.data_dir)),
    }
    with dg.instance_for_test() as instance:
        empty = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(empty, dg.SensorResult)
        [first] = empty.run_requests or []
        assert first.job_name == "pipeline_job" and first.run_key == "first-build->0.0"
        add_acts(sqlite_registry_url, 12)
        result = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(result, dg.SensorResult)
        [req] = result.run_requests or []
        assert req.job_name == "pipeline_job" and req.run_key == "first-build->0.12"
        assert req.tags["civstat/changes"] == "12"
        # landing alone does not build the warehouse: still the complete build, nothing landed pending
        out = dg.materialize([land_registry], resources=resources, instance=instance)
        assert out.success
        mat = out.asset_materializations_for_node("land_registry")
        changes = next(m for m in mat if m.asset_key == CHANGES_KEY)
        assert changes.metadata["landed_rows"].value == 12
        again = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(again, dg.SensorResult)
        [req] = again.run_requests or []
        assert req.job_name == "pipeline_job" and req.tags["civstat/changes"] == "0"


def test_build_defs_points_every_domain_at_the_given_databases(dbt_manifest: Path, tmp_path: Path) -> None:
    from pipelines.definitions import build_defs

    wh = Warehouse(str(tmp_path / "w.duckdb"), tmp_path)
    defs = build_defs("sqlite:////nowhere/registry.sqlite", wh)
    resources = defs.resources or {}
    assert resources["warehouse"].target == wh.target
    assert resources["registry"].url == "sqlite:////nowhere/registry.sqlite"
    assert resources["dbt"].target == "duckdb"
    for res in resources.values():  # a domain resource left unset follows the pipeline's databases
        if hasattr(res, "registry_url") and hasattr(res, "data_dir") and res is not resources["warehouse"]:
            assert res.warehouse == wh.target and res.registry_url == "sqlite:////nowhere/registry.sqlite"
