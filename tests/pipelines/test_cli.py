"""``civstat sql`` and ``civstat dagster``'s configuration, through the real command line."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg
import pytest
import yaml

from civstat_cli.main import main
from pipelines.dagster_config import write_dagster_yaml
from pipelines.defs.landing.assets import land_registry
from pipelines.defs.resources import RegistryResource, WarehouseResource
from pipelines.lib.landing import land
from pipelines.lib.publish import publish
from pipelines.lib.warehouse import Warehouse
from pipelines.lib.writer import duckdb_writer
from tests.pipelines.conftest import add_acts


def test_sql_prints_csv_from_the_published_warehouse(
    sqlite_registry_url: str, duckdb_warehouse: Warehouse, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVSTAT_DATA_DIR", str(duckdb_warehouse.data_dir))
    add_acts(sqlite_registry_url, 6)
    land(sqlite_registry_url, duckdb_warehouse)
    with duckdb_writer(duckdb_warehouse) as con:
        con.execute("create table main.fct_demo as select range as id, 'x,y' as label from range(3)")
    publish(duckdb_warehouse, "r1")
    assert main(["sql", "select id, label from fct_demo order by id", "--warehouse", duckdb_warehouse.target]) == 0
    assert capsys.readouterr().out.splitlines() == ["id,label", '0,"x,y"', '1,"x,y"', '2,"x,y"']
    # read-only: the published version refuses writes, as one line on stderr
    assert main(["sql", "drop table fct_demo", "--warehouse", duckdb_warehouse.target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("civstat sql: ") and len(err.strip().splitlines()) == 1
    assert main(["sql", "select * from no_such_model", "--warehouse", duckdb_warehouse.target]) == 2


def test_sql_before_any_publish_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVSTAT_DATA_DIR", str(tmp_path))
    assert main(["sql", "select 1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "run `civstat pipeline` first" in err and len(err.splitlines()) == 1


def test_dagster_config_local_is_sqlite_with_one_writer_run_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CIVSTAT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.delenv("CIVSTAT_DAGSTER_PG_URL", raising=False)
    assert main(["dagster", "--write-config-only"]) == 0
    config = yaml.safe_load((tmp_path / "dagster" / "dagster.yaml").read_text())
    assert "storage" not in config and config["telemetry"] == {"enabled": False}
    assert config["run_queue"]["tag_concurrency_limits"] == [{"key": "civstat/warehouse", "value": "writer", "limit": 1}]
    assert f"DAGSTER_HOME={tmp_path / 'dagster'}" in capsys.readouterr().out


@pytest.mark.postgres
def test_production_dagster_instance_stores_runs_in_postgres(
    pg_database_factory, sqlite_registry_url: str, duckdb_warehouse: Warehouse, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    pg_url = pg_database_factory()
    home = tmp_path / "dh"
    write_dagster_yaml(home, pg_url)
    resources = {
        "registry": RegistryResource(url=sqlite_registry_url),
        "warehouse": WarehouseResource(target=duckdb_warehouse.target, data_dir=str(duckdb_warehouse.data_dir)),
    }
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = dg.materialize([land_registry], resources=resources, instance=instance)
        assert result.success
    with psycopg.connect(pg_url) as conn:
        (n,) = conn.execute("select count(*) from runs where run_id = %s", [result.run_id]).fetchone()  # type: ignore[misc]
    assert n == 1
