"""Write a generated history into the registry: same tables, same change log, same invariants.

Entity tables get their final rows; the change log gets one row per step of every entity with
the after-image ``record_change`` would have written (``Model.as_dict()``, acts with their
``marginal_notes``), built by the same row functions (``simulator.rows``) that build the stored
rows, so the image of an entity's last version is its stored row. Change ids follow
``changed_at`` (then the order of the steps inside one API transaction), so the change feed
reads the history in time order; on PostgreSQL all rows of one load share the loading
transaction's ``txid`` (column default).

PostgreSQL: one transaction, ``COPY`` (text format), the change log streamed in chronological
chunks that a background thread encodes while the previous chunk is being copied; indexes,
keys and foreign keys of the empty tables built and checked once at the end. SQLite: large
transactions on one connection (WAL kept, ``synchronous=OFF`` for that connection only).
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from registry_api import models
from registry_api.core.db import make_engine
from simulator import rows as R
from simulator.history import History

CHUNK = 250_000
CHECKED_EMPTY = ("acts", "marginal_notes", "declarations", "document_requests", "family_events", "notifications", "changes",
                 "act_counters")
SEQUENCES = {
    "acts": "act_id", "changes": "change_id", "marginal_notes": "note_id", "declarations": "declaration_id",
    "document_requests": "request_id", "notifications": "notification_id", "family_events": "family_event_id",
}
ETYPES = ("act", "declaration", "document_request", "notification", "family_event")
CHANGE_COLUMNS = ("change_id", "entity_type", "entity_id", "act_id", "office_code", "change_kind", "version", "after_image",
                  "actor", "reason", "legal_basis", "changed_at")


class RegistryNotEmpty(Exception):
    """Bulk history is written into an empty registry only (numbers and ids start from it)."""


@dataclass
class Progress:
    """Rows written so far, reported to a callback (the CLI draws a tqdm bar from it)."""

    total: int
    callback: Callable[[int, str], None] | None = None
    done: int = 0

    def advance(self, n: int, what: str) -> None:
        self.done += n
        if self.callback:
            self.callback(n, what)


# ------------------------------------------------------------------------------ entity tables
def tables(h: History, fmt: R.Fmt) -> Iterator[tuple[str, list[str], Callable[[int, int], pl.DataFrame], int]]:
    """(table, columns, chunk maker, rows) for each entity table, in foreign-key order."""
    specs: list[tuple[str, type[models.Base], pl.DataFrame, Callable[[pl.DataFrame, R.Fmt], pl.DataFrame]]] = [
        ("acts", models.Act, h.acts, R.acts),
        ("marginal_notes", models.MarginalNote, h.notes, R.notes),
        ("declarations", models.Declaration, h.declarations, R.declarations),
        ("document_requests", models.DocumentRequest, h.requests, R.requests),
        ("family_events", models.FamilyEvent, h.family_events, R.family_events),
        ("notifications", models.Notification, h.notifications,
         lambda df, fmt: R.notifications(df, fmt, h.acts, h.family_events)),
    ]
    for table, model, frame, fn in specs:
        def make(offset: int, length: int, frame: pl.DataFrame = frame, fn: Callable[..., pl.DataFrame] = fn) -> pl.DataFrame:
            return fn(frame.slice(offset, length), fmt)

        yield table, R.columns(model), make, frame.height
    yield "act_counters", R.columns(models.ActCounter), lambda o, n: R.counters(h.counters.slice(o, n)), h.counters.height


def change_count(h: History) -> int:
    return (h.act_changes.height + h.declaration_changes.height + h.request_changes.height + h.notification_changes.height
            + h.family_events.height)


def total_rows(h: History) -> int:
    return (h.acts.height + h.notes.height + h.declarations.height + h.requests.height + h.family_events.height
            + h.notifications.height + h.counters.height + change_count(h))


# ------------------------------------------------------------------------------ the change log
def change_order(h: History) -> pl.DataFrame:
    """Every change as (ts, prio, etype, entity_id, version, ref), in change_id order; ``ref``
    is the row of the change in its entity's change frame."""
    def part(df: pl.DataFrame, etype: int, entity: str, ts: str = "ts", prio: str | None = "prio") -> pl.DataFrame:
        return df.select(
            pl.col(ts).alias("ts"),
            (pl.col(prio) if prio else pl.lit(0)).cast(pl.Int8).alias("prio"),
            pl.lit(etype, dtype=pl.Int8).alias("etype"),
            pl.col(entity).cast(pl.Int64).alias("entity_id"),
            (pl.col("version") if "version" in df.columns else pl.lit(1)).cast(pl.Int32).alias("version"),
            pl.int_range(0, pl.len(), dtype=pl.Int64).alias("ref"),
        )

    order = pl.concat([
        part(h.act_changes, 0, "act_id"),
        part(h.declaration_changes, 1, "declaration_id"),
        part(h.request_changes, 2, "request_id", prio=None),
        part(h.notification_changes, 3, "notification_id"),
        part(h.family_events, 4, "family_event_id", ts="recorded_ts", prio=None),
    ])
    return order.sort(["ts", "prio", "etype", "entity_id", "version"])


def _notes_json(h: History) -> pl.DataFrame:
    """``marginal_notes`` of each (act, version) that has any, as JSON arrays."""
    if h.notes.height == 0:
        return pl.DataFrame(schema={"act_id": pl.Int64, "version": pl.Int32, "notes_json": pl.String})
    nj = R.notes(h.notes, "json").select("note_id", "act_id", pl.struct(pl.all()).struct.json_encode().alias("nj"))
    nj = nj.join(h.notes.select("note_id", "added_in"), on="note_id")
    versions = h.act_changes.filter(pl.col("n_versions") > 1).select("act_id", "version")
    return versions.join(nj, on="act_id").filter(pl.col("added_in") <= pl.col("version")).group_by("act_id", "version").agg(
        pl.format("[{}]", pl.col("nj").sort_by("note_id").str.join(",")).alias("notes_json")
    ).cast({"act_id": pl.Int64, "version": pl.Int32})


def _json(df: pl.DataFrame) -> pl.Series:
    return df.select(pl.struct(pl.all()).struct.json_encode().alias("after_image"))["after_image"]


def _meta(df: pl.DataFrame, entity_type: str, entity: str, pos: pl.Series, kind: str = "kind") -> pl.DataFrame:
    return pl.DataFrame({"pos": pos}).hstack(df.select(
        pl.lit(entity_type).alias("entity_type"), pl.col(entity).cast(pl.Int64).alias("entity_id"),
        pl.col(kind).alias("change_kind"), pl.col("version").cast(pl.Int32),
    ))


def _act_rows(h: History, ch: pl.DataFrame, pos: pl.Series, notes_json: pl.DataFrame, fmt: R.Fmt) -> pl.DataFrame:
    base = h.acts.drop("version", "updated_ts", "given_variant", "family_variant", "status", "cancel_reason").gather(
        ch["act_id"] - 1)
    state = ch.select(
        pl.col("version"), pl.col("ts").alias("updated_ts"),
        pl.col("given_variant").fill_null(False), pl.col("family_variant").fill_null(False),
        pl.col("sex_override"), pl.col("minute_override"), pl.col("mother_override"),
        pl.when(pl.col("cancelled").fill_null(False)).then(pl.lit("cancelled")).otherwise(pl.lit("active")).alias("status"),
        pl.col("cancel_reason"),
    )
    v = base.hstack(state).with_columns(
        sex=pl.coalesce("sex_override", "sex_base").cast(pl.Int8),
        event_minute=pl.coalesce("minute_override", "minute_base").cast(pl.Int16),
        mother_age=pl.coalesce("mother_override", "mother_age_base").cast(pl.Int16),
    )
    rows = R.acts(v, "json")
    notes = ch.select(pl.col("act_id").cast(pl.Int64), "version").join(
        notes_json, on=["act_id", "version"], how="left", maintain_order="left")["notes_json"].fill_null("[]")
    image = (_json(rows).str.strip_suffix("}") + pl.lit(',"marginal_notes":') + notes + pl.lit("}"))
    return _meta(ch, "act", "act_id", pos).with_columns(
        act_id=rows["act_id"], office_code=rows["office_code"], after_image=image,
        reason=ch["reason"].cast(pl.String), legal_basis=ch["legal_basis"].cast(pl.String),
    )


def _declaration_rows(h: History, ch: pl.DataFrame, pos: pl.Series) -> pl.DataFrame:
    base = h.declarations.drop("status", "version", "review_started_ts", "decided_ts", "act_id").gather(ch["declaration_id"] - 1)
    v = base.hstack(ch.select(
        "status", "version", "review_started_ts", "decided_ts", pl.col("state_act_id").alias("act_id"),
    ))
    rows = R.declarations(v, "json")
    reason = pl.when(ch["kind"] == "reject").then(rows["rejection_reason"]).otherwise(ch["reason"])
    return _meta(ch, "declaration", "declaration_id", pos).with_columns(
        act_id=rows["act_id"], office_code=rows["office_code"], after_image=_json(rows),
        reason=pl.select(reason).to_series(), legal_basis=pl.lit(None, dtype=pl.String),
    )


def _request_rows(h: History, ch: pl.DataFrame, pos: pl.Series) -> pl.DataFrame:
    base = h.requests.drop("status", "version").gather(ch["request_id"] - 1)
    v = base.hstack(ch.select("status", "version")).with_columns(
        issued_ts=pl.when(pl.col("version") >= 2).then(pl.col("issued_ts")))
    rows = R.requests(v, "json")
    return _meta(ch, "document_request", "request_id", pos).with_columns(
        act_id=rows["act_id"], office_code=rows["office_code"], after_image=_json(rows),
        reason=pl.lit(None, dtype=pl.String), legal_basis=pl.lit(None, dtype=pl.String),
    )


def _notification_rows(h: History, ch: pl.DataFrame, pos: pl.Series) -> pl.DataFrame:
    base = h.notifications.drop("status", "version").gather(ch["notification_id"] - 1)
    v = base.hstack(ch.select("status", "version")).with_columns(
        received_ts=pl.when(pl.col("version") >= 2).then(pl.col("received_ts")),
        applied_ts=pl.when(pl.col("version") >= 3).then(pl.col("applied_ts")),
        marginal_note_id=pl.when(pl.col("version") >= 3).then(pl.col("marginal_note_id")),
    )
    rows = R.notifications(v, "json", h.acts, h.family_events)
    return _meta(ch, "notification", "notification_id", pos).with_columns(
        act_id=rows["target_act_id"], office_code=rows["to_office_code"], after_image=_json(rows),
        reason=pl.lit(None, dtype=pl.String), legal_basis=pl.lit(None, dtype=pl.String),
    )


def _family_rows(h: History, ch: pl.DataFrame, pos: pl.Series) -> pl.DataFrame:
    rows = R.family_events(ch, "json")
    return pl.DataFrame({"pos": pos}).with_columns(
        entity_type=pl.lit("family_event"), entity_id=rows["family_event_id"], change_kind=pl.lit("create"),
        version=pl.lit(1, dtype=pl.Int32), act_id=pl.lit(None, dtype=pl.Int64), office_code=rows["husband_birth_office_code"],
        after_image=_json(rows), reason=pl.lit(None, dtype=pl.String), legal_basis=pl.lit(None, dtype=pl.String),
    )


def change_rows(h: History, order: pl.DataFrame, first_id: int, notes_json: pl.DataFrame, fmt: R.Fmt) -> pl.DataFrame:
    """The ``changes`` rows for a slice of ``change_order`` starting at change id ``first_id``."""
    order = order.with_columns(pos=pl.int_range(0, pl.len(), dtype=pl.Int64))
    parts = []
    for etype, (frame, fn) in enumerate((
        (h.act_changes, lambda ch, pos: _act_rows(h, ch, pos, notes_json, fmt)),
        (h.declaration_changes, lambda ch, pos: _declaration_rows(h, ch, pos)),
        (h.request_changes, lambda ch, pos: _request_rows(h, ch, pos)),
        (h.notification_changes, lambda ch, pos: _notification_rows(h, ch, pos)),
        (h.family_events, lambda ch, pos: _family_rows(h, ch, pos)),
    )):
        sel = order.filter(pl.col("etype") == etype)
        if sel.height:
            parts.append(fn(frame.gather(sel["ref"]), sel["pos"]))
    out = pl.concat(parts, how="diagonal_relaxed").sort("pos")
    ts = order.sort("pos")["ts"]
    return out.with_columns(
        change_id=pl.col("pos") + first_id,
        actor=pl.lit(R.ACTOR),
        changed_at=pl.select(R.ts(pl.lit(ts), fmt)).to_series(),
    ).select(CHANGE_COLUMNS)


def change_chunks(h: History, fmt: R.Fmt, chunk: int = CHUNK) -> Iterator[pl.DataFrame]:
    order = change_order(h)
    notes_json = _notes_json(h)
    for off in range(0, order.height, chunk):
        yield change_rows(h, order.slice(off, chunk), off + 1, notes_json, fmt)


def _prefetch(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Run ``items`` in a background thread (polars releases the GIL) so the next chunk is
    encoded while the database ingests the current one."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    done = object()
    failure: list[BaseException] = []
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            failure.append(exc)
        finally:
            q.put(done)

    thread = threading.Thread(target=work, name="simulator-encode", daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not done:
            yield item
        if failure:
            raise failure[0]
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                q.get_nowait()
        thread.join(timeout=30)


# ------------------------------------------------------------------------------ PostgreSQL
_TEXT_SPECIALS = r"[\\\t\n\r]"


def copy_text(df: pl.DataFrame, cols: list[str] | tuple[str, ...]) -> bytes:
    """Rows as PostgreSQL ``COPY ... FROM STDIN`` text format (tab-separated, ``\\N`` for null),
    written by polars straight into a byte buffer (polars' ``write_csv()`` to a ``str`` is
    about three times slower, and CSV quoting of the JSON after-images doubles every quote).
    Backslash, tab, newline and carriage return are escaped in the (rare) string columns that
    contain one, so any value round-trips exactly."""
    df = df.select(cols)
    strings = [c for c, t in df.schema.items() if t == pl.String]
    if strings:
        found = df.select(pl.col(c).str.contains(_TEXT_SPECIALS).any() for c in strings).row(0)
        escape = [c for c, hit in zip(strings, found, strict=True) if hit]
        if escape:
            df = df.with_columns(
                pl.col(c).str.replace_all("\\", "\\\\", literal=True).str.replace_all("\t", "\\t", literal=True)
                .str.replace_all("\n", "\\n", literal=True).str.replace_all("\r", "\\r", literal=True)
                for c in escape
            )
    buf = io.BytesIO()
    df.write_csv(buf, include_header=False, separator="\t", quote_style="never", null_value="\\N")
    return buf.getvalue()


def _drop_secondary_indexes(cur: Any) -> list[str]:
    """Drop the non-unique indexes of the loaded tables; returns their definitions."""
    tables = [t for t in CHECKED_EMPTY if t != "act_counters"]
    cur.execute(
        "select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = any(%s) "
        "and indexdef not like 'CREATE UNIQUE%%'", (tables,))
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f'drop index "{name}"')
    return [definition for _, definition in found]


def _drop_foreign_keys(cur: Any) -> list[tuple[str, str, str]]:
    """Drop the foreign keys declared on the loaded tables; returns (table, name, definition).

    A foreign key checks every row it receives with one query each (about half of the
    entity tables' ``COPY`` time); adding it back at the end validates all rows in one join."""
    cur.execute(
        "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint "
        "where contype = 'f' and conrelid = any(%s::regclass[]) order by 1, 2", (list(CHECKED_EMPTY),))
    found = cur.fetchall()
    for table, name, _ in found:
        cur.execute(f'alter table {table} drop constraint "{name}"')
    return found


def _drop_keys(cur: Any) -> list[tuple[str, str, str]]:
    """Drop the primary keys and unique constraints of the loaded tables that no remaining
    foreign key needs (``declarations_pkey`` stays: ``declaration_documents`` refers to it);
    returns (table, name, definition). Adding them back at the end builds each index once,
    sorted, and checks uniqueness over all the rows, instead of a b-tree insertion per row."""
    cur.execute(
        "select c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) from pg_constraint c "
        "where c.contype in ('p', 'u') and c.conrelid = any(%s::regclass[]) and not exists ("
        "  select 1 from pg_constraint f where f.contype = 'f' and f.confrelid = c.conrelid) order by 1, 2",
        (list(CHECKED_EMPTY),))
    found = cur.fetchall()
    for table, name, _ in found:
        cur.execute(f'alter table {table} drop constraint "{name}"')
    return found


def load_postgres(url: str, h: History, progress: Progress) -> dict[str, float]:
    """One transaction: entity tables, then the change log, then constraints, indexes,
    sequences. The (empty) loaded tables' non-unique indexes, foreign keys, and the primary
    keys and unique constraints no other table's foreign key needs are dropped first and
    rebuilt/validated at the end of the same transaction: a violation fails the load and
    nothing is committed. Other sessions wait for the load (the loaded tables and
    ``offices``, ``provinces`` -- the referenced tables -- are locked until it commits)."""
    import psycopg

    timings: dict[str, float] = {}
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("set local synchronous_commit = off")
        cur.execute(f"lock table {', '.join(CHECKED_EMPTY)} in access exclusive mode")
        for table in CHECKED_EMPTY:
            cur.execute(f"select exists (select 1 from {table})")
            if cur.fetchone()[0]:  # type: ignore[index]
                raise RegistryNotEmpty(f"table {table} already has rows; bulk history needs an empty registry")
        indexes = _drop_secondary_indexes(cur)
        foreign_keys = _drop_foreign_keys(cur)
        keys = _drop_keys(cur)
        t0 = time.perf_counter()

        def entity_chunks() -> Iterator[tuple[str, list[str], bytes, int]]:
            for table, cols, make, n in tables(h, "pg"):
                for off in range(0, n, CHUNK):
                    chunk = make(off, CHUNK)
                    yield table, cols, copy_text(chunk, cols), chunk.height

        for table, cols, data, n in _prefetch(entity_chunks()):
            with cur.copy(f"copy {table} ({', '.join(cols)}) from stdin") as cp:
                cp.write(data)
            progress.advance(n, table)
        timings["entity_tables_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        cols = ", ".join(CHANGE_COLUMNS)
        for data, n in _prefetch((copy_text(c, CHANGE_COLUMNS), c.height) for c in change_chunks(h, "pg")):
            with cur.copy(f"copy changes ({cols}) from stdin") as cp:
                cp.write(data)
            progress.advance(n, "changes")
        timings["changes_s"] = time.perf_counter() - t0
        progress.advance(0, "keys and indexes")  # minutes at national scale: say so on the bar
        t0 = time.perf_counter()
        cur.execute("set local maintenance_work_mem = '256MB'")
        for table, name, definition in keys + foreign_keys:  # keys first: foreign keys need them
            cur.execute(f'alter table {table} add constraint "{name}" {definition}')
        timings["constraints_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for definition in indexes:
            cur.execute(definition)
        timings["indexes_s"] = time.perf_counter() - t0
        for table, pk in SEQUENCES.items():
            cur.execute(
                f"select setval(pg_get_serial_sequence('{table}', '{pk}'), coalesce(max({pk}), 1), max({pk}) is not null) from {table}"
            )
        t0 = time.perf_counter()
        conn.commit()
        timings["commit_s"] = time.perf_counter() - t0
    return timings


# ------------------------------------------------------------------------------ SQLite
def _sqlite_rows(df: pl.DataFrame) -> list[tuple[Any, ...]]:
    """Driver-ready tuples (dates as ISO text, as SQLAlchemy stores them), built column by
    column (a quarter faster than ``iter_rows``). The after-images go as UTF-8 ``bytes``
    (``_sqlite_values`` casts them back to TEXT in SQL): no decoding into ``str`` and
    re-encoding by the driver for the largest column."""
    dates = [c for c, t in df.schema.items() if t == pl.Date]
    if dates:
        df = df.with_columns([pl.col(c).cast(pl.String) for c in dates])
    if "after_image" in df.columns:
        df = df.with_columns(pl.col("after_image").cast(pl.Binary))
    return list(zip(*(s.to_list() for s in df.iter_columns()), strict=True))


def _sqlite_values(cols: list[str] | tuple[str, ...]) -> str:
    return ", ".join("cast(? as text)" if c == "after_image" else "?" for c in cols)


def _sqlite_secondary_indexes(con: Any) -> list[tuple[str, str]]:
    """(name, create statement) of the explicit non-unique indexes of the loaded tables."""
    marks = ", ".join("?" * len(CHECKED_EMPTY))
    return [(name, sql) for name, sql in con.execute(
        f"select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in ({marks}) "
        "order by name", CHECKED_EMPTY).fetchall() if not sql.upper().startswith("CREATE UNIQUE")]


def _sqlite_create_indexes(con: Any, indexes: list[tuple[str, str]]) -> None:
    for _, sql in indexes:
        con.execute(sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))


def load_sqlite(url: str, h: History, progress: Progress) -> dict[str, float]:
    """Large transactions on one connection. The loaded tables are empty, so their
    non-unique indexes are dropped and built once at the end, and foreign keys are checked
    once at the end (``PRAGMA foreign_key_check``) instead of row by row. Driver tuples are
    made in the background thread with the chunk (``sqlite3`` releases the GIL while it
    steps). On failure every table this load wrote to is emptied again and the indexes are
    put back."""
    timings: dict[str, float] = {}
    engine = make_engine(url)
    raw = engine.raw_connection()
    con = raw.driver_connection
    indexes: list[tuple[str, str]] = []
    try:
        con.execute("pragma synchronous=off")
        con.execute("pragma cache_size=-262144")
        con.execute("pragma foreign_keys=off")  # only outside a transaction; checked at the end
        con.execute("begin immediate")
        for table in CHECKED_EMPTY:
            if con.execute(f"select exists (select 1 from {table})").fetchone()[0]:
                con.execute("rollback")
                raise RegistryNotEmpty(f"table {table} already has rows; bulk history needs an empty registry")
        try:
            indexes = _sqlite_secondary_indexes(con)
            for name, _ in indexes:
                con.execute(f'drop index "{name}"')
            t0 = time.perf_counter()

            def entity_chunks() -> Iterator[tuple[str, list[str], list[tuple[Any, ...]]]]:
                for table, cols, make, n in tables(h, "sqlite"):
                    for off in range(0, n, CHUNK):
                        yield table, cols, _sqlite_rows(make(off, CHUNK).select(cols))

            for table, cols, chunk in _prefetch(entity_chunks()):
                con.executemany(f"insert into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})", chunk)
                progress.advance(len(chunk), table)
            con.execute("commit")
            timings["entity_tables_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            sql = f"insert into changes ({', '.join(CHANGE_COLUMNS)}) values ({_sqlite_values(CHANGE_COLUMNS)})"
            for chunk in _prefetch(_sqlite_rows(c) for c in change_chunks(h, "sqlite")):
                con.execute("begin immediate")
                con.executemany(sql, chunk)
                con.execute("commit")
                progress.advance(len(chunk), "changes")
            timings["changes_s"] = time.perf_counter() - t0
            progress.advance(0, "keys and indexes")
            t0 = time.perf_counter()
            con.execute("begin immediate")
            for table in CHECKED_EMPTY:
                bad = con.execute(f"pragma foreign_key_check({table})").fetchmany(5)
                if bad:
                    raise RuntimeError(f"bulk history breaks foreign keys of {table}: {bad}")
            timings["constraints_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            _sqlite_create_indexes(con, indexes)
            con.execute("commit")
            timings["indexes_s"] = time.perf_counter() - t0
        except BaseException:
            with contextlib.suppress(Exception):
                con.execute("rollback")
            _sqlite_cleanup(con, indexes)
            raise
    finally:
        with contextlib.suppress(Exception):
            con.execute("pragma foreign_keys=on")
        raw.close()
        engine.dispose()
    return timings


def _sqlite_cleanup(con: Any, indexes: list[tuple[str, str]]) -> None:
    con.execute("begin immediate")
    for table in ("changes", "act_counters", "notifications", "family_events", "document_requests", "declarations",
                  "marginal_notes", "acts"):
        con.execute(f"delete from {table}")
    _sqlite_create_indexes(con, indexes)
    con.execute("commit")


def load(url: str, h: History, progress: Progress) -> dict[str, float]:
    if url.startswith("sqlite"):
        return load_sqlite(url, h, progress)
    return load_postgres(url, h, progress)

