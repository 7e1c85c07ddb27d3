"""Land the registry change log into ``raw.registry_changes``, exactly once.

Design (docs/landing.md):
- Read the registry database directly, with the same order and horizon rule as
  ``registry_api.services.changes.read_feed`` (rows after the cursor in ``(txid, change_id)``
  order; on PostgreSQL only rows written by transactions below
  ``pg_snapshot_xmin(pg_current_snapshot())``, evaluated in the same statement). Direct reads
  skip the ORM and JSON round trip: the after-image travels as JSON text, the rows as one Arrow
  batch (SQLite cursor -> polars; PostgreSQL ``COPY ... TO STDOUT`` -> polars).
- Each batch and the new cursor are written in ONE warehouse transaction, with ``change_id``
  as primary key and insert-or-ignore: a crash before commit leaves nothing and the batch is
  re-read; a re-run finds the cursor past what it landed and lands nothing twice.
- One lander at a time: the DuckDB writer lock (``pipelines.lib.writer``), or
  ``pg_advisory_xact_lock`` taken first in every landing transaction on PostgreSQL, with the
  cursor read inside the lock.
- Reference tables (regions, provinces, communes, offices) are snapshotted whole and replaced
  only when their content hash changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from sqlalchemy import BigInteger as SaBigInteger
from sqlalchemy import Date, DateTime, Integer, Table, make_url

from pipelines.lib.warehouse import RAW_SCHEMA, Warehouse
from pipelines.lib.writer import PG_LANDING_LOCK, duckdb_writer
from registry_api.models import Commune, Office, Province, Region, RegistrySetting
from registry_api.services.changes import FEED_COLUMNS, Cursor

log = logging.getLogger(__name__)

CHANGES_SOURCE = "registry.changes"
CHANGES_TABLE = f"{RAW_SCHEMA}.registry_changes"
STATE_TABLE = f"{RAW_SCHEMA}.landing_state"
# dbt source table name -> registry table (snapshotted whole)
REFERENCE_TABLES: dict[str, Table] = {
    "regions": Region.__table__,  # type: ignore[dict-item]
    "provinces": Province.__table__,  # type: ignore[dict-item]
    "communes": Commune.__table__,  # type: ignore[dict-item]
    "offices": Office.__table__,  # type: ignore[dict-item]
    "settings": RegistrySetting.__table__,  # type: ignore[dict-item]
}

# The batch as read from the registry: after_image as JSON text, changed_at as text (the
# warehouse parses it in a UTC session, so SQLite's naive UTC strings and PostgreSQL's
# "+00" strings both land as the right instant).
_READ_SCHEMA: dict[str, Any] = {
    "change_id": pl.Int64, "txid": pl.Int64, "entity_type": pl.Utf8, "entity_id": pl.Int64,
    "act_id": pl.Int64, "office_code": pl.Utf8, "change_kind": pl.Utf8, "version": pl.Int64,
    "after_image": pl.Utf8, "actor": pl.Utf8, "reason": pl.Utf8, "legal_basis": pl.Utf8,
    "changed_at": pl.Utf8,
}
assert tuple(_READ_SCHEMA) == FEED_COLUMNS

_CHANGES_DDL = """
create table if not exists {table} (
    change_id bigint primary key,
    txid bigint not null,
    entity_type {text} not null,
    entity_id bigint not null,
    act_id bigint,
    office_code {text},
    change_kind {text} not null,
    version integer not null,
    after_image json not null,
    actor {text},
    reason {text},
    legal_basis {text},
    changed_at timestamptz not null,
    landed_at timestamptz not null,
    landing_run_id {text} not null,
    landing_seq bigint not null
)
"""
_STATE_DDL = """
create table if not exists {table} (
    source {text} primary key,
    cursor {text} not null,
    landed_rows bigint not null,
    updated_at timestamptz not null
)
"""
_INSERT_COLUMNS = FEED_COLUMNS + ("landed_at", "landing_run_id", "landing_seq")


@dataclass(frozen=True)
class BatchInfo:
    """What a batch is about to commit (``before_commit``) or has committed (``after_commit``)."""

    number: int
    rows: int
    inserted: int
    cursor: str


BatchHook = Callable[[str, BatchInfo], None]


@dataclass
class LandingResult:
    run_id: str
    landed_rows: int = 0
    batches: int = 0
    cursor: str = "0"
    total_rows: int = 0
    max_change_id: int | None = None
    max_changed_at: dt.datetime | None = None
    reference_replaced: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "landed_rows": self.landed_rows, "batches": self.batches,
            "cursor": self.cursor, "total_rows": self.total_rows, "max_change_id": self.max_change_id,
            "max_changed_at": self.max_changed_at.isoformat() if self.max_changed_at else None,
            "reference_replaced": list(self.reference_replaced), "duration_s": round(self.duration_s, 3),
        }


# ============================================================================ registry side
def registry_dsn(registry_url: str) -> str:
    """libpq form of a PostgreSQL registry's SQLAlchemy URL (psycopg takes no driver suffix)."""
    return make_url(registry_url).set(drivername="postgresql").render_as_string(hide_password=False)


class RegistrySource:
    """Fast, read-only access to the registry's change log and reference tables."""

    def __init__(self, registry_url: str) -> None:
        self.url = registry_url
        self.is_postgres = registry_url.startswith(("postgresql", "postgres://"))
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        if self.is_postgres:
            import psycopg

            self._pg = psycopg.connect(registry_dsn(registry_url), autocommit=True)
            self._pg.execute("set TimeZone to 'UTC'")
        else:
            path = make_url(registry_url).database
            if not path or not Path(path).exists():
                raise FileNotFoundError(f"registry database not found: {registry_url}")
            # autocommit (isolation_level=None): every select is its own WAL read snapshot
            self._sqlite = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._pg.close()

    def __enter__(self) -> RegistrySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------------- the change log
    def read_changes(self, after: Cursor, limit: int) -> pl.DataFrame:
        """Up to ``limit`` rows after ``after`` in feed order (same rule as ``read_feed``)."""
        cols = ", ".join(FEED_COLUMNS)
        if self._sqlite is not None:
            cur = self._sqlite.execute(
                f"select {cols} from changes where (txid, change_id) > (?, ?) order by txid, change_id limit ?",
                (after.txid, after.change_id, limit),
            )
            return pl.DataFrame(cur.fetchall(), schema=_READ_SCHEMA, orient="row")
        pg_cols = cols.replace("after_image", "after_image::text").replace("changed_at", "changed_at::text")
        sql = (
            f"copy (select {pg_cols} from changes"
            f" where (txid, change_id) > ({int(after.txid)}, {int(after.change_id)})"
            # same statement, same snapshot: every transaction below the horizon has finished
            " and txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
            f" order by txid, change_id limit {int(limit)}) to stdout with (format csv, header true)"
        )
        buf = io.BytesIO()
        with self._pg.cursor() as cur, cur.copy(sql) as copy:
            for chunk in copy:
                buf.write(chunk)
        buf.seek(0)
        return pl.read_csv(buf, schema=_READ_SCHEMA)

    def pending_after(self, after: Cursor) -> tuple[int, Cursor]:
        """How many readable changes lie past ``after`` (capped at 1,000,000) and the newest one."""
        horizon = " and txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint" if self.is_postgres else ""
        sql = (
            "select count(*), max(txid), max(change_id) from (select txid, change_id from changes"
            f" where (txid, change_id) > ({int(after.txid)}, {int(after.change_id)}){horizon}"
            " order by txid, change_id limit 1000000) as t"
        )
        if self._sqlite is not None:
            n, _, _ = self._sqlite.execute(sql).fetchone()
            head = self._sqlite.execute(
                "select txid, change_id from changes order by txid desc, change_id desc limit 1"
            ).fetchone()
        else:
            n, _, _ = self._pg.execute(sql).fetchone()
            head = self._pg.execute(
                "select txid, change_id from changes where txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
                " order by txid desc, change_id desc limit 1"
            ).fetchone()
        return int(n), (Cursor(int(head[0]), int(head[1])) if head else Cursor())

    # --------------------------------------------------------------------- reference tables
    def read_table(self, table: Table) -> pl.DataFrame:
        """A whole reference table, typed from the SQLAlchemy model (stable even when empty)."""
        schema = {c.name: _polars_type(c.type) for c in table.columns}
        pk = ", ".join(c.name for c in table.primary_key.columns)
        sql = f"select {', '.join(schema)} from {table.name} order by {pk}"
        if self._sqlite is not None:
            rows = self._sqlite.execute(sql).fetchall()
            df = pl.DataFrame(rows, schema={k: (pl.Utf8 if v == pl.Date else v) for k, v in schema.items()}, orient="row")
            return df.with_columns(pl.col(k).str.to_date("%Y-%m-%d") for k, v in schema.items() if v == pl.Date)
        rows = self._pg.execute(sql).fetchall()
        return pl.DataFrame(rows, schema=schema, orient="row")


def _polars_type(sa_type: Any) -> Any:
    if isinstance(sa_type, DateTime):
        return pl.Datetime("us", "UTC")
    if isinstance(sa_type, Date):
        return pl.Date
    if isinstance(sa_type, Integer | SaBigInteger):
        return pl.Int64
    return pl.Utf8


def _sql_type(dtype: Any) -> str:
    if dtype == pl.Int64:
        return "bigint"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "timestamptz"
    return "text"


def _content_hash(df: pl.DataFrame) -> str:
    return "sha256:" + hashlib.sha256(df.write_csv().encode()).hexdigest()


# ============================================================================ warehouse side
def _prepare_batch(batch: pl.DataFrame, first_seq: int) -> pl.DataFrame:
    """Add ``landing_seq``: a strictly increasing number in landing order, for dbt's
    incremental filters (``change_id`` is NOT landing order on PostgreSQL)."""
    return batch.with_columns(landing_seq=pl.int_range(first_seq, first_seq + batch.height, dtype=pl.Int64))


class _DuckSink:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def ensure_schema(self) -> None:
        self.con.execute(f"create schema if not exists {RAW_SCHEMA}")
        self.con.execute(_CHANGES_DDL.format(table=CHANGES_TABLE, text="varchar"))
        self.con.execute(_STATE_DDL.format(table=STATE_TABLE, text="varchar"))

    def begin(self) -> None:
        self.con.execute("begin transaction")

    def commit(self) -> None:
        self.con.execute("commit")

    def rollback(self) -> None:
        try:
            self.con.execute("rollback")
        except duckdb.Error:
            pass  # no transaction open

    def state(self, source: str) -> tuple[str, int] | None:
        row = self.con.execute(f"select cursor, landed_rows from {STATE_TABLE} where source = ?", [source]).fetchone()
        return (row[0], int(row[1])) if row else None

    def set_state(self, source: str, cursor: str, landed_rows: int) -> None:
        self.con.execute(
            f"insert into {STATE_TABLE} values (?, ?, ?, now()) on conflict (source) do update set"
            " cursor = excluded.cursor, landed_rows = excluded.landed_rows, updated_at = excluded.updated_at",
            [source, cursor, landed_rows],
        )

    def insert_changes(self, batch: pl.DataFrame, run_id: str) -> int:
        arrow = batch.to_arrow()  # noqa: F841 - read by DuckDB's replacement scan
        cols = ", ".join(_INSERT_COLUMNS)
        row = self.con.execute(
            f"insert or ignore into {CHANGES_TABLE} ({cols}) select"
            " change_id, txid, entity_type, entity_id, act_id, office_code, change_kind, version,"
            " after_image::json, actor, reason, legal_basis, changed_at::timestamptz,"
            " now(), ?, landing_seq from arrow",
            [run_id],
        ).fetchone()
        return int(row[0]) if row else 0

    def replace_table(self, name: str, df: pl.DataFrame) -> None:
        arrow = df.to_arrow()  # noqa: F841 - read by DuckDB's replacement scan
        self.con.execute(f"create or replace table {RAW_SCHEMA}.registry_{name} as select * from arrow")

    def totals(self) -> tuple[int, int | None, dt.datetime | None]:
        n, mx, mt = self.con.execute(f"select count(*), max(change_id), max(changed_at) from {CHANGES_TABLE}").fetchone()  # type: ignore[misc]
        return int(n), mx, mt


class _PgSink:
    def __init__(self, conn: Any) -> None:
        self.conn = conn  # psycopg connection, autocommit off

    def ensure_schema(self) -> None:
        with self.conn.transaction():
            self.lock()  # concurrent "create ... if not exists" can still collide on pg_type
            self.conn.execute(f"create schema if not exists {RAW_SCHEMA}")
            self.conn.execute(_CHANGES_DDL.format(table=CHANGES_TABLE, text="text"))
            self.conn.execute(_STATE_DDL.format(table=STATE_TABLE, text="text"))

    def lock(self) -> None:
        self.conn.execute("select pg_advisory_xact_lock(%s)", [PG_LANDING_LOCK])

    def state(self, source: str) -> tuple[str, int] | None:
        row = self.conn.execute(f"select cursor, landed_rows from {STATE_TABLE} where source = %s", [source]).fetchone()
        return (row[0], int(row[1])) if row else None

    def set_state(self, source: str, cursor: str, landed_rows: int) -> None:
        self.conn.execute(
            f"insert into {STATE_TABLE} values (%s, %s, %s, now()) on conflict (source) do update set"
            " cursor = excluded.cursor, landed_rows = excluded.landed_rows, updated_at = excluded.updated_at",
            [source, cursor, landed_rows],
        )

    def _copy(self, table: str, df: pl.DataFrame) -> None:
        data = df.write_csv(include_header=False).encode()
        with self.conn.cursor().copy(f"copy {table} ({', '.join(df.columns)}) from stdin with (format csv)") as copy:
            copy.write(data)

    def insert_changes(self, batch: pl.DataFrame, run_id: str) -> int:
        self.conn.execute(
            "create temp table _landing_batch (change_id bigint, txid bigint, entity_type text,"
            " entity_id bigint, act_id bigint, office_code text, change_kind text, version integer,"
            " after_image text, actor text, reason text, legal_basis text, changed_at text,"
            " landing_seq bigint) on commit drop"
        )
        self._copy("_landing_batch", batch)
        cols = ", ".join(_INSERT_COLUMNS)
        cur = self.conn.execute(
            f"insert into {CHANGES_TABLE} ({cols}) select"
            " change_id, txid, entity_type, entity_id, act_id, office_code, change_kind, version,"
            " after_image::json, actor, reason, legal_basis, changed_at::timestamptz,"
            " now(), %s, landing_seq from _landing_batch order by landing_seq"
            " on conflict (change_id) do nothing",
            [run_id],
        )
        return cur.rowcount

    def replace_table(self, name: str, df: pl.DataFrame) -> None:
        # delete + insert, not drop: dbt views over the source keep working, readers keep MVCC
        table = f"{RAW_SCHEMA}.registry_{name}"
        cols = ", ".join(f"{c} {_sql_type(t)}" for c, t in df.schema.items())
        self.conn.execute(f"create table if not exists {table} ({cols})")
        self.conn.execute(f"delete from {table}")
        if df.height:
            self._copy(table, df)

    def totals(self) -> tuple[int, int | None, dt.datetime | None]:
        n, mx, mt = self.conn.execute(f"select count(*), max(change_id), max(changed_at) from {CHANGES_TABLE}").fetchone()
        return int(n), mx, mt


# ============================================================================ the landing run
def land(
    registry_url: str,
    wh: Warehouse,
    *,
    batch_size: int = 100_000,
    run_id: str | None = None,
    on_batch: BatchHook | None = None,
    lock_timeout_s: float = 600.0,
) -> LandingResult:
    """Land every readable change past the warehouse cursor, ``batch_size`` rows per
    transaction, plus changed reference tables. Safe to re-run, to crash, and to run twice
    at once. ``on_batch(stage, info)`` is called at ``before_commit`` and ``after_commit``
    (tests inject crashes there)."""
    result = LandingResult(run_id=run_id or uuid.uuid4().hex)
    started = time.perf_counter()
    with RegistrySource(registry_url) as source:
        if wh.is_postgres:
            _land_postgres(source, wh, result, batch_size, on_batch)
        else:
            with duckdb_writer(wh, timeout_s=lock_timeout_s) as con:
                _land_duckdb(source, _DuckSink(con), wh, result, batch_size, on_batch)
    result.duration_s = time.perf_counter() - started
    log.info("landed %s changes in %s batches (%.2fs), cursor %s", result.landed_rows, result.batches, result.duration_s, result.cursor)
    return result


def _land_reference(source: RegistrySource, sink: _DuckSink | _PgSink, result: LandingResult) -> None:
    for name, table in REFERENCE_TABLES.items():
        df = source.read_table(table)
        digest = _content_hash(df)
        state = sink.state(f"registry.{name}")
        if state is None or state[0] != digest:
            sink.replace_table(name, df)
            sink.set_state(f"registry.{name}", digest, df.height)
            result.reference_replaced.append(name)


def _land_duckdb(
    source: RegistrySource, sink: _DuckSink, wh: Warehouse, result: LandingResult, batch_size: int, on_batch: BatchHook | None
) -> None:
    sink.ensure_schema()
    sink.begin()
    try:
        _land_reference(source, sink, result)
        sink.commit()
    except BaseException:
        sink.rollback()
        raise
    while True:
        sink.begin()
        try:
            state = sink.state(CHANGES_SOURCE)
            cursor, landed = (Cursor.parse(state[0]), state[1]) if state else (Cursor(), 0)
            batch = source.read_changes(cursor, batch_size)
            if batch.height == 0:
                sink.rollback()
                result.cursor = str(cursor)
                break
            new_cursor = Cursor(int(batch["txid"][-1]), int(batch["change_id"][-1]))
            inserted = sink.insert_changes(_prepare_batch(batch, landed + 1), result.run_id)
            sink.set_state(CHANGES_SOURCE, str(new_cursor), landed + inserted)
            info = BatchInfo(result.batches + 1, batch.height, inserted, str(new_cursor))
            if on_batch:
                on_batch("before_commit", info)
            sink.commit()
        except BaseException:
            sink.rollback()
            raise
        result.batches += 1
        result.landed_rows += inserted
        result.cursor = str(new_cursor)
        write_cursor_hint(wh, str(new_cursor), landed + inserted)
        if on_batch:
            on_batch("after_commit", info)
        if batch.height < batch_size:
            break
    result.total_rows, result.max_change_id, result.max_changed_at = sink.totals()
    if result.batches == 0:
        write_cursor_hint(wh, result.cursor, result.total_rows)


def _land_postgres(
    source: RegistrySource, wh: Warehouse, result: LandingResult, batch_size: int, on_batch: BatchHook | None
) -> None:
    import psycopg

    with psycopg.connect(wh.pg_dsn) as conn:
        conn.execute("set TimeZone to 'UTC'")
        conn.commit()
        sink = _PgSink(conn)
        sink.ensure_schema()
        with conn.transaction():
            sink.lock()
            _land_reference(source, sink, result)
        while True:
            with conn.transaction():
                sink.lock()  # then read the cursor: whoever held the lock before has committed
                state = sink.state(CHANGES_SOURCE)
                cursor, landed = (Cursor.parse(state[0]), state[1]) if state else (Cursor(), 0)
                batch = source.read_changes(cursor, batch_size)
                if batch.height == 0:
                    result.cursor = str(cursor)
                    break
                new_cursor = Cursor(int(batch["txid"][-1]), int(batch["change_id"][-1]))
                inserted = sink.insert_changes(_prepare_batch(batch, landed + 1), result.run_id)
                sink.set_state(CHANGES_SOURCE, str(new_cursor), landed + inserted)
                info = BatchInfo(result.batches + 1, batch.height, inserted, str(new_cursor))
                if on_batch:
                    on_batch("before_commit", info)
            result.batches += 1
            result.landed_rows += inserted
            result.cursor = str(new_cursor)
            if on_batch:
                on_batch("after_commit", info)
            if batch.height < batch_size:
                break
        with conn.transaction():
            result.total_rows, result.max_change_id, result.max_changed_at = sink.totals()


# ============================================================================ cursor, for sensors
def _hint_path(wh: Warehouse) -> Path:
    return wh.duckdb_path.with_name(wh.duckdb_path.name + ".cursor.json")


def write_cursor_hint(wh: Warehouse, cursor: str, landed_rows: int) -> None:
    """A copy of the DuckDB cursor outside the file, so a sensor can compare it with the
    registry without opening the working file (which a run may hold). Only a hint: the
    truth is ``raw.landing_state``; a stale hint just costs one empty micro-batch."""
    path = _hint_path(wh)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps({"cursor": cursor, "landed_rows": landed_rows, "updated_at": dt.datetime.now(dt.UTC).isoformat()}))
    os.replace(tmp, path)


def landed_cursor(wh: Warehouse) -> Cursor | None:
    """The landed cursor, or None when unknown (nothing landed yet, or no hint)."""
    if wh.is_postgres:
        import psycopg

        try:
            with psycopg.connect(wh.pg_dsn, connect_timeout=5) as conn:
                row = conn.execute(f"select cursor from {STATE_TABLE} where source = %s", [CHANGES_SOURCE]).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        return Cursor.parse(row[0]) if row else None
    try:
        return Cursor.parse(json.loads(_hint_path(wh).read_text())["cursor"])
    except (FileNotFoundError, KeyError, ValueError):
        return None


@dataclass(frozen=True)
class Pending:
    count: int  # readable changes past the landed cursor (capped at 1,000,000)
    landed: Cursor | None
    head: Cursor  # the newest readable change in the registry


def pending_changes(registry_url: str, wh: Warehouse) -> Pending:
    """The sensor condition: does the registry hold readable changes past the landed cursor?"""
    landed = landed_cursor(wh)
    with RegistrySource(registry_url) as source:
        count, head = source.pending_after(landed or Cursor())
    return Pending(count=count, landed=landed, head=head)
