"""Reconciliation with the registry, the source of truth.

* ``acts_reconciliation``: acts per (office, register year) in the registry equal those in
  ``fct_birth`` + ``fct_death`` (cancelled acts included: they stay in the registers) plus the
  acts the marts left out because they are quarantined for exclusion. The
  registry is counted *as of the warehouse's cursor* (acts whose ``create`` change is at or
  before it), so a live registry that kept registering during the run does not show up as a
  difference; only a lost, doubled or misplaced act does.
* ``landing_cursor``: the cursor in ``raw.landing_state`` is the newest landed change, and how
  far the registry has moved past it (caught up = 0: warn, because a live registry never waits).
* ``changes_reconciliation``: every registry change at or before the cursor is landed exactly
  once and nothing else is landed. Counts are compared per block of change ids; only the blocks
  that differ are fetched id by id, so a 30M-change log costs two grouped scans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from sqlalchemy import Engine, text

from quality.suites._base import Frame, Inputs, SuiteBuilder, SuiteSpec
from registry_api.services.changes import Cursor

if TYPE_CHECKING:
    from quality.db import QualityDB

CHANGES = "raw.registry_changes"
STATE = "raw.landing_state"
CHANGES_SOURCE = "registry.changes"  # pipelines.lib.landing.CHANGES_SOURCE
BLOCK = 100_000
_AT_OR_BEFORE = "(txid < :t or (txid = :t and change_id <= :c))"


def registry_engine(url: str) -> Engine:
    from registry_api.core.db import make_engine

    return make_engine(url, read_only=True, pool_size=1)


def warehouse_cursor(db: QualityDB) -> Cursor:
    if not db.table_exists(db.raw, "landing_state"):
        return Cursor()
    raw = db.scalar(f"select cursor from {STATE} where source = ?", [CHANGES_SOURCE])
    return Cursor.parse(raw)


def _registry_rows(engine: Engine, sql: str, params: dict[str, Any]) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def _skip(key: tuple[str, ...], inputs: Inputs) -> Frame | None:
    if not inputs.registry_url:
        return Frame(key=key, df=pd.DataFrame(), skipped="no registry configured")
    return None


# ----------------------------------------------------------------------------- acts
def build_acts_reconciliation_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder("acts_reconciliation", inputs)
    b.between("difference", "acts_reconcile", "error", min_value=0, max_value=0)
    return b.suite


def acts_frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    key = ("office_code", "register_year")
    if (skip := _skip(key, inputs)) is not None:
        return skip
    cur = warehouse_cursor(db)
    engine = registry_engine(inputs.registry_url or "")
    try:
        p = {"t": cur.txid, "c": cur.change_id}
        pending = _registry_rows(engine, f"select count(*) from changes where not {_AT_OR_BEFORE}", p)[0][0]
        if pending:
            sql = ("select a.office_code, a.register_year, count(*) from acts a where exists (select 1 from changes c"
                   " where c.act_id = a.act_id and c.entity_type = 'act' and c.change_kind = 'create'"
                   " and (c.txid < :t or (c.txid = :t and c.change_id <= :c))) group by a.office_code, a.register_year")
        else:  # the warehouse is caught up: every act counts
            sql = "select office_code, register_year, count(*) from acts group by office_code, register_year"
        reg = pd.DataFrame(_registry_rows(engine, sql, p), columns=["office_code", "register_year", "registry_acts"])
    finally:
        engine.dispose()
    facts = (f"select act_id, office_code, register_year from {db.qualified('fct_birth')} union all "
             f"select act_id, office_code, register_year from {db.qualified('fct_death')}")
    excluded = ""
    if db.table_exists(db.models, "quarantine"):
        # acts the marts left out on purpose (quarantined for exclusion) are accounted, not lost
        excluded = (
            f" union all select r.act_id, r.office_code, cast(r.after_image->>'register_year' as integer)"
            f" from {CHANGES} r where r.entity_type = 'act' and r.change_kind = 'create' and r.act_id in ("
            f"select cast(row_key as bigint) from {db.models}.quarantine where suite = 'registry_acts'"
            f" and action = 'exclude') and r.act_id not in (select act_id from ({facts}) f)"
        )
    wh = db.df(f"select office_code, register_year, count(*) as warehouse_acts from ({facts}{excluded}) a"
               " group by office_code, register_year")
    df = reg.merge(wh, on=["office_code", "register_year"], how="outer")
    df[["registry_acts", "warehouse_acts"]] = df[["registry_acts", "warehouse_acts"]].fillna(0).astype("int64")
    df["register_year"] = df["register_year"].astype("int64")
    df["difference"] = df["warehouse_acts"] - df["registry_acts"]
    df = df.sort_values(["office_code", "register_year"]).reset_index(drop=True)
    return Frame(key=key, df=df, info={"cursor": str(cur), "registry_pending_changes": int(pending),
                                       "registry_acts": int(df["registry_acts"].sum()),
                                       "warehouse_acts": int(df["warehouse_acts"].sum())})


# ----------------------------------------------------------------------------- cursor
def build_landing_cursor_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder("landing_cursor", inputs)
    b.add(gxe.ExpectColumnPairValuesToBeEqual(column_A="state_cursor", column_B="newest_landed",
                                              ignore_row_if="either_value_is_missing"),
          "cursor_matches_landed", "error")
    b.between("registry_pending", "cursor_caught_up", "warn", max_value=0)
    return b.suite


def cursor_frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    cur = warehouse_cursor(db)
    newest = db.rows(f"select txid, change_id from {CHANGES} order by txid desc, change_id desc limit 1")
    row: dict[str, Any] = {
        "source": CHANGES_SOURCE, "state_cursor": str(cur),
        "newest_landed": str(Cursor(int(newest[0][0]), int(newest[0][1]))) if newest else str(Cursor()),
        "registry_pending": None, "registry_head": None,
    }
    if inputs.registry_url:
        engine = registry_engine(inputs.registry_url)
        try:
            horizon = ""
            if engine.dialect.name == "postgresql":
                horizon = " and txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
            p = {"t": cur.txid, "c": cur.change_id}
            row["registry_pending"] = int(_registry_rows(
                engine, f"select count(*) from changes where not {_AT_OR_BEFORE}{horizon}", p)[0][0])
            head = _registry_rows(engine, "select txid, change_id from changes where true"
                                  f"{horizon} order by txid desc, change_id desc limit 1", {})
            row["registry_head"] = str(Cursor(int(head[0][0]), int(head[0][1]))) if head else str(Cursor())
        finally:
            engine.dispose()
    return Frame(key=("source",), df=pd.DataFrame([row]), info={k: v for k, v in row.items() if k != "source"})


# ----------------------------------------------------------------------------- changes
def build_changes_reconciliation_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder("changes_reconciliation", inputs)
    b.between("copies_if_in_registry", "change_missing", "error", min_value=1)
    b.between("copies", "change_duplicated", "error", max_value=1)
    b.in_set("in_registry_if_landed", [True], "change_not_in_registry", "error")
    return b.suite


def changes_frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    key = ("change_id",)
    if (skip := _skip(key, inputs)) is not None:
        return skip
    cur = warehouse_cursor(db)
    p = {"t": cur.txid, "c": cur.change_id, "b": BLOCK}
    engine = registry_engine(inputs.registry_url or "")
    try:
        reg = pd.DataFrame(_registry_rows(
            engine, f"select change_id - change_id % :b as block, count(*) from changes where {_AT_OR_BEFORE}"
            " group by change_id - change_id % :b", p), columns=["block", "registry_n"])
        wh = db.df(
            f"select change_id - change_id % {BLOCK} as block, count(*) as landed_n,"
            f" count(distinct change_id) as distinct_n from {CHANGES} group by change_id - change_id % {BLOCK}"
        )
        blocks = reg.merge(wh, on="block", how="outer").fillna(0)
        bad = blocks[(blocks["registry_n"] != blocks["distinct_n"]) | (blocks["landed_n"] != blocks["distinct_n"])]
        rows: list[pd.DataFrame] = []
        for block in bad["block"].astype("int64"):
            r_ids = pd.DataFrame(_registry_rows(
                engine, f"select change_id from changes where change_id >= :lo and change_id < :hi and {_AT_OR_BEFORE}",
                {**p, "lo": int(block), "hi": int(block) + BLOCK}), columns=["change_id"])
            r_ids["in_registry"] = True
            w_ids = db.df(f"select change_id, count(*) as copies from {CHANGES} where change_id >= ? and change_id < ?"
                          " group by change_id", [int(block), int(block) + BLOCK])
            m = r_ids.merge(w_ids, on="change_id", how="outer")
            rows.append(m)
    finally:
        engine.dispose()
    cols = ["change_id", "in_registry", "copies"]
    df = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    df["in_registry"] = df["in_registry"].astype("boolean").fillna(False).astype(bool)
    df["copies"] = pd.to_numeric(df["copies"]).fillna(0).astype("int64")
    df = df[(df["in_registry"] & (df["copies"] != 1)) | (~df["in_registry"] & (df["copies"] > 0))]
    df = df.assign(
        copies_if_in_registry=df["copies"].where(df["in_registry"]),
        in_registry_if_landed=df["in_registry"].astype(object).where(df["copies"] > 0),
    ).sort_values("change_id").reset_index(drop=True)
    return Frame(key=key, df=df, info={
        "cursor": str(cur), "registry_changes": int(blocks["registry_n"].sum()),
        "landed_rows": int(blocks["landed_n"].sum()), "landed_distinct": int(blocks["distinct_n"].sum()),
        "blocks_differing": len(bad),
    })


ACTS_SUITES = (SuiteSpec("acts_reconciliation", "fct_birth+fct_death", build_acts_reconciliation_suite, acts_frame,
                         requires=("fct_birth", "fct_death"), key=("office_code", "register_year")),)
LANDING_SUITES = (
    SuiteSpec("landing_cursor", CHANGES, build_landing_cursor_suite, cursor_frame, requires=(CHANGES,), key=("source",)),
    SuiteSpec("changes_reconciliation", CHANGES, build_changes_reconciliation_suite, changes_frame,
              requires=(CHANGES,), key=("change_id",)),
)
