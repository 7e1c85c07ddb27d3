"""The bulk write path: indexes and foreign keys dropped for the load come back (after a load
and after a failed one), and the COPY text encoding round-trips awkward values."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl
import pytest
from sqlalchemy import create_engine, text

from simulator import history, store

END = dt.date(2026, 6, 30)
LOADED = ("acts", "marginal_notes", "declarations", "document_requests", "family_events", "notifications", "changes",
          "act_counters")


def _schema(url: str) -> dict[str, Any]:
    """Indexes and foreign keys of the loaded tables, as the database reports them."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if url.startswith("sqlite"):
                indexes = conn.execute(text(
                    "select name, sql from sqlite_master where type = 'index' and tbl_name in "
                    f"({', '.join(repr(t) for t in LOADED)}) order by name")).all()
                fks = [(t, *fk[2:5]) for t in LOADED for fk in conn.exec_driver_sql(f"pragma foreign_key_list({t})").all()]
            else:
                indexes = conn.execute(text(
                    "select indexname, indexdef from pg_indexes where schemaname = current_schema() "
                    "and tablename = any(:t) order by 1"), {"t": list(LOADED)}).all()
                fks = conn.execute(text(
                    "select conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated from pg_constraint "
                    "where contype = 'f' and conrelid::regclass::text = any(:t) order by 1, 2"), {"t": list(LOADED)}).all()
            counts = {t: conn.execute(text(f"select count(*) from {t}")).scalar() for t in LOADED}
    finally:
        engine.dispose()
    return {"indexes": sorted(map(tuple, indexes)), "foreign_keys": sorted(map(tuple, fks)), "counts": counts}


def _small_history() -> history.History:
    return history.generate(history.Config(years=1, scale=0.001, seed=3, end_date=END,
                                           cutoff_ts=history.default_cutoff(END)))


def test_indexes_and_foreign_keys_are_back_after_a_load(registry_url: str) -> None:
    before = _schema(registry_url)
    assert before["indexes"] and before["foreign_keys"], "the registry schema has secondary indexes and foreign keys"
    h = _small_history()
    store.load(registry_url, h, store.Progress(store.total_rows(h)))
    after = _schema(registry_url)
    assert after["indexes"] == before["indexes"]
    assert after["foreign_keys"] == before["foreign_keys"]
    assert after["counts"]["acts"] == h.acts.height and after["counts"]["changes"] == store.change_count(h)


def test_a_load_that_breaks_a_foreign_key_fails_and_leaves_the_registry_as_it_was(registry_url: str) -> None:
    """Foreign keys are checked once at the end instead of row by row: a document request
    pointing at no act must still fail the load, and leave no row, index or key missing."""
    before = _schema(registry_url)
    h = _small_history()
    assert h.requests.height > 0
    broken = dataclasses.replace(h, requests=h.requests.with_columns(
        pl.when(pl.col("request_id") == pl.col("request_id").max()).then(pl.lit(10**9)).otherwise(pl.col("act_id"))
        .cast(h.requests.schema["act_id"]).alias("act_id")))
    with pytest.raises(Exception, match="(?i)foreign key"):
        store.load(registry_url, broken, store.Progress(store.total_rows(broken)))
    after = _schema(registry_url)
    assert after == before
    assert set(after["counts"].values()) == {0}
    # and the same registry then takes the correct history
    store.load(registry_url, h, store.Progress(store.total_rows(h)))
    assert _schema(registry_url)["counts"]["acts"] == h.acts.height


@pytest.mark.postgres
def test_copy_text_round_trips_awkward_values(pg_registry_url: str) -> None:
    import psycopg

    df = pl.DataFrame({
        "n": [1, 2, 3, 4, 5],
        "s": ["tab\there", "new\nline\r\n", "back\\slash \\N", "", None],
        "j": ['{"a":"x\\"y","b":"عربي"}', '{"a":"\\\\"}', '{"k":null}', "[]", '{"t":"\\t"}'],
        "d": [dt.date(2020, 1, 1), None, dt.date(1999, 12, 31), dt.date(2026, 6, 30), None],
    })
    data = store.copy_text(df, ["n", "s", "j", "d"])
    with psycopg.connect(pg_registry_url.replace("postgresql+psycopg://", "postgresql://")) as conn, conn.cursor() as cur:
        cur.execute("create temporary table t (n int, s text, j jsonb, d date)")
        with cur.copy("copy t (n, s, j, d) from stdin") as cp:
            cp.write(data)
        cur.execute("select n, s, j::text, d from t order by n")
        got = cur.fetchall()
        cur.execute("select %s::jsonb::text", ('{"a":"x\\"y","b":"عربي"}',))
        first_json = cur.fetchone()[0]  # type: ignore[index]
    assert [r[1] for r in got] == df["s"].to_list()  # empty string stays empty, None stays null
    assert [r[3] for r in got] == df["d"].to_list()
    assert got[0][2] == first_json and got[1][2] == '{"a": "\\\\"}' and got[4][2] == '{"t": "\\t"}'


def test_sqlite_rows_keep_values_and_send_images_as_utf8() -> None:
    df = pl.DataFrame({"a": [1, None], "after_image": ['{"x":"عربي"}', None], "d": [dt.date(2024, 2, 29), None]})
    rows = store._sqlite_rows(df)
    assert rows == [(1, '{"x":"عربي"}'.encode(), "2024-02-29"), (None, None, None)]
    assert store._sqlite_values(["a", "after_image", "d"]) == "?, cast(? as text), ?"
