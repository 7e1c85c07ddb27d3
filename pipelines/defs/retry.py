"""Retry only what may succeed on a second try.

A RetryPolicy retries every exception; a dbt test failure or a bad row would be retried
for nothing. Steps wrap their work in ``transient_only``: transient errors (a lock held by
another writer, a dropped connection) propagate and the policy retries them; anything else
becomes ``dg.Failure(allow_retries=False)`` and fails the step at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from pipelines.lib.writer import WarehouseBusyError

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
_TRANSIENT_TEXT = ("could not set lock", "database is locked", "connection refused", "could not connect",
                   "server closed the connection", "deadlock detected", "timeout")


def is_transient(exc: BaseException) -> bool:
    try:
        import psycopg

        if isinstance(exc, psycopg.OperationalError):
            return True
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    if isinstance(exc, WarehouseBusyError | ConnectionError | TimeoutError | sqlite3.OperationalError | duckdb.IOException):
        return True
    return any(t in str(exc).lower() for t in _TRANSIENT_TEXT)


@contextmanager
def transient_only(what: str) -> Iterator[None]:
    try:
        yield
    except dg.Failure:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise
        raise dg.Failure(f"{what}: {exc.__class__.__name__}: {exc}", allow_retries=False) from exc
