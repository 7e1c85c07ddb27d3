"""Where releases read from: one pinned version of the published warehouse, plus (for the one
identified dataset) national ID numbers from the registry.

Pinned: a release run resolves ``published/CURRENT`` once and reads every dataset from that
file, so the datasets of one run agree with each other even if the pipeline publishes again
meanwhile. The file is attached read-only into a private in-memory DuckDB (where the cubes and
pseudonym work happen), so a release never touches the working warehouse nor blocks its writer.

National IDs: the warehouse deliberately holds no direct identifier (``fct_death`` only has
``national_id_present``; analysts and dashboards read it). The electoral-roll extract therefore
takes the selection (adult deaths, active acts) from the published marts and the ID numbers
from the registry, the source of truth, at release time, keeping only acts still active there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.lib.publish import current_version
from pipelines.lib.warehouse import Warehouse

# publish_meta keys that say how fresh the data is (the newest landed change), in preference order
FRESHNESS_KEYS = ("data_as_of", "newest_changed_at", "max_changed_at", "last_changed_at", "changes_until")


@dataclass
class Snapshot:
    con: duckdb.DuckDBPyConnection
    source: str  # the published file name, or "postgresql"
    tables: set[str]
    meta: dict[str, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.tables

    def columns(self, name: str) -> list[str]:
        return [r[0] for r in self.con.execute(f'describe "{name}"').fetchall()]

    @property
    def data_as_of(self) -> str | None:
        """Newest change the published data contains: an input, so it may go in a release
        (the publish time may not: re-publishing the same data would change the bytes)."""
        for key in FRESHNESS_KEYS:
            if self.meta.get(key) is not None:
                return _iso(self.meta[key])
        for key, value in sorted(self.meta.items()):
            if key.endswith("changed_at") and value is not None:
                return _iso(value)
        parts = [f"select max(registered_at) as m from {t}" for t in ("fct_birth", "fct_death") if self.has(t)]
        if not parts:
            return None
        row = self.con.execute(f"select max(m) from ({' union all '.join(parts)})").fetchone()
        return _iso(row[0]) if row and row[0] is not None else None


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@contextmanager
def open_snapshot(wh: Warehouse, tables: set[str] | None = None) -> Iterator[Snapshot]:
    """The published warehouse as an in-memory DuckDB with every read-facing table by bare name."""
    con = duckdb.connect()
    try:
        if wh.is_postgres:
            snap = _postgres_snapshot(con, wh, tables)
        else:
            path = current_version(wh)
            con.execute(f"attach '{_quote(str(path))}' as pub (read_only)")
            names = {
                r[0]
                for r in con.execute(
                    "select table_name from information_schema.tables where table_catalog = 'pub' and table_schema = 'main'"
                ).fetchall()
            }
            for name in sorted(names):
                con.execute(f'create view "{name}" as select * from pub.main."{name}"')
            snap = Snapshot(con, path.name, names)
        if snap.has("publish_meta"):
            row = con.sql("select * from publish_meta").to_arrow_table().to_pylist()
            snap.meta = row[0] if row else {}
        yield snap
    finally:
        con.close()


def _quote(s: str) -> str:
    return s.replace("'", "''")


def _postgres_snapshot(con: duckdb.DuckDBPyConnection, wh: Warehouse, tables: set[str] | None) -> Snapshot:
    """PostgreSQL: copy the needed marts into the private DuckDB inside ONE repeatable-read,
    read-only transaction, so every dataset of the run sees the same state."""
    import polars as pl
    import psycopg

    with psycopg.connect(wh.pg_dsn) as pg:
        pg.execute("set transaction isolation level repeatable read, read only")
        existing = {
            r[0]
            for r in pg.execute(
                "select table_name from information_schema.tables where table_schema = %s", [wh.models_schema]
            ).fetchall()
        }
        wanted = sorted(existing if tables is None else (existing & (tables | {"publish_meta", "quality_results"})))
        for name in wanted:
            cur = pg.execute(f'select * from {wh.models_schema}."{name}"')  # noqa: S608 - names from the catalog
            cols = [d.name for d in cur.description or []]
            frame = pl.DataFrame(cur.fetchall(), schema=cols, orient="row", infer_schema_length=None)
            con.register(f"_pg_{name}", frame.to_arrow())
            con.execute(f'create table "{name}" as select * from "_pg_{name}"')
            con.unregister(f"_pg_{name}")
    return Snapshot(con, "postgresql", set(wanted))


def load_national_ids(registry_url: str, batch: int = 200_000) -> pa.Table:
    """(act_id, national_id) of every active death act that carries a national ID. Plain DBAPI
    cursor in batches: millions of rows without ORM row objects."""
    from registry_api.core.db import make_engine

    engine = make_engine(registry_url, read_only=True)
    ids: list[int] = []
    nids: list[str] = []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "select act_id, national_id from acts "
            "where act_type = 'death' and status = 'active' and national_id is not null"
        )
        while rows := cur.fetchmany(batch):
            a, n = zip(*rows, strict=True)
            ids.extend(a)
            nids.extend(n)
        cur.close()
    finally:
        raw.close()
        engine.dispose()
    return pa.table({"act_id": pa.array(ids, pa.int64()), "national_id": pa.array(nids, pa.string())})
