"""The building blocks every suite uses: what a suite is, what it validates, how rules are tagged.

A *suite* is a GX ``ExpectationSuite`` (built in code, versioned with the repo) plus the *frame*
it validates: usually a SQL select over one warehouse table, sometimes a small aggregate
computed in SQL or Python (sex ratio by region-year, daily volumes, reconciliation counts).
Every expectation carries ``meta = {"rule": <id>, "severity": "error"|"warn"}`` and, for
row-level defects that must not reach a figure, ``"exclude": True`` (the row is quarantined
for exclusion rather than only flagged). A *check* groups suites under one Dagster asset check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from quality.config import QualityConfig, Severity, default_config

if TYPE_CHECKING:
    from quality.db import QualityDB

# ----------------------------------------------------------------------------- domain codes
ACT_TYPES = ("birth", "death")
ACT_STATUSES = ("active", "cancelled")
SEXES = ("M", "F")
REGISTRATION_BASES = ("declaration", "declaratory_judgment")
PLACE_KINDS = ("home", "health_facility", "institution", "public_place", "abroad", "other")
TIMELINESS = ("on_time", "late", "delayed")
AGE_GROUPS = ("0", "1-4", "5-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+")
ENTITY_CHANGE_KINDS: dict[str, tuple[str, ...]] = {
    "act": ("create", "amend", "correct", "marginal_note", "cancel"),
    "declaration": ("submit", "review", "register", "reject", "expire"),
    "document_request": ("request", "issue", "refuse"),
    "notification": ("send", "receive", "apply"),
    "family_event": ("create",),
}
DECLARATION_EVENTS = ("birth", "death", "marriage", "divorce")
DECLARATION_STATUSES = ("submitted", "under_review", "registered", "rejected", "expired")
DECLARATION_CHANNELS = ("portal", "institution")
DOCUMENT_KINDS = ("full_copy", "extract")
DOCUMENT_CHANNELS = ("counter", "portal")
DOCUMENT_STATUSES = ("requested", "issued", "refused")
NOTIFICATION_EVENTS = ("marriage", "divorce", "death", "rectification")
NOTIFICATION_SOURCES = ("court", "office")
NOTIFICATION_STATUSES = ("sent", "received", "applied")
DIVORCE_KINDS = ("talaq", "tatliq", "mutual_consent", "other")
LEGAL_BASIS_KINDS = ("court_judgment", "administrative")
OFFICE_KINDS = ("communal", "arrondissement", "consular")

# Database type name -> family used by the schema suites.
_FAMILIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("tinyint", "smallint", "integer", "bigint", "hugeint", "int", "int2", "int4", "int8",
      "utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"), "integer"),
    (("decimal", "numeric", "double", "float", "real", "double precision"), "number"),
    (("varchar", "text", "character varying", "character", "char", "string", "json", "jsonb"), "text"),
    (("date",), "date"),
    (("timestamp with time zone", "timestamptz", "timestamp", "timestamp without time zone",
      "timestamp_ns", "timestamp_ms", "timestamp_s"), "timestamp"),
    (("boolean", "bool"), "boolean"),
)


def type_family(db_type: str) -> str:
    t = db_type.lower().split("(")[0].strip()
    for names, family in _FAMILIES:
        if t in names:
            return family
    return t


# What a declared type accepts ("number" takes integers too; a date may not be a timestamp).
ACCEPTS: dict[str, tuple[str, ...]] = {
    "integer": ("integer",), "number": ("integer", "number"), "text": ("text",),
    "date": ("date",), "timestamp": ("timestamp",), "boolean": ("boolean",),
}


@dataclass(frozen=True)
class RefCodes:
    """Valid geography codes: the landed reference snapshot, or the registry's own geography."""

    regions: frozenset[str]
    provinces: frozenset[str]
    communes: frozenset[str]
    offices: frozenset[str]

    @classmethod
    def from_geography(cls) -> RefCodes:
        from registry_api.services.geography import geography

        g = geography()
        return cls(
            frozenset(r["region_code"] for r in g["regions"]),
            frozenset(p["province_code"] for p in g["provinces"]),
            frozenset(c["commune_code"] for c in g["communes"]),
            frozenset(o["office_code"] for o in g["offices"]),
        )

    @classmethod
    def load(cls, db: QualityDB) -> RefCodes:
        """Codes from ``raw.registry_*`` (what the warehouse landed); the geography package if
        nothing was landed yet, so a check never passes for lack of a reference."""
        sets: list[frozenset[str]] = []
        for table, col in (("regions", "region_code"), ("provinces", "province_code"),
                           ("communes", "commune_code"), ("offices", "office_code")):
            name = f"registry_{table}"
            if not db.table_exists(db.raw, name):
                return cls.from_geography()
            got = frozenset(str(r[0]) for r in db.rows(f"select {col} from {db.raw}.{name}"))
            if not got:
                return cls.from_geography()
            sets.append(got)
        return cls(*sets)


@dataclass
class Inputs:
    """Everything a suite may depend on besides the data: policy, codes, clock, run."""

    config: QualityConfig = field(default_factory=default_config)
    codes: RefCodes | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    run_id: str = "adhoc"
    registry_url: str | None = None
    # incremental suites: validate only changes landed after this instant (None: everything)
    landed_after: dt.datetime | None = None
    full: bool = False

    def require_codes(self) -> RefCodes:
        if self.codes is None:
            self.codes = RefCodes.from_geography()
        return self.codes


@dataclass
class Frame:
    """The rows a suite validates: SQL to run in the warehouse, or an in-memory frame.

    ``key`` names the columns that identify a row (quarantine row key, sample keys);
    ``masked`` columns are personal (national id): only their shape is ever stored.
    """

    key: tuple[str, ...]
    sql: str | None = None
    params: tuple[Any, ...] = ()
    df: pd.DataFrame | None = None
    masked: frozenset[str] = frozenset()
    # metadata about how the frame was made (e.g. the watermark of an incremental suite)
    info: dict[str, Any] = field(default_factory=dict)
    # a suite that could not run (registry unreachable, nothing to check): reason, reported as skipped
    skipped: str | None = None


FrameFn = Callable[["QualityDB", Inputs, gx.ExpectationSuite], Frame]
BuildFn = Callable[[Inputs], gx.ExpectationSuite]


@dataclass(frozen=True)
class SuiteSpec:
    """A suite, the table its results are about, and how to get its frame."""

    name: str
    model: str
    build: BuildFn
    frame: FrameFn
    # tables that must exist for the frame (bare names live in the models schema)
    requires: tuple[str, ...] = ()
    # incremental suites keep earlier runs' quarantine rows (they validate only new changes)
    incremental: bool = False
    # the frame's row key and personal columns (used when a caller supplies the frame)
    key: tuple[str, ...] = ()
    masked: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CheckSpec:
    """One Dagster asset check: the asset it is attached to and the suites it runs."""

    name: str
    asset_key: tuple[str, ...]
    suites: tuple[SuiteSpec, ...]
    description: str
    additional_deps: tuple[tuple[str, ...], ...] = ()
    needs_registry: bool = False


# ----------------------------------------------------------------------------- suite helpers
class SuiteBuilder:
    """Adds expectations with their rule id, severity (config overrides apply) and action."""

    def __init__(self, name: str, inputs: Inputs) -> None:
        self.name = name
        self.cfg = inputs.config
        self.expectations: list[Any] = []

    @property
    def suite(self) -> gx.ExpectationSuite:
        # built from the list: ExpectationSuite.add_expectation wants an active data context,
        # and a suite definition should not need one
        return gx.ExpectationSuite(name=self.name, expectations=list(self.expectations))

    def add(self, expectation: Any, rule: str, severity: Severity, *, exclude: bool = False, note: str = "") -> None:
        meta: dict[str, Any] = {"rule": rule, "severity": self.cfg.severity(rule, severity)}
        if exclude:
            meta["exclude"] = True
        if note:
            meta["notes"] = note
        expectation.meta = meta
        self.expectations.append(expectation)

    # structure ---------------------------------------------------------------
    def not_null(self, columns: Iterable[str], rule: str = "not_null", severity: Severity = "error") -> None:
        for c in columns:
            self.add(gxe.ExpectColumnValuesToNotBeNull(column=c), rule, severity)

    def unique(self, columns: Iterable[str], rule: str, severity: Severity = "error") -> None:
        cols = list(columns)
        exp = (gxe.ExpectColumnValuesToBeUnique(column=cols[0]) if len(cols) == 1
               else gxe.ExpectCompoundColumnsToBeUnique(column_list=cols))
        self.add(exp, rule, severity)

    def in_set(self, column: str, values: Iterable[str], rule: str, severity: Severity = "error") -> None:
        self.add(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values)), rule, severity)

    def between(
        self, column: str, rule: str, severity: Severity, *, min_value: float | None = None,
        max_value: float | None = None, strict_min: bool = False, exclude: bool = False,
    ) -> None:
        self.add(
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=min_value, max_value=max_value,
                                             strict_min=strict_min),
            rule, severity, exclude=exclude,
        )

    def ordered(self, earlier: str, later: str, rule: str, severity: Severity, *, exclude: bool = False) -> None:
        """``earlier <= later`` wherever both are known."""
        self.add(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"),
            rule, severity, exclude=exclude,
        )

    def geography(self, inputs: Inputs, columns: Mapping[str, str], severity: Severity = "error") -> None:
        """Codes (column -> kind: region|province|commune|office) must exist in the reference."""
        codes = inputs.require_codes()
        for column, kind in columns.items():
            self.in_set(column, getattr(codes, f"{kind}s"), f"valid_{kind}_code", severity)


# ----------------------------------------------------------------------------- table suites
def select_frame(
    model: str, key: tuple[str, ...], where: str = "", derived: Mapping[str, str] | None = None,
    landed_column: str | None = None,
) -> FrameFn:
    """A frame that is a projection of one warehouse table: only the columns the suite reads
    (plus ``derived`` columns, name -> SQL expression), so neither GX nor the SQL engine moves
    a 10M-row table's every column. Columns the table lacks are left out and reported in
    ``info["missing_columns"]``; the runner fails their expectations instead of the suite.
    With ``landed_column`` the suite is incremental: only rows with ``landed_column`` after the
    suite's watermark (``Inputs.landed_after``) are read, unless ``Inputs.full``."""
    derived = dict(derived or {})

    def make(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
        schema, _, table = db.qualified(model).rpartition(".")
        have = set(db.columns(schema, table))
        cols = list(dict.fromkeys([*key, *columns_of(suite)]))
        exprs, missing = [], []
        for c in cols:
            if c in derived:
                exprs.append(f"{derived[c]} as {c}")
            elif c in have:
                exprs.append(c)
            else:
                missing.append(c)
        conditions = [where] if where else []
        params: tuple[Any, ...] = ()
        info: dict[str, Any] = {"missing_columns": missing} if missing else {}
        if landed_column and inputs.landed_after is not None and not inputs.full:
            conditions.append(f"{landed_column} > ?")
            params = (inputs.landed_after,)
            info["landed_after"] = inputs.landed_after.isoformat()
        sql = f"select {', '.join(exprs) or 'null as nothing'} from {db.qualified(model)}" + (
            f" where {' and '.join(conditions)}" if conditions else "")
        return Frame(key=key, sql=sql, params=params, info=info)

    return make


def schema_spec(model: str, columns: Mapping[str, str]) -> SuiteSpec:
    """Columns and types of ``model`` against the contract (docs/contracts.md §3).

    The frame has one row per contract column: the type family it must have and the family it
    has (``missing`` when absent; the expected family when the actual one is acceptable, e.g. an
    integer where a number is expected). One pair expectation then covers the whole table,
    and each unexpected row names a missing or retyped column."""
    name = f"{model.rpartition('.')[2]}__schema"

    def build(inputs: Inputs) -> gx.ExpectationSuite:
        b = SuiteBuilder(name, inputs)
        b.add(gxe.ExpectColumnPairValuesToBeEqual(column_A="actual_type", column_B="expected_type",
                                                  ignore_row_if="neither"), "columns_and_types", "error")
        return b.suite

    def frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
        schema, _, table = db.qualified(model).rpartition(".")
        actual = db.columns(schema, table)
        rows = []
        for column, expected in columns.items():
            family = type_family(actual[column]) if column in actual else "missing"
            rows.append({"column_name": column, "expected_type": expected,
                         "actual_type": expected if family in ACCEPTS[expected] else family,
                         "database_type": actual.get(column)})
        return Frame(key=("column_name",), df=pd.DataFrame(rows))

    return SuiteSpec(name, model, build, frame, requires=(model,), key=("column_name",))


def table_spec(
    model: str, build: BuildFn, key: tuple[str, ...], derived: Mapping[str, str] | None = None,
    landed_column: str | None = None,
) -> SuiteSpec:
    """A suite over one table; incremental (rows landed since its last run) with ``landed_column``."""
    name = model.rpartition(".")[2]
    return SuiteSpec(name, model, build, select_frame(model, key, derived=derived, landed_column=landed_column),
                     requires=(model,), key=key, incremental=landed_column is not None)


def columns_of(suite: gx.ExpectationSuite) -> list[str]:
    """Every column an expectation of ``suite`` reads (the frame loads only these)."""
    out: list[str] = []
    for e in suite.expectations:
        kw = e.configuration.kwargs
        for k in ("column", "column_A", "column_B"):
            if kw.get(k):
                out.append(kw[k])
        out.extend(kw.get("column_list") or [])
    return list(dict.fromkeys(out))
