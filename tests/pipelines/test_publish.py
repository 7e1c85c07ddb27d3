"""Readers never wait on the pipeline: published DuckDB versions behind an atomic pointer, and
PostgreSQL readers on MVCC. The publish metadata says what the published data contains."""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipelines.lib.landing import land
from pipelines.lib.publish import NotPublishedError, data_as_of, publish, query
from pipelines.lib.warehouse import Warehouse
from pipelines.lib.writer import duckdb_writer
from registry_api.core.db import Registry
from registry_api.models import SYNTHETIC_SCALE, RegistrySetting
from tests.pipelines.conftest import add_acts, published_differences

READER = r"""
import json, sys, time
from pathlib import Path
from pipelines.lib.publish import query
from pipelines.lib.warehouse import Warehouse
wh = Warehouse(sys.argv[1], Path(sys.argv[2]))
stop = Path(sys.argv[3])
ready = stop.with_name("ready")
out = {"latencies": [], "errors": [], "counts": []}
while not stop.exists():
    t = time.perf_counter()
    try:
        n = query("select count(*) as n from fct_demo", wh=wh).item()
        out["counts"].append(n)
    except Exception as exc:
        out["errors"].append(repr(exc))
    out["latencies"].append(time.perf_counter() - t)
    ready.touch()
print(json.dumps(out))
"""


def _make_fct(wh: Warehouse, rows: int) -> None:
    with duckdb_writer(wh) as con:
        con.execute(f"create or replace table main.fct_demo as select range as id from range({rows})")


def _long_write(wh: Warehouse, seconds: float) -> None:
    """Hold the working file read-write, writing, for ``seconds`` (what dbt does to it)."""
    with duckdb_writer(wh) as con:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            con.execute("create or replace table main.scratch as select range as id from range(200000)")


def test_dashboard_queries_never_wait_on_pipeline_writes(sqlite_registry_url: str, duckdb_warehouse: Warehouse, tmp_path: Path) -> None:
    wh = duckdb_warehouse
    add_acts(sqlite_registry_url, 30)
    land(sqlite_registry_url, wh)
    _make_fct(wh, 10)
    publish(wh, "run-1")
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, wh.target, str(wh.data_dir), str(stop)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / "ready").exists():  # the reader is up and querying
        assert time.monotonic() < deadline and reader.poll() is None, "reader did not start"
        time.sleep(0.1)
    writer_held = time.perf_counter()
    for i in range(3):
        _long_write(wh, 1.5)
        _make_fct(wh, 100 * (i + 2))
        publish(wh, f"run-{i + 2}")
    writer_held = time.perf_counter() - writer_held
    time.sleep(0.5)
    stop.touch()
    out: dict[str, Any] = json.loads(reader.communicate(timeout=60)[0])
    assert out["errors"] == []
    assert len(out["latencies"]) > 50
    assert writer_held > 4.5
    # no query waited for the writer (it held the file for 1.5 s at a time)
    assert max(out["latencies"]) < 1.0, max(out["latencies"])
    # and the reader moved to each new version as it was published
    assert out["counts"][0] == 10 and out["counts"][-1] == 400
    assert {10, 200, 300, 400} <= set(out["counts"])


def test_reader_threads_in_the_pipeline_process_are_not_blocked(sqlite_registry_url: str, duckdb_warehouse: Warehouse) -> None:
    wh = duckdb_warehouse
    land(sqlite_registry_url, wh)
    _make_fct(wh, 5)
    publish(wh, "run-1")
    stop = threading.Event()
    latencies: list[float] = []
    errors: list[str] = []

    def loop() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            try:
                query("select count(*) from fct_demo", wh=wh)
            except Exception as exc:  # noqa: BLE001 - collected and asserted
                errors.append(repr(exc))
            latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for t in threads:
        t.start()
    _long_write(wh, 2.0)
    _make_fct(wh, 7)
    publish(wh, "run-2")
    stop.set()
    for t in threads:
        t.join(10)
    assert errors == []
    assert max(latencies) < 1.0
    assert query("select count(*) from fct_demo", wh=wh).item() == 7


def test_publish_meta_describes_the_landed_data(sqlite_registry_url: str, warehouse: Warehouse) -> None:
    add_acts(sqlite_registry_url, 25)
    landed = land(sqlite_registry_url, warehouse, run_id="run-a")
    meta = publish(warehouse, "run-a")
    assert meta["landed_rows"] == 25 and meta["total_changes"] == 25
    assert meta["max_change_id"] == 25 and meta["cursor"] == landed.cursor
    add_acts(sqlite_registry_url, 5, seed=77)
    land(sqlite_registry_url, warehouse, run_id="run-b")
    publish(warehouse, "run-b")
    as_of = data_as_of(warehouse)
    assert {"published_at", "run_id", "max_changed_at", "max_change_id", "landed_rows"} <= set(as_of)
    assert as_of["run_id"] == "run-b" and as_of["landed_rows"] == 5 and as_of["max_change_id"] == 30
    assert as_of["max_changed_at"] == landed.max_changed_at or as_of["max_changed_at"] >= landed.max_changed_at
    assert as_of["synthetic_scale"] is None  # a real registry
    # a registry of simulated activity says so (the bulk simulator's setting); readers see it
    reg = Registry(sqlite_registry_url)
    with reg.session() as s:
        s.add(RegistrySetting(setting=SYNTHETIC_SCALE, value="0.02"))
    reg.dispose()
    land(sqlite_registry_url, warehouse, run_id="run-c")
    assert publish(warehouse, "run-c")["synthetic_scale"] == 0.02
    assert data_as_of(warehouse)["synthetic_scale"] == 0.02


def test_nothing_published_is_a_clear_error(duckdb_warehouse: Warehouse) -> None:
    with pytest.raises(NotPublishedError):
        query("select 1", wh=duckdb_warehouse)


def _pg_reader(dsn: str, data_dir: str, ready: Any, stop: Any, q: Any) -> None:
    from pipelines.lib.publish import query as q_

    wh = Warehouse(dsn, Path(data_dir))
    lat, errs, counts = [], [], []
    while not stop.is_set():
        t = time.perf_counter()
        try:
            counts.append(q_("select count(*) as n from fct_demo", wh=wh).item())
        except Exception as exc:  # noqa: BLE001 - sent back
            errs.append(repr(exc))
        lat.append(time.perf_counter() - t)
        ready.set()
    q.put((lat, errs, counts))


def test_postgres_readers_keep_reading_while_a_build_rewrites_a_model(pg_warehouse: Warehouse) -> None:
    with psycopg.connect(pg_warehouse.pg_dsn, autocommit=True) as conn:
        conn.execute("create schema analytics")
        conn.execute("create table analytics.fct_demo as select generate_series(1, 10) as id")
    ctx = mp.get_context("spawn")
    q, ready, stop = ctx.Queue(), ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_pg_reader, args=(pg_warehouse.pg_dsn, str(pg_warehouse.data_dir), ready, stop, q))
    proc.start()
    assert ready.wait(120), "reader did not start"
    with psycopg.connect(pg_warehouse.pg_dsn) as conn, conn.transaction():  # what a dbt incremental does
        conn.execute("delete from analytics.fct_demo")
        conn.execute("insert into analytics.fct_demo select generate_series(1, 20)")
        time.sleep(2.0)
    time.sleep(1.0)
    stop.set()
    lat, errs, counts = q.get(timeout=60)
    proc.join(10)
    assert errs == []
    assert max(lat) < 1.0
    assert counts[0] == 10 and counts[-1] == 20 and set(counts) == {10, 20}


# ----------------------------------------------------------------------------- delta publishing
def _log_keys(con: Any, table: str, ids: list[int]) -> None:
    """What dbt's logged_delete_insert strategy does after rewriting ``ids`` of ``table``."""
    con.execute("create schema if not exists publish_log")
    con.execute("create table if not exists publish_log.rebuilt (model varchar not null, logged_at timestamp)")
    con.execute(f"create table if not exists publish_log.{table} (id bigint)")
    con.execute(f"insert into publish_log.{table} select unnest(?)", [ids])


def _published_rows(wh: Warehouse, table: str) -> list[tuple]:
    return query(f"select * from {table} order by id", wh=wh).rows()


def test_publish_rewrites_only_logged_rows_and_equals_a_full_copy(duckdb_warehouse: Warehouse) -> None:
    from pipelines.lib.publish import LAST_PUBLISH, publish_duckdb

    wh = duckdb_warehouse
    with duckdb_writer(wh) as con:
        con.execute("create table main.fct_demo as select range as id, 'v1' as label from range(1000)")
        con.execute("create table main.dim_demo as select range as id from range(3)")
        _log_keys(con, "fct_demo", [])
        publish_duckdb(con, wh)
        assert LAST_PUBLISH["based_on"] is None and set(LAST_PUBLISH["tables"].values()) == {"copy"}
        first = LAST_PUBLISH["version"]

        # an incremental build: two rows rewritten, one deleted, one added; all four keys logged
        con.execute("update main.fct_demo set label = 'v2' where id in (3, 500)")
        con.execute("delete from main.fct_demo where id = 7")
        con.execute("insert into main.fct_demo values (1000, 'new')")
        _log_keys(con, "fct_demo", [3, 500, 7, 1000])
        publish_duckdb(con, wh)
        assert LAST_PUBLISH["based_on"] == first
        assert LAST_PUBLISH["tables"] == {"dim_demo": "copy", "fct_demo": "delta"}
        # the log is consumed: the next publish starts from this version
        assert con.execute("select count(*) from publish_log.fct_demo").fetchone()[0] == 0
    rows = _published_rows(wh, "fct_demo")
    assert len(rows) == 1000 and (3, "v2") in rows and (500, "v2") in rows and (1000, "new") in rows
    assert all(r[0] != 7 for r in rows)
    assert published_differences(wh) == {}


def test_publish_copies_whole_what_bypassed_the_log_or_was_rebuilt(duckdb_warehouse: Warehouse) -> None:
    from pipelines.lib.publish import LAST_PUBLISH, publish_duckdb

    wh = duckdb_warehouse
    with duckdb_writer(wh) as con:
        con.execute("create table main.fct_demo as select range as id, 'v1' as label from range(100)")
        _log_keys(con, "fct_demo", [])
        publish_duckdb(con, wh)
        # a delete nobody logged: the counts do not add up, so the table is copied whole
        con.execute("delete from main.fct_demo where id < 10")
        con.execute("update main.fct_demo set label = 'v2' where id = 50")
        _log_keys(con, "fct_demo", [50])
        publish_duckdb(con, wh)
        assert LAST_PUBLISH["tables"] == {"fct_demo": "copy"}
    assert published_differences(wh) == {}
    with duckdb_writer(wh) as con:
        # a model dbt rebuilt (full refresh): copied whole even though keys are logged
        con.execute("create or replace table main.fct_demo as select range as id, 'v3' as label from range(5)")
        _log_keys(con, "fct_demo", [1])
        con.execute("insert into publish_log.rebuilt (model) values ('fct_demo')")
        publish_duckdb(con, wh)
        assert LAST_PUBLISH["tables"] == {"fct_demo": "copy"}
    assert _published_rows(wh, "fct_demo") == [(i, "v3") for i in range(5)]


def test_publish_never_builds_on_a_version_another_working_file_published(duckdb_warehouse: Warehouse, tmp_path: Path) -> None:
    from pipelines.lib.publish import LAST_PUBLISH, publish_duckdb

    wh = duckdb_warehouse
    other = Warehouse(str(tmp_path / "other.duckdb"), wh.data_dir)  # same published/ folder
    with duckdb_writer(wh) as con:
        con.execute("create table main.fct_demo as select range as id, 'mine' as label from range(10)")
        _log_keys(con, "fct_demo", [])
        publish_duckdb(con, wh)
    with duckdb_writer(other) as con:
        con.execute("create table main.fct_demo as select range as id, 'other' as label from range(10)")
        publish_duckdb(con, other)
    with duckdb_writer(wh) as con:
        con.execute("update main.fct_demo set label = 'mine2' where id = 1")
        _log_keys(con, "fct_demo", [1])
        publish_duckdb(con, wh)
        assert LAST_PUBLISH["based_on"] is None and LAST_PUBLISH["tables"] == {"fct_demo": "copy"}
    assert {r[1] for r in _published_rows(wh, "fct_demo")} == {"mine", "mine2"}


def test_publish_starts_from_a_compact_copy_when_deltas_have_grown_the_file(
        duckdb_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.lib import publish as publish_module
    from pipelines.lib.publish import LAST_PUBLISH, publish_duckdb

    wh = duckdb_warehouse
    with duckdb_writer(wh) as con:
        con.execute("create table main.fct_demo as select range as id, 'v1' as label from range(50000)")
        _log_keys(con, "fct_demo", [])
        publish_duckdb(con, wh)
        for i in range(2):
            con.execute(f"update main.fct_demo set label = 'v{i + 2}' where id < 20000")
            _log_keys(con, "fct_demo", list(range(20000)))
            publish_duckdb(con, wh)
            assert LAST_PUBLISH["tables"] == {"fct_demo": "delta"}
        # the same delta once the copies may not grow at all: a compact full copy instead
        monkeypatch.setattr(publish_module, "MAX_GROWTH", 0.5)
        monkeypatch.setattr(publish_module, "GROWTH_SLACK", 0)
        con.execute("update main.fct_demo set label = 'v9' where id < 10")
        _log_keys(con, "fct_demo", list(range(10)))
        publish_duckdb(con, wh)
        assert LAST_PUBLISH["based_on"] is None and LAST_PUBLISH["tables"] == {"fct_demo": "copy"}
    assert published_differences(wh) == {}
