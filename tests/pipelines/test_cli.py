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


@pytest.mark.parametrize("flag, url, what", [
    ("--warehouse", "postgresql://nobody:s3cret@127.0.0.1:1/wh", "warehouse"),
    ("--registry", "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/reg", "registry"),
])
def test_pipeline_on_an_unreachable_database_is_one_line_at_once(
    flag: str, url: str, what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a minute of retries ending in "Exceeded max_retries of 3": what is wrong, where."""
    monkeypatch.setenv("CIVSTAT_DATA_DIR", str(tmp_path))
    assert main(["pipeline", flag, url]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"civstat pipeline: cannot connect to the {what} at ") and "port 1 failed" in err
    assert "s3cret" not in err and "***" in err  # the password is not echoed
    assert not (tmp_path / "dagster").exists()  # nothing was started


def test_a_step_that_ran_out_of_retries_reports_what_kept_failing() -> None:
    from dagster._utils.error import SerializableErrorInfo, serializable_error_info_from_exc_info

    from pipelines.run import step_error_line

    try:
        try:
            psycopg.connect("postgresql://nobody@127.0.0.1:1/x", connect_timeout=2)
        except psycopg.OperationalError as exc:
            raise RuntimeError("Error occurred while executing op land_registry") from exc
    except RuntimeError:
        import sys

        inner = serializable_error_info_from_exc_info(sys.exc_info())
    # what Dagster's execute_plan yields when the retries are exhausted (message, then the causes)
    gave_up = SerializableErrorInfo(message="Exceeded max_retries of 3\n", stack=[], cls_name=None, cause=inner)
    line = step_error_line(gave_up)
    assert line.startswith("psycopg.OperationalError: connection failed") and line.endswith("(gave up after 3 retries)")
    assert step_error_line(inner).startswith("RuntimeError: Error occurred while executing op")  # not retried: as it is
