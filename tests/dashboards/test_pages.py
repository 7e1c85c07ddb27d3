"""Every page through AppTest on a real published warehouse: filters change the numbers, and the
numbers equal what the fixture put in the marts (recomputed here from the fixture's rows)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from dashboards import i18n, ui
from tests.dashboards import fixture_data as fx
from tests.dashboards.apptest_helpers import (
    PAGES,
    TITLES,
    charts,
    dec,
    download_buttons,
    metric,
    n,
    open_app,
    table,
)
from tests.dashboards.conftest import point_app_at
from tests.dashboards.fixture_data import Built

pytestmark = pytest.mark.usefixtures("app_env")


# ------------------------------------------------------------------------------------------ all


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_in_both_languages(page: str, lang: str) -> None:
    at = open_app(page, lang)
    assert [t.value for t in at.title] == [i18n.t(TITLES[page], lang)]
    captions = " ".join(c.value for c in at.caption)
    # "data as of": the newest landed change, in Morocco time (UTC+1 that day)
    assert i18n.t("common.data_as_of", lang, as_of=i18n.fmt_datetime(fx.DATA_AS_OF, lang), published="")[:25] in captions
    assert at.session_state["lang"] == lang and at.query_params["lang"] == lang
    for spec in charts(at):
        assert spec["config"]["locale"]["number"]["decimal"] == ","
        assert spec["config"]["locale"]["time"]["months"][0] == i18n.month_names(lang)[0]
    synthetic = i18n.t("common.synthetic", lang, share="")[:20]
    assert not any(synthetic in i.value for i in at.info)  # a real registry's data


@pytest.mark.parametrize(("page", "lang"), [("office", "fr"), ("indicators", "ar")])
def test_simulated_data_say_so(page: str, lang: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A registry of simulated activity (the demo's) must never pass for official statistics."""
    built = fx.build(tmp_path / "data", synthetic_scale=0.02)
    point_app_at(monkeypatch, built)
    at = open_app(page, lang)
    assert i18n.t("common.synthetic", lang, share=i18n.fmt_percent(0.02, lang)) in [i.value for i in at.info]


def test_language_switch_changes_every_label_and_the_url() -> None:
    at = open_app("indicators", "fr")
    at.sidebar.radio(key="lang").set_value("ar").run()
    assert at.title[0].value == "المؤشرات الديموغرافية"
    assert at.query_params["lang"] == "ar"
    assert metric(at, "indicators.births", "ar")  # labels now from ar.toml
    shown = table(at, "indicators.regions_months")
    assert i18n.t("cols.region", "ar") in shown.columns
    assert set(shown[i18n.t("cols.region", "ar")]) == {"طنجة-تطوان-الحسيمة", "الرباط-سلا-القنيطرة", "الدار البيضاء-سطات"}


def test_arabic_gets_a_right_to_left_layout() -> None:
    def styles(at) -> str:  # type: ignore[no-untyped-def]
        return " ".join(e.proto.body for e in at.get("html"))

    fr_at, ar_at = open_app("office", "fr"), open_app("office", "ar")
    assert "direction: rtl" in styles(ar_at) and "direction: rtl" not in styles(fr_at)


# ------------------------------------------------------------------------------- office monitor


def _office_expectations(frames: dict[str, pl.DataFrame], offices: list[str]) -> dict[str, float | int | None]:
    daily = frames["ind_office_daily"].filter(pl.col("office_code").is_in(offices))
    today = daily.filter(pl.col("day") == fx.REF_DAY)
    week = daily.filter(pl.col("day").is_between(fx.WEEK_START, fx.REF_DAY))
    decl = frames["fct_declaration"].filter(pl.col("office_code").is_in(offices))
    recent = decl.filter((pl.col("status") == "registered")
                         & pl.col("decided_date").is_between(fx.REF_DAY - dt.timedelta(days=29), fx.REF_DAY))
    delays = recent["days_to_registration"].to_numpy()
    pending = decl.filter(pl.col("is_pending"))
    left = [(d - fx.REF_DAY).days for d in pending["deadline_date"]]
    return {
        "births_today": today["births_registered"].sum(), "deaths_today": today["deaths_registered"].sum(),
        "acts_today": today["acts_registered"].sum(), "births_week": week["births_registered"].sum(),
        "deaths_week": week["deaths_registered"].sum(), "acts_week": week["acts_registered"].sum(),
        "backlog": today["backlog_end_of_day"].sum(), "notifications": today["notifications_waiting"].sum(),
        "docs_today": today["documents_issued"].sum(), "docs_week": week["documents_issued"].sum(),
        "p50": float(np.percentile(delays, 50)), "p90": float(np.percentile(delays, 90)),
        "pending": len(left), "overdue": sum(d < 0 for d in left), "soon": sum(0 <= d <= 3 for d in left),
    }


def _pick_office(at, region: str, province: str, office: str):  # type: ignore[no-untyped-def]
    at.selectbox(key="monitor.region").set_value(region).run()
    at.selectbox(key="monitor.province").set_value(province).run()
    at.selectbox(key="monitor.office").set_value(office).run()
    return at


def _assert_office_metrics(at, exp: dict[str, float | int | None]) -> None:  # type: ignore[no-untyped-def]
    assert metric(at, "monitor.births_today") == n(exp["births_today"])
    assert metric(at, "monitor.deaths_today") == n(exp["deaths_today"])
    assert metric(at, "monitor.acts_today") == n(exp["acts_today"])
    assert metric(at, "monitor.births_week") == n(exp["births_week"])
    assert metric(at, "monitor.deaths_week") == n(exp["deaths_week"])
    assert metric(at, "monitor.acts_week") == n(exp["acts_week"])
    assert metric(at, "monitor.backlog") == n(exp["backlog"])
    assert metric(at, "monitor.notifications_waiting") == n(exp["notifications"])
    assert metric(at, "monitor.documents_today") == n(exp["docs_today"])
    assert metric(at, "monitor.documents_week") == n(exp["docs_week"])
    assert metric(at, "monitor.p50_days") == dec(exp["p50"])
    assert metric(at, "monitor.p90_days") == dec(exp["p90"])
    assert metric(at, "monitor.pending_total") == n(exp["pending"])
    assert metric(at, "monitor.pending_overdue") == n(exp["overdue"])
    assert metric(at, "monitor.pending_soon", days=3) == n(exp["soon"])


def test_office_monitor_numbers_equal_the_marts_for_one_office(app_env: Built) -> None:
    at = _pick_office(open_app("office"), "04", "04.421", fx.HASSAN)
    exp = _office_expectations(app_env.frames, [fx.HASSAN])
    assert (exp["pending"], exp["overdue"], exp["soon"]) == (8, 2, 3)  # pinned in the fixture
    _assert_office_metrics(at, exp)
    pending = table(at, "monitor.pending")
    days_left = pending[i18n.t("cols.days_left", "fr")].tolist()
    assert days_left == sorted(fx.PENDING_OFFSETS_HASSAN)  # sorted by days left, overdue first
    assert i18n.t("cols.tracking_number", "fr") not in pending.columns  # analyst view: no identifiers
    assert list(pending.columns[:2]) == [i18n.t("cols.days_left", "fr"), i18n.t("cols.deadline_date", "fr")]
    assert i18n.t("cols.office", "fr") not in pending.columns  # one office chosen: no column repeating it
    at.selectbox(key="monitor.office").set_value("*").run()
    assert table(at, "monitor.pending").columns[-1] == i18n.t("cols.office", "fr")  # the whole province: which office
    at.selectbox(key="monitor.office").set_value(fx.HASSAN).run()
    soon = table(at, "monitor.soon")
    assert soon[i18n.t("cols.days_left", "fr")].tolist() == [0, 2, 3]
    assert any(w.value == i18n.t("monitor.soon_heading", "fr", days=3, n="3") for w in at.warning)


def test_office_monitor_whole_province_sums_its_offices(app_env: Built) -> None:
    at = _pick_office(open_app("office"), "04", "04.421", fx.HASSAN)
    one = metric(at, "monitor.acts_week")
    at.selectbox(key="monitor.office").set_value("*").run()
    rabat = [code for code, *_ in fx.OFFICES if code.startswith("04.421")]
    exp = _office_expectations(app_env.frames, rabat)
    _assert_office_metrics(at, exp)
    assert metric(at, "monitor.acts_week") != one  # the filter changes the numbers
    comparison = table(at, "monitor.comparison")
    names = {code: ui.short_office_name(name, "fr")
             for code, name in zip(app_env.frames["dim_geography"]["office_code"], app_env.frames["dim_geography"]["office_name_fr"], strict=True)}
    assert sorted(comparison[i18n.t("cols.office", "fr")]) == sorted(names[c] for c in rabat)
    assert "Arrondissement Hassan (Rabat)" in comparison[i18n.t("cols.office", "fr")].tolist()  # no "Bureau d'état civil de l'…" on every row
    weekly = app_env.frames["ind_office_daily"].filter(pl.col("day").is_between(fx.WEEK_START, fx.REF_DAY)).group_by("office_code").agg(
        pl.col("acts_registered").sum())
    by_name = dict(zip(comparison[i18n.t("cols.office", "fr")], comparison[i18n.t("cols.acts_week", "fr")], strict=True))
    for code, acts in weekly.iter_rows():
        if code in rabat:
            assert by_name[names[code]] == acts
    # service over the last 30 days, per office: median days to registration, expired unregistered
    window = app_env.frames["fct_declaration"].filter(pl.col("decided_date").is_between(fx.REF_DAY - dt.timedelta(days=29), fx.REF_DAY))
    p50 = dict(zip(comparison[i18n.t("cols.office", "fr")], comparison[i18n.t("cols.median_days_window", "fr")], strict=True))
    expired = dict(zip(comparison[i18n.t("cols.office", "fr")], comparison[i18n.t("cols.expired_window", "fr")], strict=True))
    for code in rabat:
        mine = window.filter(pl.col("office_code") == code)
        delays = mine.filter(pl.col("status") == "registered")["days_to_registration"].to_numpy()
        assert p50[names[code]] == pytest.approx(float(np.percentile(delays, 50)))
        assert expired[names[code]] == mine.filter(pl.col("status") == "expired").height
    assert len(set(expired.values())) > 1  # offices differ: the column is not a constant


@pytest.mark.parametrize(("lang", "name", "short"), [
    ("fr", "Bureau d'état civil de l'arrondissement Anfa (Casablanca)", "Arrondissement Anfa (Casablanca)"),
    ("fr", "Bureau d'état civil de Aarab Sebbah Gheris", "Aarab Sebbah Gheris"),
    ("fr", "Bureau d'état civil d'Agadir", "Agadir"),
    ("fr", "Consulat général du Maroc à Vérone", "Consulat général du Maroc à Vérone"),
    ("ar", "مكتب الحالة المدنية بمقاطعة أنفا (الدار البيضاء)", "مقاطعة أنفا (الدار البيضاء)"),
    ("ar", "مكتب الحالة المدنية الدار البيضاء", "الدار البيضاء"),
    ("ar", "القنصلية العامة للمملكة المغربية بدبي", "القنصلية العامة للمملكة المغربية بدبي"),
])
def test_office_tables_drop_the_prefix_every_row_repeats(lang: str, name: str, short: str) -> None:
    assert ui.short_office_name(name, lang) == short


def test_office_monitor_opens_on_the_busiest_province_of_the_week(app_env: Built) -> None:
    daily = app_env.frames["ind_office_daily"]
    geo = app_env.frames["dim_geography"].select("office_code", "region_code", "province_code")
    last = daily["day"].max()
    week = (daily.filter(pl.col("day") > last - dt.timedelta(days=7)).join(geo, on="office_code")
            .group_by("region_code", "province_code").agg(pl.col("acts_registered").sum())
            .sort(["acts_registered", "province_code"], descending=[True, False]))
    region, province = week.row(0)[:2]
    assert week["acts_registered"][0] > week["acts_registered"][1]  # a clear winner in the fixture
    assert province != sorted(geo["province_code"].drop_nulls())[0]  # not merely the first by code
    at = open_app("office")
    assert (at.selectbox(key="monitor.region").value, at.selectbox(key="monitor.province").value) == (region, province)
    assert at.selectbox(key="monitor.office").value == "*"  # the whole province, with its comparison table
    why = i18n.t("monitor.busiest_province", "fr", province=at.selectbox(key="monitor.province").format_func(province), days=7)
    assert why in [c.value for c in at.caption]  # the viewer is told why this province
    # another region falls back to its first province, without that caption
    other = next(code for code in sorted(geo["region_code"].drop_nulls().unique()) if code != region)
    at.selectbox(key="monitor.region").set_value(other).run()
    assert at.selectbox(key="monitor.province").value == sorted(geo.filter(pl.col("region_code") == other)["province_code"])[0]
    said = i18n.t("monitor.busiest_province", "fr", province="", days=7).lstrip(" :")
    assert not [c.value for c in at.caption if c.value.endswith(said)]


def test_office_monitor_other_region_lists_only_its_provinces() -> None:
    at = open_app("office")
    at.selectbox(key="monitor.region").set_value("06").run()
    assert at.selectbox(key="monitor.province").options == ["Casablanca"]
    assert metric(at, "monitor.pending_total")


def test_office_monitor_names_offices_in_the_chosen_script() -> None:
    at = _pick_office(open_app("office", "ar"), "04", "04.421", fx.HASSAN)
    pending = table(at, "monitor.pending")
    assert set(pending[i18n.t("cols.event_type", "ar")]) == {"ولادة", "وفاة"}  # coded values translated too
    assert set(pending[i18n.t("cols.status", "ar")]) == {"مودع", "قيد الدراسة"}
    assert "مكتب الحالة المدنية بمقاطعة حسان (الرباط)" in at.selectbox(key="monitor.office").options
    assert at.selectbox(key="monitor.region").options == ["طنجة-تطوان-الحسيمة", "الرباط-سلا-القنيطرة", "الدار البيضاء-سطات"]


# ----------------------------------------------------------------------------- indicators


def _vital(frames: dict[str, pl.DataFrame], regions: list[str], start: dt.date, end: dt.date) -> pl.DataFrame:
    return frames["ind_vital_region_month"].filter(pl.col("region_code").is_in(regions) & pl.col("month_start").is_between(start, end))


def test_indicators_default_view_equals_the_marts(app_env: Built) -> None:
    at = open_app("indicators")
    start, end = dt.date(2024, 6, 1), fx.LAST_MONTH  # the last 12 published months
    rows = _vital(app_env.frames, list(fx.VITAL_REGIONS), start, end)
    assert metric(at, "indicators.births") == n(rows["births"].sum())
    assert metric(at, "indicators.deaths") == n(rows["deaths"].sum())
    assert metric(at, "indicators.marriages") == n(rows["marriages"].sum())
    assert metric(at, "indicators.divorces") == n(rows["divorces"].sum())
    person_years = (rows["population"] / 12).sum()
    assert metric(at, "indicators.crude_birth_rate") == dec(rows["births"].sum() / person_years * 1000)
    assert metric(at, "indicators.crude_death_rate") == dec(rows["deaths"].sum() / person_years * 1000)
    assert metric(at, "indicators.sex_ratio_at_birth") == dec(rows["births_male"].sum() / rows["births_female"].sum() * 100)
    assert metric(at, "indicators.mean_mother_age") == dec((rows["mean_mother_age"] * rows["births"]).sum() / rows["births"].sum())
    assert metric(at, "indicators.infant_deaths_per_1000") == dec(rows["infant_deaths"].sum() / rows["births"].sum() * 1000)

    # events may still be declared up to 30 days after them: on 18 June, May is provisional
    monthly = table(at, "indicators.monthly")
    status = dict(zip(monthly[i18n.t("cols.month", "fr")], monthly[i18n.t("cols.data_status", "fr")], strict=True))
    assert status[fx.LAST_MONTH] == i18n.t("indicators.provisional", "fr")
    assert {v for m, v in status.items() if m < fx.LAST_MONTH} == {i18n.t("indicators.final", "fr")}
    layered = [[layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in c["layer"]]
               for c in charts(at) if "layer" in c]
    assert ["rect", "text", "line"] in layered  # the provisional band, its label, then the lines
    lines = next(c["layer"][2] for c in charts(at) if "layer" in c and len(c["layer"]) == 3)
    in_order = [i18n.t(f"indicators.{m}", "fr") for m in ("births", "deaths", "marriages", "divorces")]
    assert lines["encoding"]["color"]["scale"]["domain"] == lines["encoding"]["color"]["sort"] == in_order  # headline order
    assert len(set(lines["encoding"]["color"]["scale"]["range"])) == 4  # one hue per series
    assert any(c.value.startswith(i18n.t("indicators.provisional_note", "fr", as_of="", month="", days="")[:10]) for c in at.caption)

    shown = table(at, "indicators.regions_months")
    assert len(shown) == rows.height == 36
    mart = rows.sort(["month_start", "region_code"])
    assert shown[i18n.t("cols.births", "fr")].tolist() == mart["births"].to_list()
    assert shown[i18n.t("cols.crude_birth_rate", "fr")].tolist() == pytest.approx(mart["crude_birth_rate"].to_list())
    assert shown[i18n.t("cols.infant_deaths_per_1000", "fr")].tolist() == pytest.approx(mart["infant_deaths_per_1000_births"].to_list())


def test_indicators_region_and_sex_filters_change_the_numbers(app_env: Built) -> None:
    at = open_app("indicators")
    before = metric(at, "indicators.births")
    at.multiselect(key="indicators.regions").set_value(["04"]).run()
    at.radio(key="indicators.sex").set_value("F").run()
    rows = _vital(app_env.frames, ["04"], dt.date(2024, 6, 1), fx.LAST_MONTH)
    assert metric(at, "indicators.births") == n(rows["births_female"].sum()) != before
    assert metric(at, "indicators.deaths") == n(rows["deaths_female"].sum())
    assert metric(at, "indicators.crude_birth_rate") == "–"  # rates need both sexes
    shown = table(at, "indicators.regions_months")
    assert i18n.t("cols.crude_birth_rate", "fr") not in shown.columns
    assert shown[i18n.t("cols.births", "fr")].tolist() == rows.sort("month_start")["births_female"].to_list()

    monthly = table(at, "indicators.monthly")
    may = monthly[monthly[i18n.t("cols.month", "fr")] == fx.LAST_MONTH]
    prev = app_env.frames["ind_vital_region_month"].filter((pl.col("region_code") == "04") & (pl.col("month_start") == dt.date(2024, 5, 1)))
    cur = rows.filter(pl.col("month_start") == fx.LAST_MONTH)
    expected = cur["births_female"][0] / prev["births_female"][0] - 1
    assert may[i18n.t("cols.births_yoy", "fr")].iloc[0] == pytest.approx(expected)


def test_indicators_period_filter(app_env: Built) -> None:
    at = open_app("indicators")
    at.select_slider(key="indicators.period").set_value((dt.date(2025, 1, 1), dt.date(2025, 3, 1))).run()
    rows = _vital(app_env.frames, list(fx.VITAL_REGIONS), dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    assert metric(at, "indicators.births") == n(rows["births"].sum())
    assert len(table(at, "indicators.regions_months")) == 9


def test_indicators_timeliness_and_completeness_equal_the_marts(app_env: Built) -> None:
    at = open_app("indicators")
    at.multiselect(key="indicators.regions").set_value(["04", "06"]).run()
    tl = app_env.frames["ind_timeliness"].filter(pl.col("region_code").is_in(["04", "06"]) & pl.col("registration_month").is_between(
        dt.date(2024, 6, 1), fx.LAST_MONTH))
    births = tl.filter(pl.col("event_type") == "birth").group_by("registration_month").agg(pl.col("registrations", "on_time").sum()).sort("registration_month")
    shown = table(at, "indicators.timeliness")
    shown_births = shown[shown[i18n.t("cols.event_type", "fr")] == i18n.t("event_type.birth", "fr")]
    assert shown_births[i18n.t("cols.registrations", "fr")].tolist() == births["registrations"].to_list()
    assert shown_births[i18n.t("cols.share_on_time", "fr")].tolist() == pytest.approx((births["on_time"] / births["registrations"]).to_list())

    comp = app_env.frames["ind_completeness"].filter(pl.col("region_code").is_in(["04", "06"]) & pl.col("year").is_between(2024, 2025))
    agg = comp.group_by(["year", "event_type"]).agg(pl.col("expected", "registered_within_deadline", "registered_within_5y").sum()).sort(["year", "event_type"])
    shown = table(at, "indicators.completeness")
    assert shown[i18n.t("cols.expected", "fr")].tolist() == agg["expected"].to_list()
    assert shown[i18n.t("cols.completeness_deadline", "fr")].tolist() == pytest.approx((agg["registered_within_deadline"] / agg["expected"]).to_list())
    assert shown[i18n.t("cols.completeness_5y", "fr")].tolist() == pytest.approx((agg["registered_within_5y"] / agg["expected"]).to_list())

    at.radio(key="indicators.sex").set_value("M").run()
    male = comp.filter(pl.col("sex") == "M").group_by(["year", "event_type"]).agg(pl.col("expected").sum()).sort(["year", "event_type"])
    assert table(at, "indicators.completeness")[i18n.t("cols.expected", "fr")].tolist() == male["expected"].to_list()


def test_indicators_map_is_a_local_geoshape_with_the_region_values(app_env: Built) -> None:
    at = open_app("indicators")
    specs = [s for s in charts(at) if "geoshape" in json.dumps([layer.get("mark") for layer in s.get("layer", [s])])]
    assert len(specs) == 1
    spec = json.dumps(specs[0])
    assert "tile" not in spec and "http" not in spec.replace(specs[0].get("$schema", ""), "")
    features = specs[0]["data"]["values"]  # inline: the shapes travel with the chart, no URL
    assert all(f["type"] == "Feature" for f in features)
    values = {f["properties"]["region_code"]: f["properties"]["value"] for f in features}
    rows = _vital(app_env.frames, list(fx.VITAL_REGIONS), dt.date(2024, 6, 1), fx.LAST_MONTH)
    for region, births in rows.group_by("region_code").agg(pl.col("births").sum()).iter_rows():
        assert values[region] == births
    assert values["12"] is None and len(values) == 12


def test_download_holds_exactly_the_table_shown() -> None:
    at = open_app("indicators")
    at.multiselect(key="indicators.regions").set_value(["01"]).run()
    shown = table(at, "indicators.regions_months")
    buttons = download_buttons(at, "indicators.regions_months")
    assert len(buttons) == 1 and buttons[0].proto.label == i18n.t("common.download_csv", "fr")
    parsed = pd.read_csv(io.BytesIO(ui.csv_bytes(shown)), encoding="utf-8-sig")
    assert list(parsed.columns) == list(shown.columns)
    assert parsed[i18n.t("cols.births", "fr")].tolist() == shown[i18n.t("cols.births", "fr")].tolist()
    assert len(parsed) == len(shown) == 12


# -------------------------------------------------------------------------------- quality


def test_quality_page_shows_the_latest_verdicts_by_severity(app_env: Built) -> None:
    at = open_app("quality")
    latest = app_env.frames["quality_results"].filter(pl.col("run_id") == "run-2")
    for severity in ("error", "warn"):
        failed = latest.filter((pl.col("severity") == severity) & (pl.col("success") == False)).height  # noqa: E712
        assert metric(at, f"severity.{severity}") == n(failed)
    assert (metric(at, "severity.error"), metric(at, "severity.warn")) == ("2", "1")  # a skipped check is no failure
    failing = table(at, "quality.failing")
    assert sorted(failing[i18n.t("cols.rule", "fr")]) == ["act_number_unique", "age_group_consistent", "mother_age_plausible"]
    meaning = dict(zip(failing[i18n.t("cols.rule", "fr")], failing[i18n.t("cols.rule_meaning", "fr")], strict=True))
    assert meaning["mother_age_plausible"] == "Âge de la mère plausible"  # what the rule checks, in words
    assert meaning["age_group_consistent"] == "age_group_consistent"  # a rule the catalog does not know: its id
    assert metric(at, "quality.quarantined_rows") == "6"
    by_rule = table(at, "quality.quarantine")
    rows_col, rule_col, office_col = i18n.t("cols.rows", "fr"), i18n.t("cols.rule", "fr"), i18n.t("cols.office", "fr")
    assert list(zip(by_rule[rule_col], by_rule[rows_col], strict=True)) == [
        ("mother_age_plausible", 3), ("daily_volume_outlier", 2), ("act_number_unique", 1)]
    assert by_rule[i18n.t("cols.rule_meaning", "fr")].tolist() == [
        i18n.label("rule", r, "fr") for r in ("mother_age_plausible", "daily_volume_outlier", "act_number_unique")]
    by_office = table(at, "quality.quarantine_offices")
    # offices found through the act ids (fct_birth) and through office-keyed rows (office_code|day)
    got = {(o, r): k for o, r, k in zip(by_office[office_col], by_office[rule_col], by_office[rows_col], strict=True)}
    assert got == {
        ("Bureau d'état civil de l'arrondissement Hassan (Rabat)", "mother_age_plausible"): 2,
        ("Bureau d'état civil de l'arrondissement Anfa (Casablanca)", "daily_volume_outlier"): 2,
        ("Bureau d'état civil de l'arrondissement Yacoub El Mansour (Rabat)", "mother_age_plausible"): 1,
        ("Bureau d'état civil de Salé", "act_number_unique"): 1,
    }
    recon = table(at, "quality.reconciliation")
    assert recon[i18n.t("cols.status", "fr")].tolist() == [i18n.t("quality.reconciled", "fr")]
    assert any(s["mark"]["type"] == "bar" for s in charts(at))


# -------------------------------------------------------------------------------- rollout


def test_rollout_month_filter_changes_the_numbers(app_env: Built) -> None:
    at = open_app("rollout")
    rollout = app_env.frames["ind_rollout"]

    def expect(month: dt.date) -> tuple[str, str]:
        rows = rollout.filter(pl.col("month_start") == month)
        live, total = rows["offices_live"].sum(), rows["offices_total"].sum()
        return i18n.t("rollout.of_total", "fr", live=n(live), total=n(total)), i18n.fmt_percent(rows["events_electronic"].sum() / rows["events"].sum(), "fr")

    assert (metric(at, "rollout.offices_live"), metric(at, "rollout.share_electronic")) == expect(fx.LAST_MONTH)
    month = dt.date(2019, 6, 1)
    at.select_slider(key="rollout.month").set_value(month).run()
    assert (metric(at, "rollout.offices_live"), metric(at, "rollout.share_electronic")) == expect(month)
    assert expect(month) != expect(fx.LAST_MONTH)
    shown = table(at, "rollout.table")
    assert shown[i18n.t("cols.offices_live", "fr")].tolist() == rollout.filter(pl.col("month_start") == month).sort("region_code")["offices_live"].to_list()
    assert len(charts(at)) == 2  # the map and the timeline


def test_rollout_timeline_lists_regions_in_the_order_they_went_live(app_env: Built) -> None:
    at = open_app("rollout")
    rollout = app_env.frames["ind_rollout"]
    first = rollout.filter(pl.col("share_offices_live") > 0).group_by("region_code").agg(pl.col("month_start").min())
    code_of = {fr: code for code, fr, *_ in fx.REGIONS}
    timeline = charts(at)[1]
    assert timeline["mark"]["type"] == "rect"  # one strip per region, not twelve overlapping lines
    shown = timeline["encoding"]["y"]["sort"]
    assert [code_of[name] for name in shown] == first.sort(["month_start", "region_code"])["region_code"].to_list()
    assert shown != sorted(shown)  # not the alphabetical order a plain nominal axis would give


def test_rollout_order_puts_the_pilot_first_and_never_live_regions_last() -> None:
    from dashboards.views.rollout.rollout import rollout_order

    frame = pl.DataFrame({
        "region_name": ["Béni Mellal", "Béni Mellal", "Rabat", "Rabat", "Oriental", "Oriental", "Souss", "Souss"],
        "month_start": [dt.date(2019, 1, 1), dt.date(2019, 2, 1)] * 4,
        "share": [0.0, 0.1, 0.05, 1.0, 0.0, 0.0, 0.0, 0.9],
    })
    # Rabat starts first; Béni Mellal and Souss start together, Souss reaches half first; Oriental never
    assert rollout_order(frame, "share") == ["Rabat", "Souss", "Béni Mellal", "Oriental"]


# ------------------------------------------------------------------------------- datasets


def test_datasets_page_lists_the_catalog_for_the_viewer() -> None:
    from datasets.catalog import DATASETS

    at = open_app("datasets")
    shown = table(at, "datasets.catalog")
    names = shown[i18n.t("cols.dataset_name", "fr")].tolist()
    expected = [d.name for d in DATASETS.values() if d.disclosure != "identified"]  # analysts never see those
    assert names == expected and expected
    assert set(shown[i18n.t("cols.latest_release", "fr")]) == {"–"}  # nothing released in this DATA_DIR
    at_ar = open_app("datasets", "ar")
    titles = table(at_ar, "datasets.catalog")[i18n.t("cols.dataset", "ar")].tolist()
    assert titles == [DATASETS[n].title_ar for n in expected]
