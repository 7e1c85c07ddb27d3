"""Two ways to evaluate one GX suite on one frame, with the same answers.

* **GX** (``validate_gx``): the frame is loaded as pandas and validated by GX Core through a
  pandas data source and a whole-dataframe batch definition. Used for every frame up to
  ``engine.gx_max_rows`` rows (all aggregate frames, small marts, every test).
* **SQL** (``validate_sql``): for big frames (``fct_birth`` at 10M acts) each expectation of
  the suite is compiled to a SQL predicate that marks an unexpected row, and all of a suite's
  predicates are counted in one scan in the warehouse. Bad rows go to ``quarantine`` with an
  ``insert ... select``, without crossing into Python. The results are wrapped back into GX
  ``ExpectationValidationResult`` objects so Data Docs render them like the others.

GX is the specification; SQL is a compiled fast path for the expectation types listed in
``_predicate``. ``tests/quality/test_engine_parity.py`` runs every rule's defect dataset
through both and requires identical unexpected counts and keys. A suite with an expectation the
compiler does not know is validated by GX whatever its size (slow, but never wrong).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

if TYPE_CHECKING:
    from quality.db import QualityDB


@dataclass
class Result:
    """One expectation's outcome in one run: a row of ``quality_results``."""

    run_id: str
    suite: str
    model: str
    expectation: str
    rule: str
    severity: str
    success: bool | None  # None: skipped (the reason is in observed_value)
    column: str | None = None
    observed_value: str | None = None
    unexpected_count: int | None = None
    element_count: int | None = None
    unexpected_percent: float | None = None
    sample_keys: list[str] = field(default_factory=list)
    engine: str = "gx"
    exclude: bool = False  # failing rows are quarantined for exclusion, not only flagged
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def failed(self) -> bool:
        return self.success is False

    def as_row(self) -> tuple[Any, ...]:
        return (
            self.run_id, self.suite, self.model, self.expectation, self.rule, self.severity,
            self.success, self.column, self.observed_value, self.unexpected_count, self.element_count,
            self.unexpected_percent, json.dumps(self.sample_keys), self.engine,
            "exclude" if self.exclude else "flag", self.checked_at,
        )


@dataclass
class QuarantineRow:
    row_key: str
    observed_value: str
    rule: str
    severity: str
    exclude: bool


@dataclass
class SuiteOutcome:
    results: list[Result]
    quarantine: list[QuarantineRow]  # GX path; the SQL path inserts its rows itself
    validation: ExpectationSuiteValidationResult
    engine: str
    rows: int
    seconds: float = 0.0
    quarantined_sql: int = 0


# ----------------------------------------------------------------------------- shared bits
def meta_of(config: Any) -> tuple[str, str, bool]:
    meta = config.meta or {}
    return str(meta.get("rule", config.type)), str(meta.get("severity", "error")), bool(meta.get("exclude", False))


def columns_of_config(config: Any) -> list[str]:
    kw = config.kwargs
    cols = [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
    return cols + list(kw.get("column_list") or [])


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "null"
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is None and value == value.normalize():
            return value.date().isoformat()
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        # the way DuckDB and PostgreSQL (session in UTC) cast a timestamp to text, so keys
        # and observed values read the same whichever engine produced them
        text = f"{value.astimezone(dt.UTC) if value.tzinfo else value:%Y-%m-%d %H:%M:%S}"
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
        return text + ("+00" if value.tzinfo else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def mask_value(value: Any) -> str:
    """Shape of a personal value: letters to A/a, digits to 9."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    out = []
    for ch in str(value):
        out.append("A" if "A" <= ch <= "Z" else "a" if "a" <= ch <= "z" else "9" if ch.isdigit() else ch)
    return "".join(out)


def _observed(cols: Sequence[str], record: dict[str, Any], masked: frozenset[str]) -> str:
    return ", ".join(f"{c}={mask_value(record.get(c)) if c in masked else _fmt(record.get(c))}" for c in cols)


# ----------------------------------------------------------------------------- GX path
def ephemeral_context() -> Any:
    """An in-memory GX context: analytics off, no progress bars, nothing written to disk."""
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    cfg = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                            analytics_enabled=False)
    ctx = gx.get_context(mode="ephemeral", project_config=cfg)
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return ctx


_BIG_SET = 50


def _shrunk(expectation: Any, df: pd.DataFrame) -> Any:
    """A copy whose large ``value_set`` keeps only the values present in the frame.

    GX re-serialises an expectation's kwargs thousands of times while planning metrics, so a
    1,588-office set costs about a second per expectation; valid-and-present is exactly as
    strict (absent values cannot be unexpected) and usually tiny."""
    e = expectation.copy()
    kw = e.configuration.kwargs
    values = kw.get("value_set")
    column = kw.get("column")
    if e.expectation_type == "expect_column_values_to_be_in_set" and values and len(values) > _BIG_SET \
            and column in df.columns:
        present = set(df[column].dropna().unique().tolist())
        kept = [v for v in values if v in present]
        e.value_set = kept or values[:1]
    return e


def validate_gx(
    df: pd.DataFrame, suite: gx.ExpectationSuite, *, key: Sequence[str], masked: frozenset[str],
    run_id: str, model: str, sample_keys: int, context: Any = None,
) -> SuiteOutcome:
    """Validate ``df`` with GX Core (pandas data source, whole-dataframe batch)."""
    context = context or ephemeral_context()
    uid = uuid.uuid4().hex[:8]
    source = context.data_sources.add_pandas(f"civstat_{uid}")
    asset = source.add_dataframe_asset(name=suite.name)
    batch = asset.add_batch_definition_whole_dataframe(f"{suite.name}_whole")
    fresh = gx.ExpectationSuite(name=suite.name, expectations=[_shrunk(e, df) for e in suite.expectations])
    fresh = context.suites.add_or_update(fresh)
    vd = context.validation_definitions.add(gx.ValidationDefinition(name=f"{suite.name}_{uid}", data=batch, suite=fresh))
    fmt: dict[str, Any] = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
    if key:
        fmt["unexpected_index_column_names"] = list(key)
    validation = vd.run(batch_parameters={"dataframe": df}, result_format=fmt)
    results: list[Result] = []
    quarantine: list[QuarantineRow] = []
    for r in validation.results:
        cfg = r.expectation_config
        rule, severity, exclude = meta_of(cfg)
        res = r.result or {}
        cols = columns_of_config(cfg)
        out = Result(
            run_id=run_id, suite=suite.name, model=model, expectation=cfg.type, rule=rule,
            severity=severity, success=bool(r.success), column=",".join(cols) or None,
            unexpected_count=res.get("unexpected_count"), element_count=res.get("element_count", len(df)),
            unexpected_percent=res.get("unexpected_percent"), engine="gx", exclude=exclude,
        )
        exc = (r.exception_info or {})
        if exc.get("raised_exception"):
            out.success = False
            out.observed_value = f"error: {str(exc.get('exception_message'))[:300]}"
        elif "observed_value" in res:
            out.observed_value = _fmt(res["observed_value"])
        index_list = res.get("unexpected_index_list") or []
        if key and index_list and isinstance(index_list[0], dict):
            rows = [(
                "|".join(_fmt(rec.get(k)) for k in key),
                _observed([c for c in cols if c not in key] or cols, rec, masked),
            ) for rec in index_list]
            out.sample_keys = [k for k, _ in rows[:sample_keys]]
            if out.observed_value is None:
                out.observed_value = "; ".join(o for _, o in rows[:5])
            if not r.success:
                quarantine.extend(QuarantineRow(k, o, rule, severity, exclude) for k, o in rows)
        elif res.get("partial_unexpected_list") and out.observed_value is None:
            vals = res["partial_unexpected_list"][:5]
            out.observed_value = ", ".join(mask_value(v) if set(cols) & masked else _fmt(v) for v in vals)
        results.append(out)
    return SuiteOutcome(results, quarantine, validation, "gx", len(df))


# ----------------------------------------------------------------------------- SQL path
def _lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _predicate(db: QualityDB, config: Any, sets: list[str] | None = None) -> tuple[str, str] | None:
    """(unexpected-row predicate, counted-row predicate) for a row-level expectation, or None
    when this expectation type is not compiled (the suite then goes through GX).

    A large set of codes (1,588 offices) becomes a temporary table (its name is appended to
    ``sets`` for the caller to drop): ``not in (select ...)`` is a hash anti-join, where a
    1,588-literal ``not in (...)`` list costs ~7 s per million rows on DuckDB."""
    t, kw = config.type, config.kwargs
    c = kw.get("column")
    if t == "expect_column_values_to_not_be_null":
        return f"{c} is null", "true"
    if t == "expect_column_values_to_be_in_set":
        vals = list(kw["value_set"])
        if sets is not None and len(vals) > _BIG_SET and all(isinstance(v, str) for v in vals):
            name = f"q_set_{uuid.uuid4().hex[:10]}"
            db.execute(f"create temp table {name} (v varchar)")
            db.executemany(f"insert into {name} values (?)", [(v,) for v in vals])
            sets.append(name)
            return f"{c} is not null and {c} not in (select v from {name})", f"{c} is not null"
        values = ", ".join(_lit(v) for v in vals)
        return f"{c} is not null and {c} not in ({values})", f"{c} is not null"
    if t == "expect_column_values_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        parts = []
        if lo is not None:
            parts.append(f"{c} {'<=' if kw.get('strict_min') else '<'} {_lit(lo)}")
        if hi is not None:
            parts.append(f"{c} {'>=' if kw.get('strict_max') else '>'} {_lit(hi)}")
        return f"{c} is not null and ({' or '.join(parts) or 'false'})", f"{c} is not null"
    if t == "expect_column_values_to_match_regex":
        return (f"{c} is not null and not {db.regex_match(f'cast({c} as varchar)', kw['regex'])}",
                f"{c} is not null")
    if t in ("expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal"):
        if kw.get("ignore_row_if") != "either_value_is_missing":
            return None
        a, b = kw["column_A"], kw["column_B"]
        both = f"{a} is not null and {b} is not null"
        if t == "expect_column_pair_values_to_be_equal":
            return f"{both} and {a} <> {b}", both
        op = ">=" if kw.get("or_equal") else ">"
        return f"{both} and not ({a} {op} {b})", both
    return None


_UNIQUE = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


def compilable(suite: gx.ExpectationSuite, db: QualityDB) -> bool:
    return all(e.configuration.type in _UNIQUE or _predicate(db, e.configuration) is not None
               for e in suite.expectations)


def _key_expr(key: Sequence[str]) -> str:
    return " || '|' || ".join(f"coalesce(cast({k} as varchar), 'null')" for k in key) or "''"


def _obs_expr(db: QualityDB, cols: Sequence[str], masked: frozenset[str]) -> str:
    parts = [
        f"'{c}=' || coalesce({db.mask(c) if c in masked else f'cast({c} as varchar)'}, 'null')" for c in cols
    ]
    return " || ', ' || ".join(parts) or "''"


def validate_sql(
    db: QualityDB, tmp: str, suite: gx.ExpectationSuite, *, key: Sequence[str], masked: frozenset[str],
    run_id: str, model: str, sample_keys: int, quarantine_table: str | None, now: dt.datetime,
) -> SuiteOutcome:
    """Count every expectation's unexpected rows of the materialised frame ``tmp`` in one scan
    (uniqueness: one grouped query each) and quarantine them with ``insert ... select``."""
    sets: list[str] = []
    try:
        return _validate_sql(db, tmp, suite, key=key, masked=masked, run_id=run_id, model=model,
                             sample_keys=sample_keys, quarantine_table=quarantine_table, now=now, sets=sets)
    finally:
        for name in sets:
            db.execute(f"drop table if exists {name}")


def _validate_sql(
    db: QualityDB, tmp: str, suite: gx.ExpectationSuite, *, key: Sequence[str], masked: frozenset[str],
    run_id: str, model: str, sample_keys: int, quarantine_table: str | None, now: dt.datetime, sets: list[str],
) -> SuiteOutcome:
    configs = [e.configuration for e in suite.expectations]
    row_preds = [(i, _predicate(db, c, sets)) for i, c in enumerate(configs) if c.type not in _UNIQUE]
    selects = ["count(*)"]
    for _, pred in row_preds:
        assert pred is not None, "suite not compilable: validate it with GX"
        selects += [f"count(*) filter (where {pred[0]})", f"count(*) filter (where {pred[1]})"]
    counts = db.rows(f"select {', '.join(selects)} from {tmp}")[0]
    total = int(counts[0])
    unexpected: dict[int, tuple[int, int, str]] = {}  # index -> (unexpected, counted, where-sql)
    for n, (i, pred) in enumerate(row_preds):
        assert pred is not None
        unexpected[i] = (int(counts[1 + 2 * n]), int(counts[2 + 2 * n]), f"where {pred[0]}")
    for i, c in enumerate(configs):
        if c.type in _UNIQUE:
            cols = columns_of_config(c)
            group = ", ".join(cols)
            # GX ignores rows whose key columns are all missing; so do we
            present = f"not ({' and '.join(f'{x} is null' for x in cols)})"
            dup = f"select {group} from {tmp} where {present} group by {group} having count(*) > 1"
            n = db.scalar(f"select coalesce(sum(n), 0) from (select count(*) as n from {tmp} where {present}"
                          f" group by {group} having count(*) > 1) d")
            counted = db.scalar(f"select count(*) from {tmp} where {present}")
            cond = " and ".join(f"f.{x} is not distinct from d.{x}" for x in cols)
            unexpected[i] = (int(n or 0), int(counted or 0),
                             f"f where {present} and exists (select 1 from ({dup}) d where {cond})")

    results: list[Result] = []
    evrs: list[ExpectationValidationResult] = []
    quarantined = 0
    for i, c in enumerate(configs):
        rule, severity, exclude = meta_of(c)
        n_bad, counted, where = unexpected[i]
        cols = columns_of_config(c)
        obs_cols = [x for x in cols if x not in key] or cols
        pct = (100.0 * n_bad / counted) if counted else 0.0
        res = Result(
            run_id=run_id, suite=suite.name, model=model, expectation=c.type, rule=rule, severity=severity,
            success=n_bad == 0, column=",".join(cols) or None, unexpected_count=n_bad, element_count=total,
            unexpected_percent=pct, engine="sql", exclude=exclude, checked_at=now,
        )
        partial: list[str] = []
        if n_bad:
            src = f"{tmp} {where}"
            got = db.rows(f"select {_key_expr(key)}, {_obs_expr(db, obs_cols, masked)} from {src} limit {int(sample_keys)}")
            res.sample_keys = [str(k) for k, _ in got]
            partial = [str(o) for _, o in got]
            res.observed_value = "; ".join(partial[:5])
            if quarantine_table:
                db.execute(
                    f"insert into {quarantine_table} (run_id, suite, model, rule, severity, action, key_columns,"
                    f" row_key, observed_value, quarantined_at) select ?, ?, ?, ?, ?, ?, ?, {_key_expr(key)},"
                    f" {_obs_expr(db, obs_cols, masked)}, ? from {src}",
                    [run_id, suite.name, model, rule, severity, "exclude" if exclude else "flag", ",".join(key), now],
                )
                quarantined += n_bad
        results.append(res)
        evrs.append(ExpectationValidationResult(
            success=n_bad == 0, expectation_config=c,
            result={"element_count": total, "unexpected_count": n_bad, "unexpected_percent": pct,
                    "missing_count": total - counted, "partial_unexpected_list": partial},
            meta={"engine": "sql"},
        ))
    validation = ExpectationSuiteValidationResult(
        success=all(r.success for r in results), results=evrs, suite_name=suite.name,
        statistics={"evaluated_expectations": len(results),
                    "successful_expectations": sum(1 for r in results if r.success),
                    "unsuccessful_expectations": sum(1 for r in results if not r.success),
                    "success_percent": 100.0 * sum(1 for r in results if r.success) / max(len(results), 1)},
        meta={"engine": "sql", "rows": total, "active_batch_definition": {"data_asset_name": model}},
    )
    return SuiteOutcome(results, [], validation, "sql", total, quarantined_sql=quarantined)
