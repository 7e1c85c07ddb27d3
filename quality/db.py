"""One warehouse connection for a quality run, on DuckDB or PostgreSQL.

The checks read marts, aggregate in SQL and write ``quality_results``/``quarantine`` in the
same warehouse, so they need both dialects behind one small interface. SQL in the suites is
written once with ``?`` placeholders and the few functions whose spelling differs (regex
match, masking) come from here.

DuckDB admits one read-write process: we take the pipelines' writer lock
(``pipelines.lib.writer.duckdb_writer``, an ``flock`` that waits) so a quality run queues
behind landing or a dbt build instead of failing on DuckDB's own lock.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd

from pipelines.lib.warehouse import RAW_SCHEMA, Warehouse


class QualityDB:
    """A thin, typed wrapper: same calls on DuckDB and PostgreSQL."""

    def __init__(self, wh: Warehouse, con: Any) -> None:
        self.wh = wh
        self.con = con
        self.dialect = "postgres" if wh.is_postgres else "duckdb"
        self.models = wh.models_schema
        self.raw = RAW_SCHEMA

    # ------------------------------------------------------------------ SQL text helpers
    @staticmethod
    def _pg(sql: str, params: Sequence[Any]) -> tuple[str, list[Any] | None]:
        """psycopg placeholders; ``%`` is only special when parameters are passed."""
        if not params:
            return sql, None
        return sql.replace("%", "%%").replace("?", "%s"), list(params)

    def regex_match(self, expr: str, pattern: str) -> str:
        """A predicate true when ``expr`` contains a match of ``pattern`` (search semantics,
        like GX's pandas ``str.contains``; anchor the pattern to match whole values)."""
        lit = "'" + pattern.replace("'", "''") + "'"
        return f"regexp_matches({expr}, {lit})" if self.dialect == "duckdb" else f"({expr} ~ {lit})"

    @staticmethod
    def mask(expr: str) -> str:
        """The value's shape (letters -> A/a, digits -> 9): shows a format defect, not the person."""
        return (
            f"regexp_replace(regexp_replace(regexp_replace(cast({expr} as varchar),"
            " '[A-Z]', 'A', 'g'), '[a-z]', 'a', 'g'), '[0-9]', '9', 'g')"
        )

    # ------------------------------------------------------------------ execution
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.dialect == "duckdb":
            self.con.execute(sql, list(params))
        else:
            self.con.execute(*self._pg(sql, params))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.dialect == "duckdb":
            return self.con.execute(sql, list(params)).fetchall()
        return self.con.execute(*self._pg(sql, params)).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        got = self.rows(sql, params)
        return got[0][0] if got else None

    def df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Query result as pandas (what GX validates); PostgreSQL decimals become floats."""
        if self.dialect == "duckdb":
            return self.con.execute(sql, list(params)).df()
        cur = self.con.execute(*self._pg(sql, params))
        cols = [d.name for d in cur.description or []]
        df = pd.DataFrame.from_records(cur.fetchall(), columns=cols)
        for c in df.columns:
            first = df[c].dropna()
            if len(first) and isinstance(first.iloc[0], decimal.Decimal):
                df[c] = pd.to_numeric(df[c], errors="coerce")
            elif len(first) and isinstance(first.iloc[0], dt.datetime):
                df[c] = pd.to_datetime(df[c], utc=first.iloc[0].tzinfo is not None)
            elif len(first) and isinstance(first.iloc[0], dt.date):
                df[c] = pd.to_datetime(df[c])
        return df

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "duckdb":
            self.con.executemany(sql, [list(r) for r in rows])
        else:
            with self.con.cursor() as cur:
                cur.executemany(self._pg(sql, rows[0])[0], [list(r) for r in rows])

    # ------------------------------------------------------------------ catalog
    def table_exists(self, schema: str, table: str) -> bool:
        return bool(self.scalar(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ))

    def columns(self, schema: str, table: str) -> dict[str, str]:
        """Column name -> database type name, in table order."""
        got = self.rows(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        )
        return {str(n): str(t) for n, t in got}

    def qualified(self, name: str) -> str:
        """``raw.x`` stays; a bare model name goes to the models schema."""
        return name if "." in name else f"{self.models}.{name}"


@contextmanager
def connect(wh: Warehouse | None = None, timeout_s: float = 600.0, memory_limit: str | None = None) -> Iterator[QualityDB]:
    """Open the working warehouse for a quality run (waits for the DuckDB writer lock).

    ``memory_limit`` caps DuckDB (default: ``engine.duckdb_memory_limit``); beyond it DuckDB
    spills to disk instead of growing to 80% of the machine's memory, its default."""
    wh = wh or Warehouse.from_settings()
    if wh.is_postgres:
        import psycopg

        with psycopg.connect(wh.pg_dsn, autocommit=True) as conn:
            conn.execute("set TimeZone to 'UTC'")
            yield QualityDB(wh, conn)
        return
    from pipelines.lib.writer import duckdb_writer

    if memory_limit is None:
        from quality.config import default_config

        memory_limit = default_config().duckdb_memory_limit
    with duckdb_writer(wh, timeout_s) as con:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set preserve_insertion_order = false")
        yield QualityDB(wh, con)
