"""``civstat pipeline`` end to end: registry → landing → dbt build (tests as checks) → quality
suites → publish → ``civstat sql``; then a pipeline run with a correction, the fast micro-batch
(dbt in-process, a defective act quarantined and left out), the quality job, and a full refresh
that must agree with the incremental result. Real dbt runs on DuckDB and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from civstat_cli.main import main
from pipelines.lib.publish import LAST_PUBLISH, data_as_of, query
from pipelines.lib.warehouse import Warehouse
from pipelines.run import run_job, run_pipeline
from registry_api.core.db import Registry
from registry_api.models import Act
from registry_api.services.changes import record_change
from tests.pipelines.conftest import add_acts, published_differences

pytestmark = pytest.mark.slow


def _correct_act(url: str, act_id: int) -> None:
    reg = Registry(url)
    with reg.session() as s:
        act = s.get(Act, act_id)
        assert act is not None
        act.given_name_lat = "Corrected"
        act.version += 1
        record_change(s, act, "correct", "officer#1", legal_basis="jugement 7/2024")
    reg.dispose()


def _make_defective(url: str, act_id: int) -> None:
    """Correct an act so that its event falls after its registration (a quarantine rule)."""
    import datetime as dt

    reg = Registry(url)
    with reg.session() as s:
        act = s.get(Act, act_id)
        assert act is not None
        act.event_date = act.registration_date + dt.timedelta(days=3)
        act.version += 1
        record_change(s, act, "correct", "officer#1", legal_basis="jugement 8/2024")
    reg.dispose()


def _sensor_requests(url: str, wh: Warehouse) -> list[dg.RunRequest]:
    from pipelines.definitions import build_defs
    from pipelines.defs.resources import RegistryResource, WarehouseResource

    sensor = build_defs(url, wh).resolve_sensor_def("registry_changes_sensor")
    resources = {"registry": RegistryResource(url=url),
                 "warehouse": WarehouseResource(target=wh.target, data_dir=str(wh.data_dir))}
    with dg.instance_for_test() as instance:
        result = sensor(dg.build_sensor_context(instance=instance, resources=resources))
    assert isinstance(result, dg.SensorResult), result
    return list(result.run_requests or [])


def _births(wh: Warehouse) -> list[tuple]:
    return query("select act_id, version, is_corrected, correction_count from fct_birth order by act_id", wh=wh).rows()


def test_civstat_pipeline_then_sql_then_microbatch_then_full_refresh(
    dbt_manifest: Path, sqlite_registry_url: str, duckdb_warehouse: Warehouse,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    wh = duckdb_warehouse
    monkeypatch.setenv("CIVSTAT_DATA_DIR", str(wh.data_dir))
    ids = add_acts(sqlite_registry_url, 100)  # every 5th is a death
    assert [r.job_name for r in _sensor_requests(sqlite_registry_url, wh)] == ["pipeline_job"]  # never built yet
    rc = main(["pipeline", "--registry", sqlite_registry_url, "--warehouse", wh.target])
    out = capsys.readouterr()
    assert rc == 0, out.out[-3000:] + out.err[-3000:]
    assert "landed rows     100" in out.out and "published       warehouse-" in out.out

    # quality ran before publishing: this run's results are in the published snapshot
    published_run = data_as_of(wh)["run_id"]
    mine = query("select count(*) as n, count(distinct suite) as suites from quality_results where run_id = ?",
                 [published_run], wh=wh).row(0, named=True)
    assert mine["n"] > 100 and mine["suites"] > 20, mine
    assert query("select count(*) from quality_exclusions where run_id = ?", [published_run], wh=wh).item() == 2

    assert main(["sql", "select count(*) as n from fct_birth", "--warehouse", wh.target]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "80"]
    assert main(["sql", "select count(*) as n from fct_death", "--warehouse", wh.target]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "20"]

    # a micro-batch: 10 new acts and a correction of an old birth
    add_acts(sqlite_registry_url, 10, seed=1000)
    _correct_act(sqlite_registry_url, ids[1])
    summary = run_pipeline(sqlite_registry_url, wh, prepare=False)
    assert summary["success"], summary
    assert summary["landed_rows"] == 11 and summary["failed_error_checks"] == [], summary
    incremental = _births(wh)
    assert len(incremental) == 88
    corrected = next(r for r in incremental if r[0] == ids[1])
    assert corrected[1:] == (2, True, 1)
    assert data_as_of(wh)["max_change_id"] == 111
    assert query("select count(*) from quality_results where run_id = ?", [summary["run_id"]], wh=wh).item() > 100

    # the sensor's micro-batch: dbt in-process, only the micro-batch models and key tests, the
    # landed acts validated first; a birth corrected to be registered before it happened is
    # quarantined and left out of the published facts
    new_ids = add_acts(sqlite_registry_url, 5, seed=2000)
    _make_defective(sqlite_registry_url, new_ids[1])  # k = 2001: a birth
    # on a built warehouse the sensor asks for exactly that micro-batch (before: the first build)
    [req] = _sensor_requests(sqlite_registry_url, wh)
    assert req.job_name == "microbatch_job" and req.run_key == "0.111->0.117" and req.tags["civstat/changes"] == "6"
    micro = run_job("microbatch_job", sqlite_registry_url, wh, prepare=False, record=False)
    assert micro["success"], micro
    assert micro["landed_rows"] == 6 and 20 <= micro["models_built"] < 30, micro
    # the defective act fails a warn rule (quarantined, not blocking); every dbt key test passed
    assert micro["failed_checks"] == ["registry/changes:landed_changes_quality"] and micro["failed_error_checks"] == [], micro
    assert set(micro["steps_s"]) >= {"land_registry", "civstat_dbt_assets", "published_warehouse"}
    births = _births(wh)
    assert len(births) == 88 + 4 - 1  # 5 new acts (every 5th a death), one quarantined
    assert new_ids[1] not in {r[0] for r in births}
    assert query("select count(*) from quarantine where action = 'exclude' and row_key = ?",
                 [str(new_ids[1])], wh=wh).item() >= 1
    incremental = births
    # the micro-batch published by delta (a copy of the previous version plus the rows whose keys
    # dbt logged, the quarantine post-hook's delete included); the result equals a full copy
    assert LAST_PUBLISH["tables"]["fct_birth"] == "delta" and LAST_PUBLISH["tables"]["int_act__history"] == "delta"
    assert LAST_PUBLISH["tables"]["fct_marriage"] == "copy"  # a table model
    assert published_differences(wh) == {}

    # the quality job publishes its results too (a new published version with them)
    before = data_as_of(wh)["run_id"]
    q = run_job("quality_job", sqlite_registry_url, wh, prepare=False)
    assert q["published_version"] and data_as_of(wh)["run_id"] == q["run_id"] != before, q
    assert query("select count(*) from quality_results where run_id = ?", [q["run_id"]], wh=wh).item() > 100
    excl = query("select excluded_rows from quality_exclusions where run_id = ? and model = 'fct_birth'",
                 [q["run_id"]], wh=wh).item()
    assert excl == 1

    # the nightly full refresh rebuilds every model (and runs the quality suites, which may
    # legitimately block publishing on this tiny synthetic registry): the rebuilt working
    # tables must equal the incremental result
    full = run_pipeline(sqlite_registry_url, wh, full_refresh=True, prepare=False)
    assert full["landed_rows"] == 0 and full["models_built"] >= 30, full
    assert all(e.split(":")[0].endswith(("_quality", "_reconciliation", "_freshness")) for e in full["errors"]), full["errors"]
    assert all(c.split(":")[1].endswith(("_quality", "reconciliation", "freshness")) for c in full["failed_checks"]), full
    con = duckdb.connect(str(wh.duckdb_path), read_only=True)
    try:
        rebuilt = con.execute("select act_id, version, is_corrected, correction_count from fct_birth order by act_id").fetchall()
    finally:
        con.close()
    assert rebuilt == incremental


@pytest.mark.postgres
def test_pipeline_on_postgres_registry_and_warehouse(dbt_manifest: Path, pg_registry_url: str, pg_warehouse: Warehouse) -> None:
    add_acts(pg_registry_url, 50)
    summary = run_pipeline(pg_registry_url, pg_warehouse, prepare=False)
    assert summary["success"], summary
    assert summary["landed_rows"] == 50 and summary["published_version"] == "postgres:analytics"
    assert query("select count(*) as n from fct_birth", wh=pg_warehouse).item() == 40
    assert data_as_of(pg_warehouse)["landed_rows"] == 50
    assert query("select count(*) from quality_results where run_id = %s", [summary["run_id"]], wh=pg_warehouse).item() > 100
    # the micro-batch with dbt in-process, on PostgreSQL
    add_acts(pg_registry_url, 10, seed=500)  # k = 500..509: two deaths
    micro = run_job("microbatch_job", pg_registry_url, pg_warehouse, prepare=False, record=False)
    assert micro["success"] and micro["landed_rows"] == 10 and micro["failed_error_checks"] == [], micro
    assert query("select count(*) as n from fct_birth", wh=pg_warehouse).item() == 48
