"""Fast multi-row writes shared by batch capture and the bulk simulator.

PostgreSQL: ids come from the table's sequence in one round trip and rows go through COPY.
SQLite: the write lock is already held (BEGIN IMMEDIATE), so ids are max+1 and rows go
through the driver's executemany. Both run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session


def allocate_ids(session: Session, table: str, id_column: str, n: int) -> list[int]:
    """Reserve ``n`` ids for rows about to be written with explicit ids."""
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(f"select nextval(pg_get_serial_sequence('{table}', '{id_column}')) from generate_series(1, :n)"),
            {"n": n},
        ).scalars().all()
        return [int(r) for r in rows]
    start = int(session.execute(text(f"select coalesce(max({id_column}), 0) from {table}")).scalar_one()) + 1
    # keep sqlite_sequence ahead too, so AUTOINCREMENT never reuses an id we took
    return list(range(start, start + n))


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_UTC_Z)


def json_text(image: dict[str, Any]) -> str:
    """An after-image as JSON text, formatted as ``Model.as_dict()`` would give it."""
    return _dumps(image).decode()


def _column_oids(cur: Any, table: str, columns: Sequence[str]) -> list[int]:
    rows = cur.execute(
        "select attname::text, atttypid::int from pg_attribute where attrelid = %s::regclass and attnum > 0",
        (table,),
    ).fetchall()
    oids = dict(rows)
    return [oids[c] for c in columns]


def copy_rows(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write rows (tuples in ``columns`` order; JSON columns as dicts); returns how many.

    PostgreSQL: binary COPY (about twice the text format's rate), JSON dumped by orjson.
    """
    conn = session.connection()
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        from psycopg.types.json import set_json_dumps

        n = 0
        with dbapi.cursor() as cur:  # type: ignore[union-attr]
            set_json_dumps(_dumps, context=cur)
            oids = _column_oids(cur, table, columns)
            with cur.copy(f"copy {table} ({', '.join(columns)}) from stdin (format binary)") as copy:
                copy.set_types(oids)
                for row in rows:
                    copy.write_row(row)
                    n += 1
        return n
    prepared = [tuple(_sqlite_value(v) for v in row) for row in rows]
    cur = dbapi.cursor()  # type: ignore[union-attr]
    cur.executemany(
        f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})", prepared
    )
    cur.close()
    return len(prepared)


def _sqlite_value(v: Any) -> Any:
    """Values as SQLAlchemy would store them on SQLite (naive UTC timestamps, ISO dates, JSON text)."""
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (dict, list)):
        return json_text(v)  # type: ignore[arg-type]
    return v
