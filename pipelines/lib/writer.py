"""One writer at a time on the working warehouse.

DuckDB lets exactly one process open a file read-write; a second ``duckdb.connect`` fails at
once with "Could not set lock on file" instead of waiting. Landing, the dbt build (a
subprocess) and publishing all write the same working file, and a sensor or the demo's watch
loop can start a run while another is still going. So every writer first takes an exclusive
``flock`` on ``<warehouse>.lock`` (it blocks, which DuckDB's own lock does not) and only then
opens DuckDB. ``flock`` locks belong to the open file description, so two threads of one
process exclude each other as two processes do, and the lock goes away with a crashed
process (no stale lock files to clean up).

On PostgreSQL the equivalent is an advisory lock: ``pg_advisory_xact_lock`` inside each
landing transaction (see ``pipelines.lib.landing``) and a session-level ``pg_advisory_lock``
around a dbt build, so two builds never race on the same relations.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.lib.warehouse import Warehouse

# Advisory-lock keys (any bigint; fixed so every process agrees).
PG_LANDING_LOCK = 0x63697673_01  # "civs" + 1: landing batches
PG_BUILD_LOCK = 0x63697673_02  # dbt build + publish


class WarehouseBusyError(TimeoutError):
    """Another writer kept the warehouse longer than we were willing to wait (transient)."""


def lock_path(wh: Warehouse) -> Path:
    return wh.duckdb_path.with_name(wh.duckdb_path.name + ".lock")


@contextmanager
def duckdb_file_lock(wh: Warehouse, timeout_s: float = 600.0) -> Iterator[None]:
    """Hold the exclusive writer lock of the DuckDB working file (blocking, with a timeout)."""
    path = lock_path(wh)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(f"warehouse {wh.duckdb_path} busy for {timeout_s:.0f}s") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def connect_duckdb(path: Path, timeout_s: float = 60.0) -> duckdb.DuckDBPyConnection:
    """Open the working file read-write, waiting out a foreign holder of DuckDB's own lock
    (e.g. someone's ``duckdb`` shell that does not follow our ``flock`` protocol)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            con = duckdb.connect(str(path))
            con.execute("set TimeZone = 'UTC'")
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


@contextmanager
def duckdb_writer(wh: Warehouse, timeout_s: float = 600.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """The working DuckDB file, opened read-write under the writer lock, closed on exit."""
    with duckdb_file_lock(wh, timeout_s):
        con = connect_duckdb(wh.duckdb_path)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def build_lock(wh: Warehouse, timeout_s: float = 3600.0) -> Iterator[None]:
    """Serialise dbt builds + publishing: the DuckDB file lock, or a PostgreSQL advisory lock
    held by a dedicated session for the length of the build."""
    if not wh.is_postgres:
        with duckdb_file_lock(wh, timeout_s):
            yield
        return
    import psycopg

    with psycopg.connect(wh.pg_dsn, autocommit=True) as conn:
        deadline = time.monotonic() + timeout_s
        while not conn.execute("select pg_try_advisory_lock(%s)", [PG_BUILD_LOCK]).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(f"another build holds the warehouse for {timeout_s:.0f}s")
            time.sleep(0.5)
        try:
            yield
        finally:
            conn.execute("select pg_advisory_unlock(%s)", [PG_BUILD_LOCK])
