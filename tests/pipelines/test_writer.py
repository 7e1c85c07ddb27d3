"""One writer at a time on the warehouse, and the watch loop's condition."""

from __future__ import annotations

import threading
import time

import pytest

from pipelines.lib.landing import land
from pipelines.lib.publish import publish
from pipelines.lib.warehouse import Warehouse
from pipelines.lib.writer import WarehouseBusyError, build_lock, duckdb_file_lock, duckdb_writer
from pipelines.run import needs_run
from tests.pipelines.conftest import add_acts


def test_build_lock_serialises_two_builds(warehouse: Warehouse) -> None:
    spans: list[tuple[float, float]] = []

    def build() -> None:
        with build_lock(warehouse):
            start = time.monotonic()
            time.sleep(0.6)
            spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    (a0, a1), (b0, b1) = sorted(spans)
    assert b0 >= a1 - 0.01, "the second build started before the first released the lock"


def test_duckdb_writer_waits_then_times_out(duckdb_warehouse: Warehouse) -> None:
    with duckdb_writer(duckdb_warehouse) as con:
        con.execute("create table main.t as select 1 as x")
        with pytest.raises(WarehouseBusyError), duckdb_file_lock(duckdb_warehouse, timeout_s=0.3):
            pass
    with duckdb_writer(duckdb_warehouse, timeout_s=1) as con:  # released on exit
        assert con.execute("select x from main.t").fetchall() == [(1,)]


def test_watch_condition_first_publish_then_only_new_changes(sqlite_registry_url: str, warehouse: Warehouse) -> None:
    assert needs_run(sqlite_registry_url, warehouse), "never published: the first build must run"
    land(sqlite_registry_url, warehouse)
    publish(warehouse, "r0")
    assert not needs_run(sqlite_registry_url, warehouse)
    add_acts(sqlite_registry_url, 2)
    assert needs_run(sqlite_registry_url, warehouse)
