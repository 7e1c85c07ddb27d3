"""Run suites against the working warehouse, persist what they found, render Data Docs.

Entry points:
* ``validate(wh, name, df=None, run_id=...)``: one suite (or every suite of a model); with ``df``
  the given frame is validated instead of the warehouse table (results are still persisted).
* ``run_check(check, wh, run_id=...)``: the suites of one Dagster asset check, as one outcome
  (``pipelines/defs/quality/checks.py`` turns it into an ``AssetCheckResult``).
* ``run_all(wh, run_id=...)``: every check (``civstat quality run``, the demo).

Per suite: build the GX suite from code, get its frame (SQL over the warehouse, or an
aggregate), validate with GX when the frame is small and with the compiled SQL engine when it
is big (``quality.engine``), then in one transaction replace the suite's quarantine rows and
append its results to ``quality_results``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd

from pipelines.lib.warehouse import Warehouse
from quality import docs, store
from quality.config import QualityConfig, default_config
from quality.db import QualityDB, connect
from quality.engine import Result, SuiteOutcome, compilable, meta_of, validate_gx, validate_sql
from quality.engine import columns_of_config as _cols
from quality.suites import CHECKS, CHECKS_BY_NAME, SUITES, CheckSpec, Inputs, RefCodes, SuiteSpec
from quality.suites._base import Frame

log = logging.getLogger(__name__)
WATERMARK_MARGIN = dt.timedelta(minutes=10)


@dataclass
class CheckOutcome:
    """What one asset check found: every expectation's result plus per-suite facts."""

    check: str
    run_id: str
    results: list[Result] = field(default_factory=list)
    suites: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    docs_index: Path | None = None

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.failed]

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def blocking(self) -> bool:
        """An error-severity expectation failed: downstream must not be published."""
        return any(r.severity == "error" for r in self.failed)

    def summary(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "check": self.check, "run_id": self.run_id, "passed": self.passed, "blocking": self.blocking,
            "expectations": len(self.results), "failed_error": sorted({f"{r.suite}:{r.rule}" for r in failed if r.severity == "error"}),
            "failed_warn": sorted({f"{r.suite}:{r.rule}" for r in failed if r.severity == "warn"}),
            "unexpected_rows": int(sum(r.unexpected_count or 0 for r in failed)),
            "seconds": round(self.seconds, 3), "suites": self.suites,
            "docs_index": str(self.docs_index) if self.docs_index else None,
        }


def new_run_id(prefix: str = "cli") -> str:
    return f"{prefix}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _registry_url(explicit: str | None, use_settings: bool) -> str | None:
    if not explicit and use_settings:
        from registry_api.core.config import get_settings

        explicit = get_settings().registry_url
    if explicit and explicit.startswith("sqlite:///") and not Path(explicit.removeprefix("sqlite:///")).exists():
        return None  # no registry file (connecting would create an empty one): reported as skipped
    return explicit


# ----------------------------------------------------------------------------- one suite
def _skipped(spec: SuiteSpec, suite: gx.ExpectationSuite, run_id: str, reason: str, now: dt.datetime,
             *, success: bool | None = None, configs: Iterable[Any] | None = None) -> list[Result]:
    out = []
    for e in configs if configs is not None else (x.configuration for x in suite.expectations):
        rule, severity, exclude = meta_of(e)
        out.append(Result(run_id=run_id, suite=spec.name, model=spec.model, expectation=e.type, rule=rule,
                          severity=severity, success=success, column=",".join(_cols(e)) or None,
                          observed_value=reason, engine="none", exclude=exclude, checked_at=now))
    return out


def _missing_tables(db: QualityDB, spec: SuiteSpec) -> list[str]:
    missing = []
    for name in spec.requires:
        schema, _, table = db.qualified(name).rpartition(".")
        if not db.table_exists(schema, table):
            missing.append(f"{schema}.{table}")
    return missing


def run_suite(
    db: QualityDB, spec: SuiteSpec, inputs: Inputs, *, df: pd.DataFrame | None = None, persist: bool = True,
) -> tuple[list[Result], SuiteOutcome | None, gx.ExpectationSuite, dict[str, Any]]:
    """Validate one suite; returns results, the engine outcome (None if not run), the suite, facts."""
    cfg, run_id, now = inputs.config, inputs.run_id, inputs.now
    t0 = time.perf_counter()
    suite = spec.build(inputs)
    facts: dict[str, Any] = {}
    if df is None and (missing := _missing_tables(db, spec)):
        results = [Result(run_id=run_id, suite=spec.name, model=spec.model, expectation="table_exists",
                          rule="table_exists", severity="error", success=False,
                          observed_value=f"missing: {', '.join(missing)}", engine="none", checked_at=now)]
        facts["missing_tables"] = missing
        if persist:
            store.write_results(db, results)
        return results, None, suite, facts

    if spec.incremental and not inputs.full and df is None and persist:
        mark = store.watermark(db, spec.name)
        # PostgreSQL: a landing transaction that commits after we read the watermark can carry
        # an earlier landed_at, so re-validate a margin (idempotent). DuckDB has one writer and
        # we hold its lock: no landing runs while we read.
        margin = WATERMARK_MARGIN if db.dialect == "postgres" else dt.timedelta(0)
        inputs.landed_after = mark - margin if mark is not None else None
    landed_through = db.scalar(f"select max(landed_at) from {db.raw}.registry_changes") if spec.incremental else None
    try:
        if df is not None:  # a caller-supplied frame, keyed and masked like the suite's own
            frame = Frame(key=tuple(k for k in spec.key if k in df.columns), df=df, masked=spec.masked)
        else:
            frame = spec.frame(db, inputs, suite)
    except Exception as exc:  # noqa: BLE001 - e.g. the registry is unreachable: a failed result, not a crash
        log.exception("suite %s: building its frame failed", spec.name)
        results = [Result(run_id=run_id, suite=spec.name, model=spec.model, expectation="frame", rule="suite_error",
                          severity="error", success=False, engine="none", checked_at=now,
                          observed_value=f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}")]
        if persist:
            store.write_results(db, results)
        return results, None, suite, {"error": results[0].observed_value}
    finally:
        inputs.landed_after = None
    facts.update(frame.info)
    if frame.skipped:
        results = _skipped(spec, suite, run_id, f"skipped: {frame.skipped}", now)
        if persist:
            store.write_results(db, results)
        return results, None, suite, facts

    # expectations on columns the table lacks fail on their own; the rest still run
    missing_cols = set(frame.info.get("missing_columns", []))
    absent = [e.configuration for e in suite.expectations if set(_cols(e.configuration)) & missing_cols]
    runnable = gx.ExpectationSuite(name=suite.name, expectations=[
        e.copy() for e in suite.expectations if not set(_cols(e.configuration)) & missing_cols])
    results = _skipped(spec, suite, run_id, "column missing", now, success=False, configs=absent)

    q_table = store.table(db, store.QUARANTINE)
    outcome: SuiteOutcome
    with store.transaction(db) if persist else _null():
        tmp = None
        try:
            if frame.df is None:
                tmp = f"q_frame_{uuid.uuid4().hex[:10]}"
                db.execute(f"create temp table {tmp} as {frame.sql}", frame.params)
                n = int(db.scalar(f"select count(*) from {tmp}"))
                use_sql = n > cfg.gx_max_rows and compilable(runnable, db)
            else:
                n, use_sql = len(frame.df), False
            if persist:
                if spec.incremental and tmp is not None:
                    key_sql = " || '|' || ".join(f"coalesce(cast({k} as varchar), 'null')" for k in frame.key)
                    store.clear_quarantine(db, spec.name, keys_sql=f"select {key_sql} from {tmp}")
                elif spec.incremental and frame.df is not None:
                    store.clear_quarantine(db, spec.name, keys=_keys(frame.df, frame.key))
                else:
                    store.clear_quarantine(db, spec.name)
            if use_sql:
                assert tmp is not None
                outcome = validate_sql(db, tmp, runnable, key=frame.key, masked=frame.masked, run_id=run_id,
                                       model=spec.model, sample_keys=cfg.sample_keys,
                                       quarantine_table=q_table if persist else None, now=now)
            else:
                data = frame.df if frame.df is not None else db.df(f"select * from {tmp}")
                outcome = validate_gx(data, runnable, key=frame.key, masked=frame.masked, run_id=run_id,
                                      model=spec.model, sample_keys=cfg.sample_keys)
                for r in outcome.results:
                    r.checked_at = now
                if persist:
                    store.write_quarantine(db, outcome.quarantine, run_id=run_id, suite=spec.name, model=spec.model,
                                           key_columns=frame.key, now=now)
        finally:
            if tmp is not None:
                db.execute(f"drop table if exists {tmp}")
        results += outcome.results
        if persist:
            store.write_results(db, results)
            if spec.incremental:
                store.set_watermark(db, spec.name, landed_through, run_id)
    outcome.seconds = time.perf_counter() - t0
    facts.update({"rows": n, "engine": outcome.engine, "seconds": round(outcome.seconds, 3),
                  "failed": sorted({r.rule for r in results if r.failed})})
    return results, outcome, suite, facts


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _keys(df: pd.DataFrame, key: Sequence[str]) -> list[str]:
    from quality.engine import _fmt

    return ["|".join(_fmt(v) for v in row) for row in df[list(key)].itertuples(index=False)]


# ----------------------------------------------------------------------------- checks
def _inputs(db: QualityDB, run_id: str, config: QualityConfig | None, registry_url: str | None,
            now: dt.datetime | None, full: bool) -> Inputs:
    return Inputs(config=config or default_config(), codes=RefCodes.load(db), now=now or dt.datetime.now(dt.UTC),
                  run_id=run_id, registry_url=registry_url, full=full)


def _exclusions(db: QualityDB, inputs: Inputs, check: CheckSpec, outcome: CheckOutcome) -> None:
    """For the act facts: quarantined-for-exclusion acts the mart left out / still publishes."""
    model = check.asset_key[-1]
    if check.name != f"{model}_quality" or model not in ("fct_birth", "fct_death"):
        return
    q = store.table(db, store.QUARANTINE)
    if not db.table_exists(db.raw, "registry_changes") or not db.table_exists(db.models, model):
        return
    act_type = "birth" if model == "fct_birth" else "death"
    row = db.rows(
        f"""select count(*), count(*) filter (where f.act_id is null)
            from (select distinct cast(row_key as bigint) as act_id from {q}
                  where suite = 'registry_acts' and action = 'exclude') x
            join (select distinct act_id from {db.raw}.registry_changes
                  where entity_type = 'act' and change_kind = 'create' and after_image->>'act_type' = ?) t
              on t.act_id = x.act_id
            left join {db.qualified(model)} f on f.act_id = x.act_id""",
        [act_type],
    )[0]
    quarantined, excluded = int(row[0]), int(row[1])
    store.write_exclusion(db, run_id=inputs.run_id, model=model, quarantined=quarantined, excluded=excluded,
                          still_published=quarantined - excluded, now=inputs.now)
    outcome.suites.setdefault("exclusions", {}).update(
        {"quarantined_acts": quarantined, "excluded_acts": excluded, "still_published_acts": quarantined - excluded})


def run_check(
    check: CheckSpec | str, wh: Warehouse | None = None, *, run_id: str | None = None,
    config: QualityConfig | None = None, registry_url: str | None = None, use_settings_registry: bool = True,
    now: dt.datetime | None = None, full: bool = False, render_docs: bool = True, db: QualityDB | None = None,
) -> CheckOutcome:
    """Run one check's suites against the working warehouse (what a Dagster asset check calls)."""
    return run_checks([check], wh, run_id=run_id, config=config, registry_url=registry_url,
                      use_settings_registry=use_settings_registry, now=now, full=full,
                      render_docs=render_docs, db=db)[0]


def run_checks(
    checks: Sequence[CheckSpec | str], wh: Warehouse | None = None, *, run_id: str | None = None,
    config: QualityConfig | None = None, registry_url: str | None = None, use_settings_registry: bool = True,
    now: dt.datetime | None = None, full: bool = False, render_docs: bool = True, db: QualityDB | None = None,
) -> list[CheckOutcome]:
    wh = wh or Warehouse.from_settings()
    run_id = run_id or new_run_id()
    specs = [CHECKS_BY_NAME[c] if isinstance(c, str) else c for c in checks]
    registry = _registry_url(registry_url, use_settings_registry) if any(c.needs_registry for c in specs) else None
    outcomes: list[CheckOutcome] = []
    validations: dict[str, Any] = {}
    suites: dict[str, gx.ExpectationSuite] = {}
    limit = (config or default_config()).duckdb_memory_limit
    with (connect(wh, memory_limit=limit) if db is None else _given(db)) as qdb:
        store.ensure_tables(qdb)
        inputs = _inputs(qdb, run_id, config, registry, now, full)
        store.prune_results(qdb, inputs.config.results_keep_days, inputs.now)
        for check in specs:
            t0 = time.perf_counter()
            out = CheckOutcome(check.name, run_id)
            for spec in check.suites:
                results, outcome, suite, facts = run_suite(qdb, spec, inputs)
                out.results += results
                out.suites[spec.name] = facts
                suites[spec.name] = suite
                if outcome is not None:
                    validations[spec.name] = outcome.validation
            _exclusions(qdb, inputs, check, out)
            out.seconds = time.perf_counter() - t0
            outcomes.append(out)
    if render_docs and validations:
        cfg = config or default_config()
        try:
            index = docs.render(wh.data_dir, run_id, validations, suites, keep=cfg.docs_keep_runs)
        except Exception:  # noqa: BLE001 - Data Docs are a view; a rendering bug must not fail a check
            log.exception("rendering GX Data Docs failed")
            index = None
        for o in outcomes:
            o.docs_index = index
    return outcomes


class _given:
    def __init__(self, db: QualityDB) -> None:
        self.db = db

    def __enter__(self) -> QualityDB:
        return self.db

    def __exit__(self, *exc: object) -> None:
        return None


def run_all(
    wh: Warehouse | None = None, *, run_id: str | None = None, config: QualityConfig | None = None,
    registry_url: str | None = None, use_settings_registry: bool = True, now: dt.datetime | None = None,
    full: bool = False, render_docs: bool = True, only: Iterable[str] | None = None,
) -> list[CheckOutcome]:
    """Every check against the current warehouse (``civstat quality run``)."""
    names = list(only) if only else [c.name for c in CHECKS]
    return run_checks(names, wh, run_id=run_id, config=config, registry_url=registry_url,
                      use_settings_registry=use_settings_registry, now=now, full=full, render_docs=render_docs)


def validate(
    wh: Warehouse | QualityDB | None, name: str, df: pd.DataFrame | None = None, run_id: str | None = None, *,
    config: QualityConfig | None = None, registry_url: str | None = None, now: dt.datetime | None = None,
    persist: bool = True, full: bool = False,
) -> list[Result]:
    """Validate the suite ``name`` (or every suite whose model is ``name``) and return results.

    With ``df``, that frame is validated instead of what the suite would read (the suite must
    be a row-level one whose columns ``df`` has); results and quarantine are still persisted
    in the warehouse unless ``persist=False``."""
    run_id = run_id or new_run_id("adhoc")
    specs = [SUITES[name]] if name in SUITES else [s for s in SUITES.values() if s.model == name]
    if not specs:
        raise KeyError(f"no suite or model named {name!r}; known suites: {', '.join(sorted(SUITES))}")
    if df is not None:
        specs = [s for s in specs if not s.name.endswith("__schema")][:1]
    limit = (config or default_config()).duckdb_memory_limit
    ctx = _given(wh) if isinstance(wh, QualityDB) else connect(wh or Warehouse.from_settings(), memory_limit=limit)
    results: list[Result] = []
    with ctx as db:
        if persist:
            store.ensure_tables(db)
        inputs = _inputs(db, run_id, config, registry_url, now, full)
        for spec in specs:
            got, _, _, _ = run_suite(db, spec, inputs, df=df, persist=persist)
            results += got
    return results
