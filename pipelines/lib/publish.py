"""Publishing the warehouse to readers that must never wait on (or block) a pipeline run.

DuckDB allows one read-write process or many read-only ones, never both. So readers (the
dashboards, ``civstat sql``, dataset releases, quality pages) never open the working file:
after each successful run the pipeline copies the read-facing tables (marts, indicators,
quality results, history) into a new file ``published/warehouse-<id>.duckdb`` and then swaps
the pointer file ``published/CURRENT`` with ``os.replace`` (atomic). A reader resolves the
pointer per query (cheap) and opens that version read-only; versions older than the newest
few are removed after a grace period (an open file survives its unlink on POSIX).

On PostgreSQL readers query the ``analytics`` schema directly: MVCC already gives them a
consistent snapshot while dbt writes (each model is swapped in one transaction).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.lib.warehouse import Warehouse

POINTER = "CURRENT"
KEEP_VERSIONS = 3
GRACE_SECONDS = 600
# Read-facing relations: copied into each published version.
PUBLISHED_PREFIXES = ("dim_", "fct_", "ind_", "int_act__history", "quality_", "quarantine", "ds_", "publish_meta")


log = logging.getLogger(__name__)


class NotPublishedError(RuntimeError):
    """No run has published the warehouse yet."""


def _is_published(name: str) -> bool:
    return name.startswith(PUBLISHED_PREFIXES)


def publish_duckdb(con: duckdb.DuckDBPyConnection, wh: Warehouse, meta: dict[str, Any] | None = None) -> Path:
    """Make a new read-only version of the read-facing tables and swap CURRENT to it.

    Delta publishing (docs/scaling.md, "Publishing by delta"): when a previous version exists, the new
    one starts as a byte copy of it and each incremental model whose changed keys are in the
    publish log (dbt_project/macros/publish_log.sql) gets only those rows rewritten; every other
    table (table models, rebuilt models, quality tables, a model whose delta does not add up) is
    copied whole. The keys consumed are cleared from the log after the swap. Returns the path;
    ``LAST_PUBLISH`` holds how each table was published."""
    wh.published_dir.mkdir(parents=True, exist_ok=True)
    version = f"warehouse-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}.duckdb"
    tmp = wh.published_dir / (version + ".tmp")
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name",
        [wh.models_schema],
    ).fetchall()
    names = [r[0] for r in rows if _is_published(r[0])]
    t0 = time.perf_counter()
    logs = _publish_log(con, names)
    previous, compact = _previous_version(wh, con) if any(keys for keys in logs.values()) else (None, 0)
    catalog = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    if previous is not None:
        shutil.copyfile(previous, tmp)
    how: dict[str, str] = {}
    con.execute(f"attach '{tmp}' as pub")
    try:
        have = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'pub' and table_schema = 'main'"
        ).fetchall()}
        for name in names:
            keys = logs.get(name)
            if keys and name in have and _apply_delta(con, catalog, wh.models_schema, name, keys):
                how[name] = "delta"
                continue
            con.execute(f'create or replace table pub."{name}" as select * from {wh.models_schema}."{name}"')
            how[name] = "copy"
        for gone in sorted(have - set(names) - {"publish_meta"}):
            con.execute(f'drop table pub."{gone}"')
        info = {"published_at": dt.datetime.now(dt.UTC), **(meta or {})}
        # typed columns: a None (nothing landed yet) must not make an untyped NULL column
        types = {"text": "varchar", "bigint": "bigint", "timestamptz": "timestamptz", "double precision": "double"}
        cols = ", ".join(
            f'cast(? as {types[PUBLISH_META_COLUMNS[k]]}) as "{k}"' if k in PUBLISH_META_COLUMNS else f'? as "{k}"'
            for k in info
        )
        con.execute(f"create or replace table pub.publish_meta as select {cols}", list(info.values()))
    finally:
        con.execute("detach pub")
    final = wh.published_dir / version
    os.replace(tmp, final)
    pointer_tmp = wh.published_dir / f"{POINTER}.{uuid.uuid4().hex}.tmp"
    pointer_tmp.write_text(version)
    os.replace(pointer_tmp, wh.published_dir / POINTER)
    _clear_publish_log(con, logs, version, final.stat().st_size if previous is None else compact)
    _cleanup(wh.published_dir, keep=final.name)
    LAST_PUBLISH.clear()
    LAST_PUBLISH.update({"version": version, "seconds": round(time.perf_counter() - t0, 3),
                         "based_on": previous.name if previous is not None else None, "tables": how})
    return final


LOG_SCHEMA = "publish_log"  # dbt_project/macros/publish_log.sql
LAST_PUBLISH: dict[str, Any] = {}  # how the last publish_duckdb of this process went (benchmarks, tests)
MAX_GROWTH = 1.5  # a delta-published file at most this many times the last compact one ...
GROWTH_SLACK = 64 * 1024 * 1024  # ... or this many bytes larger, whichever allows more


def _previous_version(wh: Warehouse, con: duckdb.DuckDBPyConnection) -> tuple[Path | None, int]:
    """The current version, if it is the one this working file published last (so the publish
    log holds exactly what changed since): not one published from another working file or
    before the log existed; with the size of the last compact (full) copy it descends from."""
    try:
        path = current_version(wh)
    except NotPublishedError:
        return None, 0
    row = con.execute(f"select version, compact_bytes from {LOG_SCHEMA}.published").fetchone()
    if row is None or not path.exists() or path.name != row[0]:
        return None, 0
    compact = row[1]
    # deleted rows leave free blocks in the copies; past MAX_GROWTH x the size of the last full
    # copy (and GROWTH_SLACK more: a small file doubles with a few new blocks), start again from
    # a compact one
    grown = path.stat().st_size > max(MAX_GROWTH * compact, compact + GROWTH_SLACK)
    return (None, 0) if grown else (path, compact)


def _publish_log(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> dict[str, list[str] | None]:
    """For each published table: the key columns of its pending key log, or None when it must be
    copied whole (no log, or rebuilt since the last publish). ``{}`` without a publish log."""
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [LOG_SCHEMA]).fetchall()}
    if "rebuilt" not in tables:
        return {}
    if "published" not in tables:
        con.execute(f"create table {LOG_SCHEMA}.published (version varchar not null, compact_bytes bigint not null)")
        tables.add("published")
    rebuilt = {r[0] for r in con.execute(f"select distinct model from {LOG_SCHEMA}.rebuilt").fetchall()}
    out: dict[str, list[str] | None] = {}
    for name in names:
        if name in tables and name not in rebuilt:
            out[name] = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
                " order by ordinal_position", [LOG_SCHEMA, name]).fetchall()]
        else:
            out[name] = None
    return out


def _apply_delta(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, name: str, keys: Sequence[str]) -> bool:
    """Rewrite in ``pub`` the rows of ``name`` whose key is in its log; False (and nothing
    kept) when the copy's columns differ from the working table's or the row counts then differ."""
    cols = "select column_name, data_type from information_schema.columns where table_catalog = ? and table_schema = ?" \
           " and table_name = ? order by ordinal_position"
    if con.execute(cols, ["pub", "main", name]).fetchall() != con.execute(cols, [catalog, schema, name]).fetchall():
        return False
    log_table = f'{LOG_SCHEMA}."{name}"'
    match = " and ".join(f't."{k}" = l."{k}"' for k in keys)
    con.execute("begin")
    try:
        con.execute(f'delete from pub."{name}" t where exists (select 1 from {log_table} l where {match})')
        con.execute(f'insert into pub."{name}" select t.* from {schema}."{name}" t'
                    f" where exists (select 1 from {log_table} l where {match})")
        same = con.execute(f'select (select count(*) from pub."{name}") = (select count(*) from {schema}."{name}")'
                           ).fetchone()[0]  # type: ignore[index]
        if not same:  # a change that bypassed the log: copy it whole instead
            con.execute("rollback")
            log.warning("publish: %s's delta does not add up; copying it whole", name)
            return False
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return True


def _clear_publish_log(con: duckdb.DuckDBPyConnection, logs: dict[str, list[str] | None], version: str,
                       compact_bytes: int) -> None:
    """Forget what ``version`` (just published) includes, and remember it as the base of the next."""
    if not logs:
        return
    # every log, not only the published tables': staging models log their keys too (one strategy)
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [LOG_SCHEMA]).fetchall()]
    con.execute("begin")
    for name in tables:
        con.execute(f'delete from {LOG_SCHEMA}."{name}"')
    con.execute(f"insert into {LOG_SCHEMA}.published values (?, ?)", [version, compact_bytes])
    con.execute("commit")


def _cleanup(folder: Path, keep: str) -> None:
    versions = sorted(folder.glob("warehouse-*.duckdb"), key=lambda p: p.name, reverse=True)
    now = time.time()
    for old in versions[KEEP_VERSIONS:]:
        if old.name != keep and now - old.stat().st_mtime > GRACE_SECONDS:
            old.unlink(missing_ok=True)
    for stale in folder.glob("*.tmp"):
        if now - stale.stat().st_mtime > GRACE_SECONDS:
            stale.unlink(missing_ok=True)


def current_version(wh: Warehouse) -> Path:
    pointer = wh.published_dir / POINTER
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        raise NotPublishedError(f"no published warehouse under {wh.published_dir}: run `civstat pipeline` first") from None
    return wh.published_dir / name


_local = threading.local()


def open_published(wh: Warehouse | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current published DuckDB version (reused per thread until
    the pointer moves)."""
    wh = wh or Warehouse.from_settings()
    path = current_version(wh)
    cached = getattr(_local, "con", None)
    if cached is not None and cached[0] == path:
        return cached[1]
    if cached is not None:
        cached[1].close()
    con = duckdb.connect(str(path), read_only=True)
    _local.con = (path, con)
    return con


def query(sql: str, params: Sequence[Any] | dict[str, Any] | None = None, wh: Warehouse | None = None) -> pl.DataFrame:
    """Run a read-only query on the published warehouse; marts and indicators by bare name.

    Parameters use ``$name`` / ``?`` placeholders on DuckDB and ``%(name)s`` / ``%s`` on PostgreSQL.
    """
    wh = wh or Warehouse.from_settings()
    if wh.is_postgres:
        import psycopg

        with psycopg.connect(wh.pg_dsn, options=f"-c search_path={wh.models_schema},public -c default_transaction_read_only=on") as conn:
            cur = conn.execute(sql, params)  # type: ignore[arg-type]
            cols = [d.name for d in cur.description or []]
            return pl.DataFrame(cur.fetchall(), schema=cols, orient="row", infer_schema_length=None)
    con = open_published(wh)
    # DuckDB 2.0: results come from the relation API (a DB-API result has no .pl())
    return con.sql(sql, params=params).pl()


def data_as_of(wh: Warehouse | None = None) -> dict[str, Any]:
    """When the published data was published and the newest change it contains."""
    df = query("select * from publish_meta order by published_at desc limit 1", wh=wh)
    return df.row(0, named=True) if df.height else {}


# ----------------------------------------------------------------------------- after a run
PUBLISH_META_COLUMNS = {
    "published_at": "timestamptz",
    "run_id": "text",
    "max_changed_at": "timestamptz",
    "max_change_id": "bigint",
    "landed_rows": "bigint",
    "total_changes": "bigint",
    "cursor": "text",
    # the registry's setting synthetic_scale: set when it holds simulated activity (readers say so)
    "synthetic_scale": "double precision",
}


_META_FACTS = ("max_changed_at", "max_change_id", "landed_rows", "total_changes", "cursor", "synthetic_scale")


def _meta_sql(param: str) -> str:
    """Facts about the landed data, from the raw layer: ``landed_rows`` is what this run landed."""
    return (
        "select max(changed_at) as max_changed_at, max(change_id) as max_change_id,"
        f" count(*) filter (where landing_run_id = {param}) as landed_rows, count(*) as total_changes,"
        " (select cursor from raw.landing_state where source = 'registry.changes') as cursor,"
        " (select max(cast(value as double precision)) from raw.registry_settings where setting = 'synthetic_scale')"
        " as synthetic_scale"
        " from raw.registry_changes"
    )


def publish(wh: Warehouse, run_id: str) -> dict[str, Any]:
    """Publish after a successful build. DuckDB: a new read-only version + CURRENT swap, under the
    writer lock. PostgreSQL: the models are already live (MVCC); write ``analytics.publish_meta``
    in one transaction. Returns the meta row plus ``version`` (the published file name or the
    PostgreSQL schema)."""
    from pipelines.lib.writer import duckdb_writer

    if wh.is_postgres:
        import psycopg

        cols = ", ".join(f"{k} {t}" for k, t in PUBLISH_META_COLUMNS.items())
        with psycopg.connect(wh.pg_dsn) as conn, conn.transaction():
            conn.execute(f"create schema if not exists {wh.models_schema}")
            conn.execute(f"create table if not exists {wh.models_schema}.publish_meta ({cols})")
            for k, t in PUBLISH_META_COLUMNS.items():  # a publish_meta from an earlier version
                conn.execute(f"alter table {wh.models_schema}.publish_meta add column if not exists {k} {t}")
            row = conn.execute(_meta_sql("%s"), [run_id]).fetchone()
            meta: dict[str, Any] = {"published_at": dt.datetime.now(dt.UTC), "run_id": run_id,
                                    **dict(zip(_META_FACTS, row, strict=True))}
            conn.execute(f"delete from {wh.models_schema}.publish_meta")
            conn.execute(
                f"insert into {wh.models_schema}.publish_meta ({', '.join(meta)}) values ({', '.join(['%s'] * len(meta))})",
                list(meta.values()),
            )
        return {**meta, "version": f"postgres:{wh.models_schema}"}
    with duckdb_writer(wh) as con:
        row = con.execute(_meta_sql("?"), [run_id]).fetchone()
        meta = {"run_id": run_id, **dict(zip(_META_FACTS, row, strict=True))}
        path = publish_duckdb(con, wh, meta)
    published = duckdb.connect(str(path), read_only=True)
    try:
        meta["published_at"] = published.execute("select published_at from publish_meta").fetchone()[0]  # type: ignore[index]
    finally:
        published.close()
    return {**meta, "version": path.name}
