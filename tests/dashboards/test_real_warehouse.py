"""Every page on a warehouse built by the real chain, not by the test fixture's own tables.

Once per session: a SQLite registry filled by the simulator (``simulator.bulk.load_history``,
a small scale, two years ending 2025-06-30), then ``pipelines.run.run_pipeline`` (Dagster:
landing → dbt build → publish). Then ``AppTest`` opens every page in French and Arabic on that
published file, moves the filters, and compares what is shown with the marts, queried here
straight from the published DuckDB file (independently of ``dashboards.data``).

Slow (≈ 1.5–3 min for the build on the shared 2-core machine): marked ``slow``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dashboards import i18n, ui
from tests.dashboards.apptest_helpers import PAGES, TITLES, charts, dec, metric, n, open_app, table
from tests.dashboards.conftest import point_app_at
from tests.dashboards.fixture_data import Built

pytestmark = pytest.mark.slow

END = dt.date(2025, 6, 18)  # mid-month: the last month is only partly observed
SCALE, YEARS, SEED = 0.003, 2, 11
LANGS = ["fr", "ar"]


@pytest.fixture(scope="session")
def dbt_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from pipelines.lib.publish import current_version
    from pipelines.lib.warehouse import Warehouse
    from pipelines.run import run_pipeline
    from simulator.bulk import load_history

    root = tmp_path_factory.mktemp("dash-dbt")
    data = root / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'registry.sqlite'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIVSTAT_DATA_DIR", str(data))
        mp.setenv("DAGSTER_HOME", str(root / "dagster"))
        (root / "dagster").mkdir()
        load_history(url, years=YEARS, scale=SCALE, seed=SEED, end_date=END, progress=False)
        wh = Warehouse(str(data / "warehouse.duckdb"), data)
        summary = run_pipeline(url, wh)
        assert summary["success"], summary
        published = current_version(wh)
    return Built(data_dir=data, working=data / "warehouse.duckdb", published=published)


@pytest.fixture
def real_env(monkeypatch: pytest.MonkeyPatch, dbt_built: Built) -> Iterator[Built]:
    point_app_at(monkeypatch, dbt_built)
    yield dbt_built
    from registry_api.core.config import get_settings

    get_settings.cache_clear()


@pytest.fixture(scope="session")
def marts(dbt_built: Built) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(dbt_built.published), read_only=True)
    yield con
    con.close()


def q(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_the_warehouse_is_a_dbt_build(marts: duckdb.DuckDBPyConnection, dbt_built: Built) -> None:
    tables = {r["table_name"] for r in q(marts, "select table_name from information_schema.tables")}
    assert {"ind_office_daily", "ind_vital_region_month", "ind_rollout", "fct_declaration", "dim_geography"} <= tables
    assert (dbt_built.data_dir.parent / "dagster").is_dir()  # the run went through Dagster
    meta = q(marts, "select * from publish_meta")[0]
    assert meta["run_id"] and meta["max_changed_at"] is not None
    assert q(marts, "select count(*) as n from fct_birth")[0]["n"] > 1000


# ------------------------------------------------------------------------------------ every page


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_on_the_dbt_warehouse(real_env: Built, marts: duckdb.DuckDBPyConnection, page: str, lang: str) -> None:
    at = open_app(page, lang)  # asserts no exception box
    assert [t.value for t in at.title] == [i18n.t(TITLES[page], lang)]
    as_of = q(marts, "select max_changed_at from publish_meta")[0]["max_changed_at"]
    captions = " ".join(c.value for c in at.caption)
    assert i18n.t("common.data_as_of", lang, as_of=i18n.fmt_datetime(as_of, lang), published="")[:25] in captions
    assert not at.error
    if page == "quality" and not q(marts, "select 1 from information_schema.tables where table_name = 'quality_results'"):
        # a pipeline that publishes no quality results: the page says so, calmly
        assert i18n.t("common.missing_table", lang, table="quality_results") in [i.value for i in at.info]


# -------------------------------------------------------------------------------- office monitor


def _busy_province(marts: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The province whose offices differ most in the last week: a single office's figures then
    differ from the whole province's."""
    return q(marts, """
        with last as (select max(day) as d from ind_office_daily),
        week as (
            select office_code, province_code, region_code, sum(acts_registered) as acts,
                sum(backlog_end_of_day) filter (where day = (select d from last)) as backlog
            from ind_office_daily
            where day between (select d - 6 from last) and (select d from last) and province_code is not null
            group by all
        )
        select region_code, province_code, arg_max(office_code, acts * 1000 + backlog) as office,
            count(*) filter (where acts + backlog > 0) as busy
        from week group by all
        order by busy desc, province_code limit 1
    """)[0]


def _office_expected(marts: duckdb.DuckDBPyConnection, offices: list[str], province: str | None) -> dict[str, Any]:
    """What the monitor must show for these offices, as of the newest day of their province."""
    day = q(marts, "select max(day) as d from ind_office_daily where province_code is not distinct from ?", [province])[0]["d"]
    week_start = day - dt.timedelta(days=day.weekday())
    sums = q(marts, """
        select
            sum(births_registered) filter (where day = $day) as births_today,
            sum(deaths_registered) filter (where day = $day) as deaths_today,
            sum(acts_registered) filter (where day = $day) as acts_today,
            sum(births_registered) filter (where day >= $week) as births_week,
            sum(deaths_registered) filter (where day >= $week) as deaths_week,
            sum(acts_registered) filter (where day >= $week) as acts_week,
            sum(backlog_end_of_day) filter (where day = $day) as backlog,
            sum(notifications_waiting) filter (where day = $day) as notifications,
            sum(documents_issued) filter (where day = $day) as docs_today,
            sum(documents_issued) filter (where day >= $week) as docs_week,
        from ind_office_daily where office_code = any($offices) and day between $week and $day
    """, {"day": day, "week": week_start, "offices": offices})[0]
    delay = q(marts, """
        select count(days_to_registration) as registered,
            quantile_cont(days_to_registration, 0.5) as p50, quantile_cont(days_to_registration, 0.9) as p90
        from fct_declaration
        where office_code = any(?) and status = 'registered' and days_to_registration is not null
            and decided_date between ?::date - 29 and ?::date
    """, [offices, day, day])[0]
    left = [r["left"] for r in q(marts, "select deadline_date - ?::date as left from fct_declaration where is_pending and office_code = any(?)",
                                 [day, offices])]
    return {**{k: int(v or 0) for k, v in sums.items()}, "p50": delay["p50"] if delay["registered"] else None,
            "p90": delay["p90"] if delay["registered"] else None,
            "pending": len(left), "overdue": sum(d < 0 for d in left), "soon": sum(0 <= d <= 3 for d in left), "day": day}


def _shown_office(at, lang: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    keys = {"births_today": "monitor.births_today", "deaths_today": "monitor.deaths_today", "acts_today": "monitor.acts_today",
            "births_week": "monitor.births_week", "deaths_week": "monitor.deaths_week", "acts_week": "monitor.acts_week",
            "backlog": "monitor.backlog", "notifications": "monitor.notifications_waiting",
            "docs_today": "monitor.documents_today", "docs_week": "monitor.documents_week",
            "p50": "monitor.p50_days", "p90": "monitor.p90_days", "pending": "monitor.pending_total",
            "overdue": "monitor.pending_overdue"}
    out = {k: metric(at, v, lang) for k, v in keys.items()}
    out["soon"] = metric(at, "monitor.pending_soon", lang, days=3)
    return out


def _formatted(exp: dict[str, Any], lang: str) -> dict[str, str]:
    return {k: (dec(v, lang) if k in ("p50", "p90") else n(v, lang)) for k, v in exp.items() if k != "day"}


@pytest.mark.parametrize("lang", LANGS)
def test_office_monitor_equals_the_marts_and_follows_the_filters(real_env: Built, marts: duckdb.DuckDBPyConnection, lang: str) -> None:
    pick = _busy_province(marts)
    assert pick["busy"] >= 2, pick  # the build must have a province with two active offices
    at = open_app("office", lang)
    at.selectbox(key="monitor.region").set_value(pick["region_code"]).run()
    at.selectbox(key="monitor.province").set_value(pick["province_code"]).run()
    at.selectbox(key="monitor.office").set_value(pick["office"]).run()
    assert not at.exception
    one = _office_expected(marts, [pick["office"]], pick["province_code"])
    shown_one = _shown_office(at, lang)
    assert shown_one == _formatted(one, lang)

    at.selectbox(key="monitor.office").set_value("*").run()  # the whole province
    offices = [r["office_code"] for r in q(marts, "select distinct office_code from dim_geography where province_code = ?",
                                           [pick["province_code"]])]
    whole = _office_expected(marts, offices, pick["province_code"])
    shown_whole = _shown_office(at, lang)
    assert shown_whole == _formatted(whole, lang)
    assert shown_whole != shown_one  # the filter changes the numbers

    comparison = table(at, "monitor.comparison")
    week_start = whole["day"] - dt.timedelta(days=whole["day"].weekday())
    acts = {ui.short_office_name(r["office_name"], lang): int(r["acts"] or 0) for r in q(marts, f"""
        select g.office_name_{lang} as office_name, sum(d.acts_registered) as acts
        from dim_geography g left join ind_office_daily d on d.office_code = g.office_code and d.day between ?::date and ?::date
        where g.province_code = ? group by all""", [week_start, whole["day"], pick["province_code"]])}
    shown = dict(zip(comparison[i18n.t("cols.office", lang)], comparison[i18n.t("cols.acts_week", lang)], strict=True))
    assert shown == acts
    expired = {ui.short_office_name(r["office_name"], lang): int(r["expired"]) for r in q(marts, f"""
        select g.office_name_{lang} as office_name,
            count(d.declaration_id) filter (where d.status = 'expired' and d.decided_date between ?::date - 29 and ?::date) as expired
        from dim_geography g left join fct_declaration d on d.office_code = g.office_code
        where g.province_code = ? group by all""", [whole["day"], whole["day"], pick["province_code"]])}
    assert dict(zip(comparison[i18n.t("cols.office", lang)], comparison[i18n.t("cols.expired_window", lang)], strict=True)) == expired


def test_consular_offices_are_reachable(real_env: Built, marts: duckdb.DuckDBPyConnection) -> None:
    """Consulates have no region or province in dim_geography (a page once crashed sorting the
    null region): they are listed under one entry, named in the chosen language."""
    consulates = q(marts, "select office_code from dim_geography where region_code is null order by office_code")
    assert consulates
    at = open_app("office", "ar")
    at.selectbox(key="monitor.region").set_value("CON").run()
    assert not at.exception
    assert at.selectbox(key="monitor.province").options == [i18n.t("monitor.consulates", "ar")]
    at.selectbox(key="monitor.office").set_value("*").run()
    codes = [r["office_code"] for r in consulates]
    exp = _office_expected(marts, codes, None)
    assert metric(at, "monitor.pending_total", "ar") == n(exp["pending"], "ar")
    assert metric(at, "monitor.acts_week", "ar") == n(exp["acts_week"], "ar")


# ------------------------------------------------------------------------------------ indicators


def _vital(marts: duckdb.DuckDBPyConnection, regions: list[str] | None, start: dt.date, end: dt.date) -> dict[str, Any]:
    return q(marts, """
        select sum(births) as births, sum(deaths) as deaths, sum(marriages) as marriages, sum(divorces) as divorces,
            sum(births_female) as births_female, sum(deaths_female) as deaths_female, sum(births_male) as births_male,
            sum(population / 12.0) as person_years, sum(infant_deaths) as infant_deaths,
            sum(mean_mother_age * births) filter (where mean_mother_age is not null)
                / sum(births) filter (where mean_mother_age is not null) as mother_age,
            count(*) as rows
        from ind_vital_region_month
        where (? is null or region_code = any(?)) and month_start between ? and ?
    """, [regions, regions or [], start, end])[0]


@pytest.mark.parametrize("lang", LANGS)
def test_indicators_equal_the_marts_and_follow_the_filters(real_env: Built, marts: duckdb.DuckDBPyConnection, lang: str) -> None:
    months = [r["m"] for r in q(marts, "select distinct month_start as m from ind_vital_region_month order by 1")]
    as_of = q(marts, "select max_changed_at from publish_meta")[0]["max_changed_at"].date()
    whole = [m for m in months if m < as_of.replace(day=1)]  # the default stops before the partly observed month
    start, end = whole[max(0, len(whole) - 12)], whole[-1]
    at = open_app("indicators", lang)
    exp = _vital(marts, None, start, end)
    assert exp["births"] > 0
    assert metric(at, "indicators.births", lang) == n(exp["births"], lang)
    assert metric(at, "indicators.deaths", lang) == n(exp["deaths"], lang)
    assert metric(at, "indicators.marriages", lang) == n(exp["marriages"], lang)
    assert metric(at, "indicators.divorces", lang) == n(exp["divorces"], lang)
    assert metric(at, "indicators.crude_birth_rate", lang) == dec(exp["births"] / exp["person_years"] * 1000, lang)
    assert metric(at, "indicators.crude_death_rate", lang) == dec(exp["deaths"] / exp["person_years"] * 1000, lang)
    assert metric(at, "indicators.sex_ratio_at_birth", lang) == dec(exp["births_male"] / exp["births_female"] * 100, lang)
    assert metric(at, "indicators.mean_mother_age", lang) == dec(exp["mother_age"], lang)
    assert metric(at, "indicators.infant_deaths_per_1000", lang) == dec(exp["infant_deaths"] / exp["births"] * 1000, lang)
    shown = table(at, "indicators.regions_months")
    assert len(shown) == exp["rows"]
    mart = q(marts, "select births from ind_vital_region_month where month_start between ? and ? order by month_start, region_code",
             [start, end])
    assert shown[i18n.t("cols.births", lang)].tolist() == [r["births"] for r in mart]

    region = q(marts, "select region_code from ind_vital_region_month group by 1 order by sum(births) desc, 1 limit 1")[0]["region_code"]
    at.multiselect(key="indicators.regions").set_value([region]).run()
    at.radio(key="indicators.sex").set_value("F").run()
    assert not at.exception
    one = _vital(marts, [region], start, end)
    assert metric(at, "indicators.births", lang) == n(one["births_female"], lang) != n(exp["births"], lang)
    assert metric(at, "indicators.deaths", lang) == n(one["deaths_female"], lang)

    end = months[-1]  # up to the month holding the as-of date, which is only partly observed
    first = months[max(0, len(months) - 3)]
    at.select_slider(key="indicators.period").set_value((first, end)).run()
    three = _vital(marts, [region], first, end)
    assert metric(at, "indicators.births", lang) == n(three["births_female"], lang)
    assert len(table(at, "indicators.regions_months")) == three["rows"]
    at.radio(key="indicators.sex").set_value("all").run()
    # its person-years count the observed days only
    partial = _vital(marts, [region], end, end)
    days = calendar.monthrange(end.year, end.month)[1]
    partly = end == as_of.replace(day=1) and as_of.day < days
    assert partly  # the history ends mid-month (END)
    observed = as_of.day / days
    person_years = three["person_years"] - partial["person_years"] * (1 - observed)
    assert metric(at, "indicators.crude_birth_rate", lang) == dec(three["births"] / person_years * 1000, lang)
    monthly = table(at, "indicators.monthly")
    status = dict(zip(monthly[i18n.t("cols.month", lang)], monthly[i18n.t("cols.data_status", lang)], strict=True))
    open_from = (as_of - dt.timedelta(days=30)).replace(day=1)  # the legal deadline is 30 days
    assert status == {m: i18n.t("indicators.provisional" if m >= open_from else "indicators.final", lang)
                      for m in months[-3:]}
    last = monthly[monthly[i18n.t("cols.month", lang)] == end]
    assert last[i18n.t("cols.births_yoy", lang)].isna().all() == partly  # no year-on-year change for a part of a month

    timeliness = table(at, "indicators.timeliness")
    births_tl = q(marts, """
        select registration_month, sum(registrations) as r from ind_timeliness
        where region_code = ? and registration_month between ? and ? and event_type = 'birth' group by 1 order by 1
    """, [region, first, end])
    rows = timeliness[timeliness[i18n.t("cols.event_type", lang)] == i18n.t("event_type.birth", lang)]
    assert rows[i18n.t("cols.registrations", lang)].tolist() == [r["r"] for r in births_tl]
    assert charts(at)  # the map and the series render from the same rows


# -------------------------------------------------------------------------------------- rollout


@pytest.mark.parametrize("lang", LANGS)
def test_rollout_equals_the_marts_and_follows_the_month(real_env: Built, marts: duckdb.DuckDBPyConnection, lang: str) -> None:
    def expect(month: dt.date) -> tuple[str, str]:
        r = q(marts, "select sum(offices_live) as live, sum(offices_total) as total, sum(events) as ev, "
                     "sum(events_electronic) as el from ind_rollout where month_start = ?", [month])[0]
        return (i18n.t("rollout.of_total", lang, live=n(r["live"], lang), total=n(r["total"], lang)),
                i18n.fmt_percent(r["el"] / r["ev"] if r["ev"] else None, lang))

    months = [r["m"] for r in q(marts, "select distinct month_start as m from ind_rollout order by 1")]
    at = open_app("rollout", lang)
    assert (metric(at, "rollout.offices_live", lang), metric(at, "rollout.share_electronic", lang)) == expect(months[-1])
    early = next(m for m in months if expect(m)[0] != expect(months[-1])[0])
    at.select_slider(key="rollout.month").set_value(early).run()
    assert not at.exception
    assert (metric(at, "rollout.offices_live", lang), metric(at, "rollout.share_electronic", lang)) == expect(early)
    shown = table(at, "rollout.table")
    mart = q(marts, "select offices_live from ind_rollout where month_start = ? order by region_code", [early])
    assert shown[i18n.t("cols.offices_live", lang)].tolist() == [r["offices_live"] for r in mart]


# ------------------------------------------------------------------------------- quality, datasets


def test_quality_page_on_the_dbt_warehouse(real_env: Built, marts: duckdb.DuckDBPyConnection) -> None:
    at = open_app("quality")
    if q(marts, "select 1 from information_schema.tables where table_name = 'quality_results'"):
        # published once the pipeline runs the suites before publishing: the newest verdict of
        # every check (suite, model, expectation, rule, column), failures counted by severity
        latest = q(marts, """
            with ranked as (
                select *, row_number() over (partition by suite, model, expectation, rule, column_name
                                             order by checked_at desc) as rn
                from quality_results
            )
            select lower(severity) as s, count(*) filter (where success = false) as failed
            from ranked where rn = 1 group by 1 order by 1
        """)
        assert latest
        for r in latest:
            assert metric(at, f"severity.{r['s']}") == n(r["failed"]), r
        if q(marts, "select 1 from information_schema.tables where table_name = 'quarantine'"):
            assert metric(at, "quality.quarantined_rows") == n(q(marts, "select count(*) as n from quarantine")[0]["n"])
    else:
        assert i18n.t("common.missing_table", "fr", table="quality_results") in [i.value for i in at.info]
        assert not at.metric  # no made-up verdicts


def test_datasets_page_on_the_dbt_warehouse(real_env: Built) -> None:
    from datasets.catalog import DATASETS

    at = open_app("datasets", "ar")
    shown = table(at, "datasets.catalog")
    assert shown[i18n.t("cols.dataset", "ar")].tolist() == [d.title_ar for d in DATASETS.values() if d.disclosure != "identified"]


def test_no_page_reads_the_working_file(real_env: Built) -> None:
    """Pages read the published copy: with the working warehouse held open for writing (a run
    in progress), every page still renders."""
    writer = duckdb.connect(str(real_env.working))
    try:
        writer.execute("begin transaction")
        for page in PAGES:
            open_app(page)
    finally:
        writer.close()
    assert Path(real_env.published).is_file() and os.path.samefile(real_env.published.parent, real_env.data_dir / "published")
