"""Where quality runs leave their trace in the warehouse (models schema).

* ``quality_results``: one row per expectation per run, appended (the dashboard's history).
* ``quarantine``: the rows that failed a row-level rule: suite, rule, row key, observed value
  (never personal data: ids, codes, ages and dates; a national id only as its shape), run id.
  It holds the *current* verdict: a full-scan suite replaces its rows each run; an incremental
  suite replaces the rows of the keys it re-validated (a corrected act leaves quarantine).
  ``action = 'exclude'`` rows are the ones the marts must leave out.
* ``quality_exclusions``: per fact, how many quarantined acts the mart left out and how many it
  still publishes: what "the marts state how many rows they excluded" reads from.
* ``quality_watermarks``: up to which ``landed_at`` the incremental suites have validated.

Names start with ``quality_``/``quarantine`` so ``pipelines.lib.publish.publish_duckdb`` copies
them into each published version (``civstat sql`` and the dashboards read them there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quality.db import QualityDB
    from quality.engine import QuarantineRow, Result

RESULTS = "quality_results"
QUARANTINE = "quarantine"
EXCLUSIONS = "quality_exclusions"
WATERMARKS = "quality_watermarks"

_DDL = {
    RESULTS: """(
        run_id varchar not null, suite varchar not null, model varchar not null,
        expectation varchar not null, rule varchar not null, severity varchar not null,
        success boolean, column_name varchar, observed_value varchar, unexpected_count bigint,
        element_count bigint, unexpected_percent double precision, sample_keys varchar,
        engine varchar, action varchar, checked_at timestamptz not null)""",
    QUARANTINE: """(
        run_id varchar not null, suite varchar not null, model varchar not null, rule varchar not null,
        severity varchar not null, action varchar not null, key_columns varchar not null,
        row_key varchar, observed_value varchar, quarantined_at timestamptz not null)""",
    EXCLUSIONS: """(
        run_id varchar not null, model varchar not null, quarantined_rows bigint not null,
        excluded_rows bigint not null, still_published_rows bigint not null, checked_at timestamptz not null)""",
    WATERMARKS: """(
        suite varchar primary key, landed_through timestamptz, run_id varchar, updated_at timestamptz)""",
}
_RESULT_COLUMNS = ("run_id, suite, model, expectation, rule, severity, success, column_name, observed_value,"
                   " unexpected_count, element_count, unexpected_percent, sample_keys, engine, action, checked_at")


def table(db: QualityDB, name: str) -> str:
    return f"{db.models}.{name}"


def ensure_tables(db: QualityDB) -> None:
    if db.dialect == "postgres":
        db.execute(f"create schema if not exists {db.models}")
    for name, cols in _DDL.items():
        db.execute(f"create table if not exists {table(db, name)} {cols}")


@contextmanager
def transaction(db: QualityDB) -> Iterator[None]:
    """Quarantine replacement and result rows of one suite commit together."""
    if db.dialect == "postgres":
        with db.con.transaction():
            yield
        return
    db.execute("begin transaction")
    try:
        yield
    except BaseException:
        db.execute("rollback")
        raise
    db.execute("commit")


def write_results(db: QualityDB, results: Sequence[Result]) -> None:
    marks = ", ".join("?" * 16)
    db.executemany(f"insert into {table(db, RESULTS)} ({_RESULT_COLUMNS}) values ({marks})",
                   [r.as_row() for r in results])


def clear_quarantine(db: QualityDB, suite: str, keys: Iterable[str] | None = None, keys_sql: str | None = None) -> None:
    """Drop a suite's earlier verdicts: all of them, or those of re-validated keys."""
    q = table(db, QUARANTINE)
    if keys_sql is not None:
        db.execute(f"delete from {q} where suite = ? and row_key in ({keys_sql})", [suite])
    elif keys is not None:
        keys = list(keys)
        for i in range(0, len(keys), 1000):
            chunk = keys[i:i + 1000]
            db.execute(f"delete from {q} where suite = ? and row_key in ({', '.join('?' * len(chunk))})",
                       [suite, *chunk])
    else:
        db.execute(f"delete from {q} where suite = ?", [suite])


def prune_results(db: QualityDB, keep_days: int, now: dt.datetime) -> None:
    """Results older than ``keep_days`` before ``now`` (the run's clock) go: the table is copied
    into every published version."""
    cutoff = now - dt.timedelta(days=keep_days)
    db.execute(f"delete from {table(db, RESULTS)} where checked_at < ?", [cutoff])


def write_quarantine(
    db: QualityDB, rows: Sequence[QuarantineRow], *, run_id: str, suite: str, model: str,
    key_columns: Sequence[str], now: dt.datetime,
) -> None:
    db.executemany(
        f"insert into {table(db, QUARANTINE)} (run_id, suite, model, rule, severity, action, key_columns,"
        " row_key, observed_value, quarantined_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(run_id, suite, model, r.rule, r.severity, "exclude" if r.exclude else "flag", ",".join(key_columns),
          r.row_key, r.observed_value, now) for r in rows],
    )


def watermark(db: QualityDB, suite: str) -> dt.datetime | None:
    got = db.scalar(f"select landed_through from {table(db, WATERMARKS)} where suite = ?", [suite])
    if isinstance(got, dt.datetime) and got.tzinfo is None:
        got = got.replace(tzinfo=dt.UTC)
    return got


def set_watermark(db: QualityDB, suite: str, landed_through: dt.datetime | None, run_id: str) -> None:
    if landed_through is None:
        return
    w = table(db, WATERMARKS)
    db.execute(f"delete from {w} where suite = ?", [suite])
    db.execute(f"insert into {w} (suite, landed_through, run_id, updated_at) values (?, ?, ?, ?)",
               [suite, landed_through, run_id, dt.datetime.now(dt.UTC)])


def write_exclusion(db: QualityDB, *, run_id: str, model: str, quarantined: int, excluded: int,
                    still_published: int, now: dt.datetime) -> None:
    db.execute(
        f"insert into {table(db, EXCLUSIONS)} (run_id, model, quarantined_rows, excluded_rows,"
        " still_published_rows, checked_at) values (?, ?, ?, ?, ?, ?)",
        [run_id, model, quarantined, excluded, still_published, now],
    )
