"""Landing is exactly once: re-runs, crashes between and inside batches, concurrent landers,
and a PostgreSQL writer that commits out of order. Real registries (SQLite file, PostgreSQL
database) and real warehouses (DuckDB file, PostgreSQL database)."""

from __future__ import annotations

import multiprocessing as mp
import threading
from typing import Any

import duckdb
import pytest
from sqlalchemy import select, update

from pipelines.lib.landing import BatchInfo, land, pending_changes
from pipelines.lib.warehouse import Warehouse
from registry_api.core.db import Registry
from registry_api.models import SYNTHETIC_SCALE, Act, Change, Office, RegistrySetting
from registry_api.services.changes import Cursor, read_feed, record_change
from tests.pipelines.conftest import add_acts, wait_feed_caught_up, write_acts


class InjectedCrash(RuntimeError):
    pass


def wh_rows(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    if wh.is_postgres:
        import psycopg

        with psycopg.connect(wh.pg_dsn) as conn:
            return list(conn.execute(sql).fetchall())
    con = duckdb.connect(str(wh.duckdb_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def landed_ids(wh: Warehouse) -> list[int]:
    return [r[0] for r in wh_rows(wh, "select change_id from raw.registry_changes order by landing_seq")]


def registry_change_ids(url: str) -> list[int]:
    reg = Registry(url)
    try:
        with reg.session(write=False) as s:
            return list(s.execute(select(Change.change_id).order_by(Change.change_id)).scalars())
    finally:
        reg.dispose()


def assert_exactly_once(url: str, wh: Warehouse) -> None:
    ids = landed_ids(wh)
    assert len(ids) == len(set(ids)), "a change landed twice"
    assert sorted(ids) == registry_change_ids(url), "a change is missing"
    (state,) = wh_rows(wh, "select landed_rows from raw.landing_state where source = 'registry.changes'")
    assert state[0] == len(ids)


def test_landing_serves_read_feed_rows_in_read_feed_order(registry_url: str, warehouse: Warehouse) -> None:
    add_acts(registry_url, 230)
    result = land(registry_url, warehouse, batch_size=70)
    assert (result.landed_rows, result.batches) == (230, 4)

    reg = Registry(registry_url)
    feed: list[int] = []
    cursor = Cursor()
    with reg.session(write=False) as s:
        while True:
            page = read_feed(s, cursor, 50)
            feed += [r["change_id"] for r in page.rows]
            cursor = page.next_cursor
            if not page.has_more:
                break
    reg.dispose()
    assert landed_ids(warehouse) == feed
    assert result.cursor == str(cursor)
    assert wh_rows(warehouse, "select cursor from raw.landing_state where source = 'registry.changes'") == [(str(cursor),)]
    # the after-image is real JSON in the warehouse, and timestamps kept their instant
    (row,) = wh_rows(
        warehouse,
        "select after_image->>'act_type', cast(changed_at as varchar), landing_seq from raw.registry_changes where change_id = 1",
    )
    assert row[0] in ("birth", "death")
    assert row[1].startswith("2024-03-01 10:00:00") and row[2] == 1
    assert wh_rows(warehouse, "select count(*) from raw.registry_offices")[0][0] > 1500
    assert_exactly_once(registry_url, warehouse)


def test_rerun_lands_nothing_twice(registry_url: str, warehouse: Warehouse) -> None:
    add_acts(registry_url, 120)
    assert land(registry_url, warehouse, batch_size=50).landed_rows == 120
    again = land(registry_url, warehouse, batch_size=50)
    assert (again.landed_rows, again.batches, again.reference_replaced) == (0, 0, [])
    add_acts(registry_url, 30, seed=500)
    third = land(registry_url, warehouse, batch_size=50)
    assert third.landed_rows == 30 and third.total_rows == 150
    assert_exactly_once(registry_url, warehouse)


@pytest.mark.parametrize("stage", ["after_commit", "before_commit"])
def test_crash_between_or_inside_batches_then_rerun(registry_url: str, warehouse: Warehouse, stage: str) -> None:
    add_acts(registry_url, 200)

    def crash_on_second_batch(at: str, info: BatchInfo) -> None:
        if at == stage and info.number == 2:
            raise InjectedCrash(f"crash at {at} of batch {info.number}")

    with pytest.raises(InjectedCrash):
        land(registry_url, warehouse, batch_size=60, on_batch=crash_on_second_batch)
    kept = 120 if stage == "after_commit" else 60  # before commit: batch 2 rolled back
    assert len(landed_ids(warehouse)) == kept
    (cursor,) = wh_rows(warehouse, "select cursor from raw.landing_state where source = 'registry.changes'")
    assert Cursor.parse(cursor[0]).change_id == max(landed_ids(warehouse))

    rerun = land(registry_url, warehouse, batch_size=60)
    assert rerun.landed_rows == 200 - kept
    assert_exactly_once(registry_url, warehouse)


def test_two_concurrent_landers_in_threads(registry_url: str, warehouse: Warehouse) -> None:
    add_acts(registry_url, 300)
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            results.append(land(registry_url, warehouse, batch_size=25))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sum(r.landed_rows for r in results) == 300
    assert_exactly_once(registry_url, warehouse)


def _land_in_process(url: str, target: str, data_dir: str, q: Any) -> None:
    from pathlib import Path

    from pipelines.lib.landing import land as land_

    try:
        q.put(land_(url, Warehouse(target, Path(data_dir)), batch_size=20).landed_rows)
    except BaseException as exc:  # noqa: BLE001 - sent to the parent
        q.put(repr(exc))


def test_two_concurrent_landers_in_processes(sqlite_registry_url: str, warehouse: Warehouse) -> None:
    add_acts(sqlite_registry_url, 240)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [
        ctx.Process(target=_land_in_process, args=(sqlite_registry_url, warehouse.target, str(warehouse.data_dir), q))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    out = [q.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(30)
    assert all(isinstance(o, int) for o in out), out
    assert sum(out) == 240
    assert_exactly_once(sqlite_registry_url, warehouse)


def test_pg_writer_committing_late_is_landed_not_skipped(pg_registry_url: str, duckdb_warehouse: Warehouse) -> None:
    add_acts(pg_registry_url, 10)
    land(pg_registry_url, duckdb_warehouse)
    reg = Registry(pg_registry_url)
    slow = reg.sessionmaker()
    slow.begin()
    act = slow.get(Act, 1)
    assert act is not None
    act.version += 1
    act.given_name_lat = "Mohammed"
    record_change(slow, act, "correct", "officer#1", legal_basis="jugement 12/2024")  # lower change_id, open tx
    write_acts(pg_registry_url, 5, seed=100)  # committed after it, higher change_ids
    behind = land(pg_registry_url, duckdb_warehouse)
    assert behind.landed_rows == 0, "rows past an open transaction must wait for it"
    assert pending_changes(pg_registry_url, duckdb_warehouse).count == 0
    slow.commit()
    slow.close()
    reg.dispose()
    wait_feed_caught_up(pg_registry_url)
    assert pending_changes(pg_registry_url, duckdb_warehouse).count == 6
    assert land(pg_registry_url, duckdb_warehouse).landed_rows == 6
    assert_exactly_once(pg_registry_url, duckdb_warehouse)
    # landing order is feed order (txid, change_id): the correction's transaction began first
    reg = Registry(pg_registry_url)
    with reg.session(write=False) as s:
        feed_order = list(s.execute(select(Change.change_id).order_by(Change.txid, Change.change_id)).scalars())
        correction = s.execute(select(Change.change_id).where(Change.change_kind == "correct")).scalar_one()
    reg.dispose()
    ids = landed_ids(duckdb_warehouse)
    assert ids == feed_order
    assert ids.index(correction) == 10


def test_reference_snapshot_replaced_only_when_changed(registry_url: str, warehouse: Warehouse) -> None:
    assert land(registry_url, warehouse).reference_replaced == ["regions", "provinces", "communes", "offices", "settings"]
    assert land(registry_url, warehouse).reference_replaced == []
    reg = Registry(registry_url)
    with reg.session() as s:
        code = s.execute(select(Office.office_code).order_by(Office.office_code).limit(1)).scalar_one()
        s.execute(update(Office).where(Office.office_code == code).values(name_fr="Bureau renommé"))
    reg.dispose()
    assert land(registry_url, warehouse).reference_replaced == ["offices"]
    rows = wh_rows(warehouse, f"select name_fr from raw.registry_offices where office_code = '{code}'")
    assert rows == [("Bureau renommé",)]
    # the registry's settings travel the same way (the bulk simulator marks synthetic activity)
    with reg.session() as s:
        s.add(RegistrySetting(setting=SYNTHETIC_SCALE, value="0.02"))
    reg.dispose()
    assert land(registry_url, warehouse).reference_replaced == ["settings"]
    assert wh_rows(warehouse, "select setting, value from raw.registry_settings") == [("synthetic_scale", "0.02")]


def test_pending_changes_is_the_sensor_condition(sqlite_registry_url: str, warehouse: Warehouse) -> None:
    add_acts(sqlite_registry_url, 40)
    before = pending_changes(sqlite_registry_url, warehouse)
    assert before.count == 40 and before.landed is None and before.head.change_id == 40
    land(sqlite_registry_url, warehouse)
    after = pending_changes(sqlite_registry_url, warehouse)
    assert after.count == 0 and after.landed == after.head
    add_acts(sqlite_registry_url, 3, seed=9)
    assert pending_changes(sqlite_registry_url, warehouse).count == 3
