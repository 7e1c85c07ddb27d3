"""Read-only, cached queries over the *published* warehouse (docs/contracts.md §4).

Why this module exists:

* The dashboards never open the working warehouse: DuckDB allows one writer or many readers,
  and a pipeline run holds the writer. Every query goes through
  ``pipelines.lib.publish.query``, which resolves the ``published/CURRENT`` pointer and opens
  that immutable copy read-only, so a run can write (and publish) while pages keep reading.
* Every result is cached with ``st.cache_data(ttl=30)`` and keyed by the published version
  (the pointer's file name), so a new publish is visible on the next rerun instead of after the
  TTL, and two sessions looking at the same office share one query.
* Pages only read pre-aggregated marts and indicators (``ind_*``, ``dim_*``, and the
  ``fct_declaration`` mart filtered by office), so no query scans the 10M acts.
* SQL is written once with ``:name`` placeholders and translated to DuckDB (``$name``) or
  PostgreSQL (``%(name)s``) so the same queries serve both published backends.

A small in-process query log (:func:`recording`) lets the benchmark and the tests see which
statements a page ran and how long they took, without patching anything.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from pipelines.lib.publish import NotPublishedError, current_version, open_published, query
from pipelines.lib.warehouse import Warehouse

TTL_SECONDS = 30
# DuckDB 2.0 dropped ``.pl()``, which ``pipelines.lib.publish.query`` still calls; until that
# helper is updated, DuckDB results are read through Arrow on the same published connection.
_DUCKDB_HAS_PL = hasattr(duckdb.DuckDBPyConnection, "pl")
_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class DataUnavailable(RuntimeError):
    """The published warehouse (or one of its tables) is not there yet: pages say so calmly."""

    def __init__(self, reason: str, table: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # "not_published" | "missing_table" | "missing_columns"
        self.table = table


# --------------------------------------------------------------------------------------------
# query log (benchmarks, tests)


@dataclass
class QueryRecord:
    sql: str
    params: dict[str, Any]
    seconds: float
    cached: bool


@dataclass
class _Log:
    active: bool = False
    records: list[QueryRecord] = field(default_factory=list)


_log = _Log()
_log_lock = threading.Lock()


@contextmanager
def recording() -> Iterator[list[QueryRecord]]:
    """Collect every statement run through :func:`run` while the block executes."""
    with _log_lock:
        _log.active, _log.records = True, []
    try:
        yield _log.records
    finally:
        with _log_lock:
            _log.active = False


def _record(sql: str, params: Mapping[str, Any], seconds: float, cached: bool) -> None:
    if _log.active:
        with _log_lock:
            _log.records.append(QueryRecord(sql, dict(params), seconds, cached))


# --------------------------------------------------------------------------------------------
# the published version and the cached runner


def warehouse() -> Warehouse:
    return Warehouse.from_settings()


def version() -> str:
    """The identity of the data readers see now: the published file name (DuckDB).

    On PostgreSQL readers see the live ``analytics`` schema; its ``publish_meta.published_at``
    (rewritten after each run) plays the same role.
    """
    wh = warehouse()
    if wh.is_postgres:
        try:
            stamp = query("select max(published_at) as published_at from publish_meta", wh=wh).item(0, 0)
        except Exception as exc:  # noqa: BLE001 - no publish_meta yet: not published
            raise DataUnavailable("not_published") from exc
        return f"postgres:{stamp}"
    try:
        return str(current_version(wh))
    except NotPublishedError:
        raise DataUnavailable("not_published") from None


def published_query(sql: str, params: Mapping[str, Any] | None, wh: Warehouse) -> pl.DataFrame:
    """``pipelines.lib.publish.query`` (same snapshot rules), tolerant of DuckDB 2.0's missing ``.pl()``."""
    if wh.is_postgres or _DUCKDB_HAS_PL:
        return query(sql, dict(params) if params else None, wh=wh)
    con = open_published(wh)
    return pl.from_arrow(con.sql(sql, params=dict(params) if params else None).to_arrow_table())  # type: ignore[return-value]


def translate(sql: str, *, postgres: bool) -> str:
    """``:name`` placeholders to the backend's style (``$name`` or ``%(name)s``)."""
    return _PLACEHOLDER.sub((lambda m: f"%({m.group(1)})s") if postgres else (lambda m: f"${m.group(1)}"), sql)


def _freeze(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list | tuple) else v) for k, v in params.items()))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=2048)
def _cached(sql: str, frozen: tuple[tuple[str, Any], ...], data_version: str) -> pl.DataFrame:
    """The cache key includes ``data_version`` so a publish invalidates without waiting."""
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in frozen}
    wh = warehouse()
    used = {k: v for k, v in params.items() if re.search(rf"(?<![:\w]):{k}\b", sql)}
    started = time.perf_counter()
    df = published_query(translate(sql, postgres=wh.is_postgres), used or None, wh)
    _record(sql, used, time.perf_counter() - started, cached=False)
    return df


def run(sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """Run a read-only statement on the current published version, through the cache."""
    data_version = version()
    started = time.perf_counter()
    before = len(_log.records) if _log.active else 0
    df = _cached(sql, _freeze(params or {}), data_version)
    if _log.active and len(_log.records) == before:  # served from the cache
        _record(sql, dict(params or {}), time.perf_counter() - started, cached=True)
    return df


def clear_cache() -> None:
    """Drop every cached result (benchmarks measure cold runs with it)."""
    _cached.clear()
    _tables.clear()


# --------------------------------------------------------------------------------------------
# catalog


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _tables(data_version: str) -> dict[str, tuple[str, ...]]:
    wh = warehouse()
    df = published_query(
        translate(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = :schema order by table_name, ordinal_position",
            postgres=wh.is_postgres,
        ),
        {"schema": wh.models_schema},
        wh,
    )
    out: dict[str, list[str]] = {}
    for table, column in df.iter_rows():
        out.setdefault(table, []).append(column)
    return {k: tuple(v) for k, v in out.items()}


def tables() -> dict[str, tuple[str, ...]]:
    """Published tables and their columns (cached per version)."""
    return _tables(version())


def require(table: str, columns: Sequence[str] = ()) -> None:
    """Raise :class:`DataUnavailable` when a table (or some columns) is not published yet."""
    known = tables()
    if table not in known:
        raise DataUnavailable("missing_table", table)
    missing = [c for c in columns if c not in known[table]]
    if missing:
        raise DataUnavailable("missing_columns", f"{table}({', '.join(missing)})")


def has(table: str) -> bool:
    try:
        return table in tables()
    except DataUnavailable:
        return False


# --------------------------------------------------------------------------------------------
# freshness

_AS_OF_KEYS = ("max_changed_at", "data_as_of", "newest_changed_at", "last_changed_at", "changed_at", "as_of")


def freshness() -> dict[str, Any]:
    """``published_at``, the newest landed change (``as_of``) and, for a registry of simulated
    activity, its ``synthetic_scale`` (the bulk simulator's setting) of the version being read.

    The pipeline chooses the ``publish_meta`` column name for the newest ``changed_at``; the
    usual spellings are accepted (docs/dashboards.md lists them).
    """
    require("publish_meta")
    df = run("select * from publish_meta")
    meta = df.row(0, named=True) if df.height else {}
    as_of = next((meta[k] for k in _AS_OF_KEYS if meta.get(k) is not None), None)
    return {"published_at": meta.get("published_at"), "as_of": as_of, "synthetic_scale": meta.get("synthetic_scale")}


# --------------------------------------------------------------------------------------------
# geography


def geography() -> pl.DataFrame:
    """Offices with their commune/province/region names in both scripts."""
    require("dim_geography")
    return run(
        "select office_code, office_kind, office_name_fr, office_name_ar, province_code, province_name_fr, "
        "province_name_ar, region_code, region_name_fr, region_name_ar, live_since "
        "from dim_geography order by region_code, province_code, office_code"
    )


def regions() -> pl.DataFrame:
    require("dim_region")
    return run("select region_code, region_name_fr, region_name_ar, population_2024 from dim_region order by region_code")


# --------------------------------------------------------------------------------------------
# office monitor


def office_days(offices: Sequence[str]) -> tuple[dt.date | None, dt.date | None]:
    """First and last day the office indicators cover for these offices."""
    require("ind_office_daily")
    df = run(
        "select min(day) as first_day, max(day) as last_day from ind_office_daily where office_code = any(:offices)",
        {"offices": list(offices)},
    )
    return df.item(0, "first_day"), df.item(0, "last_day")


def busiest_province(days: int = 7) -> tuple[str, str] | None:
    """(region, province) that registered the most acts over the last ``days`` days covered.

    Where a national viewer's office monitor opens; ties go to the lower code, consulates (no
    province) are left out, None when the office indicators cover nothing yet.
    """
    require("ind_office_daily")
    df = run(
        f"""
        select g.region_code, g.province_code
        from ind_office_daily d
        join dim_geography g on g.office_code = d.office_code
        where d.day > (select max(day) from ind_office_daily) - {int(days)} and g.province_code is not null
        group by g.region_code, g.province_code
        order by sum(d.acts_registered) desc, g.province_code
        limit 1
        """
    )
    return (df.item(0, 0), df.item(0, 1)) if df.height else None


def office_daily_totals(offices: Sequence[str], start: dt.date, end: dt.date) -> pl.DataFrame:
    """Per day, summed over the chosen offices (the p50/p90 columns are not additive: left out)."""
    require("ind_office_daily")
    return run(
        """
        select
            day,
            cast(sum(births_registered) as bigint) as births_registered,
            cast(sum(deaths_registered) as bigint) as deaths_registered,
            cast(sum(acts_registered) as bigint) as acts_registered,
            cast(sum(declarations_received) as bigint) as declarations_received,
            cast(sum(declarations_registered) as bigint) as declarations_registered,
            cast(sum(declarations_rejected) as bigint) as declarations_rejected,
            cast(sum(declarations_expired) as bigint) as declarations_expired,
            cast(sum(backlog_end_of_day) as bigint) as backlog_end_of_day,
            cast(sum(documents_issued) as bigint) as documents_issued,
            cast(sum(notifications_waiting) as bigint) as notifications_waiting
        from ind_office_daily
        where office_code = any(:offices) and day between :start and :end
        group by day
        order by day
        """,
        {"offices": list(offices), "start": start, "end": end},
    )


def office_comparison(offices: Sequence[str], start: dt.date, end: dt.date, day: dt.date) -> pl.DataFrame:
    """One row per office: acts and documents over the window, waiting notifications on ``day``."""
    require("ind_office_daily")
    return run(
        """
        select
            office_code,
            cast(sum(acts_registered) as bigint) as acts_registered,
            cast(sum(documents_issued) as bigint) as documents_issued,
            cast(sum(case when day = :day then notifications_waiting else 0 end) as bigint) as notifications_waiting
        from ind_office_daily
        where office_code = any(:offices) and day between :start and :end
        group by office_code
        order by office_code
        """,
        {"offices": list(offices), "start": start, "end": end, "day": day},
    )


def pending_declarations(offices: Sequence[str]) -> pl.DataFrame:
    """Declarations still waiting for a decision, soonest legal deadline first."""
    require("fct_declaration")
    return run(
        """
        select declaration_id, tracking_number, office_code, event_type, event_date, channel, status,
            submitted_date, deadline_date
        from fct_declaration
        where is_pending and office_code = any(:offices)
        order by deadline_date, submitted_date, declaration_id
        """,
        {"offices": list(offices)},
    )


def registration_delay(offices: Sequence[str], start: dt.date, end: dt.date, per_office: bool = False) -> pl.DataFrame:
    """Exact p50/p90 of days from declaration to registration over a window, with how many
    declarations were registered and how many expired (the deadline passed unregistered) then;
    one row, or one row per office with ``per_office``.

    Computed from the declaration mart because daily percentiles (``ind_office_daily``) cannot
    be combined across offices or days. Only registered declarations have a
    ``days_to_registration``, so the percentiles skip the others.
    """
    require("fct_declaration")
    office = "office_code, " if per_office else ""
    return run(
        f"""
        select
            {office}count(days_to_registration) as registered,
            percentile_cont(0.5) within group (order by days_to_registration) as p50,
            percentile_cont(0.9) within group (order by days_to_registration) as p90,
            count(*) filter (where status = 'expired') as expired
        from fct_declaration
        where office_code = any(:offices) and status in ('registered', 'expired') and decided_date between :start and :end
        {"group by office_code order by office_code" if per_office else ""}
        """,
        {"offices": list(offices), "start": start, "end": end},
    )


# --------------------------------------------------------------------------------------------
# demographic indicators


def vital_months() -> pl.DataFrame:
    require("ind_vital_region_month")
    return run("select distinct month_start from ind_vital_region_month order by month_start")


def vital(region_codes: Sequence[str], start: dt.date, end: dt.date) -> pl.DataFrame:
    require("ind_vital_region_month")
    return run(
        """
        select region_code, region_name_fr, region_name_ar, month_start, year, month, births, births_male,
            births_female, deaths, deaths_male, deaths_female, infant_deaths, marriages, divorces, population,
            crude_birth_rate, crude_death_rate, sex_ratio_at_birth, mean_mother_age,
            infant_deaths_per_1000_births
        from ind_vital_region_month
        where region_code = any(:regions) and month_start between :start and :end
        order by month_start, region_code
        """,
        {"regions": list(region_codes), "start": start, "end": end},
    )


def timeliness(region_codes: Sequence[str], start: dt.date, end: dt.date) -> pl.DataFrame:
    require("ind_timeliness")
    return run(
        """
        select registration_month, event_type, cast(sum(registrations) as bigint) as registrations, cast(sum(on_time) as bigint) as on_time,
            cast(sum(late) as bigint) as late, cast(sum(delayed) as bigint) as delayed
        from ind_timeliness
        where region_code = any(:regions) and registration_month between :start and :end
        group by registration_month, event_type
        order by registration_month, event_type
        """,
        {"regions": list(region_codes), "start": start, "end": end},
    )


def completeness(region_codes: Sequence[str], first_year: int, last_year: int, sexes: Sequence[str]) -> pl.DataFrame:
    require("ind_completeness")
    return run(
        """
        select year, event_type, cast(sum(expected) as bigint) as expected,
            cast(sum(registered_within_deadline) as bigint) as registered_within_deadline,
            cast(sum(registered_within_1y) as bigint) as registered_within_1y,
            cast(sum(registered_within_5y) as bigint) as registered_within_5y
        from ind_completeness
        where region_code = any(:regions) and year between :first_year and :last_year and sex = any(:sexes)
        group by year, event_type
        order by year, event_type
        """,
        {"regions": list(region_codes), "first_year": first_year, "last_year": last_year, "sexes": list(sexes)},
    )


# --------------------------------------------------------------------------------------------
# rollout


def rollout() -> pl.DataFrame:
    require("ind_rollout")
    return run(
        "select region_code, month_start, offices_total, offices_live, share_offices_live, events, "
        "events_electronic, share_electronic from ind_rollout order by month_start, region_code"
    )


# --------------------------------------------------------------------------------------------
# quality (tables written by the quality engineer; see docs/dashboards.md for what is assumed)


def table(name: str, order_by: str | None = None, limit: int | None = None) -> pl.DataFrame:
    """A whole (small) published table; the name must be a published relation."""
    require(name)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a table name: {name!r}")
    sql = f'select * from "{name}"'
    if order_by:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*( desc)?", order_by):
            raise ValueError(f"not an order column: {order_by!r}")
        sql += f" order by {order_by}"
    if limit:
        sql += f" limit {int(limit)}"
    return run(sql)


def quarantine_counts(offices: Sequence[str] | None) -> pl.DataFrame:
    """Quarantined rows counted by rule and office, in SQL (the table can be large).

    The quality runner's ``quarantine`` names a row by ``model``, ``key_columns`` and
    ``row_key`` (key values joined with ``|``), not by office. The office is read from the key
    when the rule is keyed by office (``office_code|day``), and from the fact when the key is an
    act id of ``fct_birth``/``fct_death``; other rows count under no office.
    """
    require("quarantine", ["rule", "model", "key_columns", "row_key"])
    wh = warehouse()
    to_bigint = "cast({} as bigint)" if wh.is_postgres else "try_cast({} as bigint)"
    joins, offices_from = [], ["case when q.key_columns like 'office_code%' then split_part(q.row_key, '|', 1) end"]
    for alias, fact in (("b", "fct_birth"), ("d", "fct_death")):
        if has(fact):
            joins.append(
                f"left join {fact} {alias} on q.model = '{fact}' and q.act_id = {alias}.act_id"
            )
            offices_from.append(f"{alias}.office_code")
    where = "where office_code = any(:offices)" if offices is not None else ""
    sql = f"""
        with q as (
            select rule, model, key_columns, row_key,
                case when key_columns = 'act_id' then {to_bigint.format('row_key')} end as act_id
            from quarantine
        ),
        located as (
            select q.rule, coalesce({', '.join(offices_from)}) as office_code
            from q
            {' '.join(joins)}
        )
        select rule, office_code, count(*) as rows
        from located
        {where}
        group by rule, office_code
        order by rows desc, rule, office_code
    """
    return run(sql, {"offices": list(offices)} if offices is not None else None)


def row_count(name: str) -> int:
    require(name)
    return int(run(f'select count(*) as n from "{name}"').item(0, "n"))
