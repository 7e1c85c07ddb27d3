"""Demographic indicators for ministry analysts: counts, rates, timeliness and completeness.

Filters (period, regions, sex) apply to every block; each table is downloadable exactly as
shown. Region names come from the marts in the chosen script. Rates over several regions or
months are recomputed from counts (``dashboards.measures``), never averaged.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, measures, ui
from dashboards.ui import t

SEXES = ("all", "M", "F")
MAP_MEASURES = {
    "births": "int",
    "deaths": "int",
    "crude_birth_rate": "dec1",
    "crude_death_rate": "dec1",
    "infant_deaths_per_1000_births": "dec1",
    "marriages": "int",
    "divorces": "int",
}


def default_period(months: list[dt.date], as_of: dt.date | None) -> tuple[dt.date, dt.date]:
    """The last 12 published months ending with the last *whole* month before the as-of date.

    The month holding the as-of date is only partly observed, so by default the period stops
    before it (as statistical releases do); it stays one slider step away.
    """
    whole = [m for m in months if as_of is None or m < as_of.replace(day=1)] or months
    end = len(whole) - 1
    return months[max(0, end - 11)], months[end]


def filters(as_of: dt.date | None) -> tuple[dt.date, dt.date, list[str], str, dict[str, str]]:
    months = data.vital_months()["month_start"].to_list()
    regions = data.regions()
    names = dict(zip(regions["region_code"], regions[ui.name_column("region_name")], strict=False))
    c1, c2, c3 = st.columns([2, 2, 1])
    with c1:
        default = default_period(months, as_of)
        current = st.session_state.get("indicators.period")
        if current is not None and not (isinstance(current, tuple | list) and len(current) == 2 and all(v in months for v in current)):
            del st.session_state["indicators.period"]  # a stale range (new months published): back to the default
        start, end = st.select_slider(t("indicators.period"), options=months, value=default, key="indicators.period",
                                      format_func=ui.month_format())
    with c2:
        chosen = st.multiselect(t("indicators.regions"), options=list(names), key="indicators.regions",
                                format_func=lambda code: names.get(code, code), placeholder=t("indicators.all_regions"))
    with c3:
        sex = st.radio(t("indicators.sex"), SEXES, key="indicators.sex", format_func=ui.label_format("sex"), horizontal=True)
    return start, end, (list(chosen) or list(names)), str(sex), names


def headline(summary: dict[str, object]) -> None:
    c = st.columns(4)
    c[0].metric(t("indicators.births"), ui.n(summary["births"]))  # type: ignore[arg-type]
    c[1].metric(t("indicators.deaths"), ui.n(summary["deaths"]))  # type: ignore[arg-type]
    c[2].metric(t("indicators.marriages"), ui.n(summary["marriages"]))  # type: ignore[arg-type]
    c[3].metric(t("indicators.divorces"), ui.n(summary["divorces"]))  # type: ignore[arg-type]
    c = st.columns(5)
    c[0].metric(t("indicators.crude_birth_rate"), ui.dec(summary["crude_birth_rate"]))  # type: ignore[arg-type]
    c[1].metric(t("indicators.crude_death_rate"), ui.dec(summary["crude_death_rate"]))  # type: ignore[arg-type]
    c[2].metric(t("indicators.sex_ratio_at_birth"), ui.dec(summary["sex_ratio_at_birth"]))  # type: ignore[arg-type]
    c[3].metric(t("indicators.mean_mother_age"), ui.dec(summary["mean_mother_age"]))  # type: ignore[arg-type]
    c[4].metric(t("indicators.infant_deaths_per_1000"), ui.dec(summary["infant_deaths_per_1000_births"]))  # type: ignore[arg-type]


def provisional_band(monthly: pl.DataFrame) -> list[alt.Chart]:
    """A shaded band behind the months still open for declarations, labelled "provisional"."""
    months = monthly.filter(pl.col("provisional"))["month_start"]
    if months.len() == 0:
        return []
    half = dt.timedelta(days=15)
    band = pl.DataFrame({"start": [months.min() - half], "end": [months.max() + half], "label": [t("indicators.provisional")]})
    frame = ui.to_pandas(band)
    rect = alt.Chart(frame).mark_rect(color="#9e9e9e", opacity=0.15).encode(x="start:T", x2="end:T")
    # the label sits just above the plot, over the band, where no series line can run through it
    text = alt.Chart(frame).mark_text(align="left", baseline="bottom", dx=2, dy=-3, color="#616161").encode(
        x="start:T", y=alt.value(0), text="label:N")
    return [rect, text]


SERIES_COLORS = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b"]  # births, deaths, marriages, divorces (Tableau 10)


def series(monthly: pl.DataFrame, as_of: dt.date | None) -> None:
    st.subheader(t("indicators.series_heading"))
    long = (
        monthly.select("month_start", *measures.COUNTS)
        .unpivot(index="month_start", variable_name="measure", value_name="value")
        .with_columns(measure_label=pl.col("measure").replace_strict({m: t(f"indicators.{m}") for m in measures.COUNTS}))
    )
    chart = (
        alt.Chart(ui.to_pandas(long))
        .mark_line(point=True)
        .encode(
            x=alt.X("month_start:T", axis=ui.month_axis()),
            y=alt.Y("value:Q", title=None),
            # the headline's order and four distinct hues (the theme's default gave two pairs of
            # near-identical reds and blues, listed alphabetically)
            color=alt.Color("measure_label:N", title=None, legend=alt.Legend(orient="top"),
                            sort=[t(f"indicators.{m}") for m in measures.COUNTS],
                            scale=alt.Scale(domain=[t(f"indicators.{m}") for m in measures.COUNTS], range=SERIES_COLORS)),
            tooltip=[alt.Tooltip("month_start:T", title=t("cols.month"), format="%B %Y"),
                     alt.Tooltip("measure_label:N", title=t("cols.measure")), alt.Tooltip("value:Q", title=t("cols.value"), format=",d")],
        )
        .properties(height=280)
    )
    band = provisional_band(monthly)
    ui.show_chart(alt.layer(*band, chart) if band else chart, "indicators.series")
    if band and as_of is not None:
        st.caption(t("indicators.provisional_note", month=ui.month(measures.provisional_from(as_of)),
                     days=ui.n(measures.declaration_days()), as_of=ui.date(as_of)))
    columns = [("month_start", "cols.month", "month")]
    for c in measures.COUNTS:
        columns += [(c, f"cols.{c}", "int"), (f"{c}_yoy", f"cols.{c}_yoy", "signed_pct")]
    columns.append(("status", "cols.data_status", "text"))
    status = pl.when(pl.col("provisional")).then(pl.lit(t("indicators.provisional"))).otherwise(pl.lit(t("indicators.final")))
    ui.table(monthly.with_columns(status=status), columns, key="indicators.monthly", download_name="vital_monthly_yoy")


def region_table(current: pl.DataFrame, sex: str) -> None:
    st.subheader(t("indicators.table_heading"))
    frame = measures.counts_for_sex(current, sex).with_columns(pl.col(ui.name_column("region_name")).alias("region_name"))
    columns = [
        ("region_name", "cols.region", "text"),
        ("month_start", "cols.month", "month"),
        ("births", "cols.births", "int"),
        ("deaths", "cols.deaths", "int"),
        ("marriages", "cols.marriages", "int"),
        ("divorces", "cols.divorces", "int"),
    ]
    if sex == "all":
        columns += [
            ("crude_birth_rate", "cols.crude_birth_rate", "dec1"),
            ("crude_death_rate", "cols.crude_death_rate", "dec1"),
            ("sex_ratio_at_birth", "cols.sex_ratio_at_birth", "dec1"),
            ("mean_mother_age", "cols.mean_mother_age", "dec1"),
            ("infant_deaths_per_1000_births", "cols.infant_deaths_per_1000", "dec1"),
        ]
    else:
        st.caption(t("indicators.rates_need_both_sexes"))
    ui.table(frame.sort(["month_start", "region_code"]), columns, key="indicators.regions_months", download_name="vital_region_month")


def region_map(current: pl.DataFrame, sex: str, as_of: dt.date | None) -> None:
    st.subheader(t("indicators.map_heading"))
    options = [m for m in MAP_MEASURES if sex == "all" or MAP_MEASURES[m] == "int"]
    if st.session_state.get("indicators.map_measure") not in options:
        st.session_state["indicators.map_measure"] = options[0]
    measure = st.selectbox(t("indicators.map_measure"), options, key="indicators.map_measure",
                           format_func=ui.text_format(lambda m: f"indicators.{m}" if m != "infant_deaths_per_1000_births"
                                                      else "indicators.infant_deaths_per_1000"))
    per_region = measures.by_region(current, sex, as_of)
    title_key = f"indicators.{measure}" if measure != "infant_deaths_per_1000_births" else "indicators.infant_deaths_per_1000"
    ui.region_map(per_region, measure, title_key, MAP_MEASURES[measure], key="indicators.map")


def timeliness_block(regions: list[str], start: dt.date, end: dt.date) -> None:
    st.subheader(t("indicators.timeliness_heading"))
    with ui.when_available():
        frame = measures.timeliness_shares(data.timeliness(regions, start, end))
        if frame.height == 0:
            st.info(t("common.no_rows"))
            return
        frame = frame.with_columns(event_label=ui.labelled("event_type", "event_type"))
        # what moves is the part registered after the deadline (a few per cent): the charts show
        # the late and delayed shares stacked, on their own scale, one per event type side by side
        late = ("late", "delayed")
        long = frame.unpivot(index=["registration_month", "event_type"], on=[f"share_{c}" for c in late],
                             variable_name="class", value_name="share").with_columns(
            pl.col("class").str.strip_prefix("share_"),
        ).with_columns(
            class_label=ui.labelled("class", "timeliness"),
            order=pl.col("class").replace_strict({c: i for i, c in enumerate(late)}, return_dtype=pl.Int32),
        )
        st.caption(t("indicators.timeliness_chart_help"))
        events = sorted(long["event_type"].unique().to_list())
        for column, event in zip(st.columns(len(events)), events, strict=True):
            chart = (
                alt.Chart(ui.to_pandas(long.filter(pl.col("event_type") == event)))
                .mark_area()
                .encode(
                    x=alt.X("registration_month:T", axis=ui.month_axis()),
                    y=alt.Y("share:Q", stack="zero", title=None, axis=alt.Axis(format="%")),
                    color=alt.Color("class_label:N", title=None, sort=[ui.label("timeliness", c) for c in late],
                                    scale=alt.Scale(range=["#f9a825", "#c62828"]), legend=alt.Legend(orient="top")),
                    order=alt.Order("order:Q"),
                    tooltip=[alt.Tooltip("registration_month:T", title=t("cols.registration_month"), format="%B %Y"),
                             alt.Tooltip("class_label:N", title=t("cols.timeliness")),
                             alt.Tooltip("share:Q", title=t("cols.share"), format=".1%")],
                )
                .properties(height=200)
            )
            with column:
                st.markdown(f"**{ui.label('event_type', event)}**")
                ui.show_chart(chart, f"indicators.timeliness.{event}")
        ui.table(
            frame,
            [
                ("registration_month", "cols.registration_month", "month"),
                ("event_label", "cols.event_type", "text"),
                ("registrations", "cols.registrations", "int"),
                ("share_on_time", "cols.share_on_time", "pct"),
                ("share_late", "cols.share_late", "pct"),
                ("share_delayed", "cols.share_delayed", "pct"),
            ],
            key="indicators.timeliness",
            download_name="timeliness",
        )


def completeness_block(regions: list[str], start: dt.date, end: dt.date, sex: str) -> None:
    st.subheader(t("indicators.completeness_heading"))
    st.caption(t("indicators.completeness_help"))
    with ui.when_available():
        sexes = ["M", "F"] if sex == "all" else [sex]
        frame = measures.completeness_rates(data.completeness(regions, start.year, end.year, sexes))
        if frame.height == 0:
            st.info(t("common.no_rows"))
            return
        frame = frame.with_columns(event_label=ui.labelled("event_type", "event_type"))
        ui.table(
            frame,
            [
                ("year", "cols.year", "text"),
                ("event_label", "cols.event_type", "text"),
                ("expected", "cols.expected", "int"),
                ("completeness_deadline", "cols.completeness_deadline", "pct"),
                ("completeness_1y", "cols.completeness_1y", "pct"),
                ("completeness_5y", "cols.completeness_5y", "pct"),
            ],
            key="indicators.completeness",
            download_name="completeness",
        )


def render() -> None:
    ui.viewer()
    st.title(t("indicators.title"))
    with ui.when_available():
        as_of = data.freshness()["as_of"]
        as_of = as_of.date() if as_of is not None else None
        start, end, regions, sex, _names = filters(as_of)
        frame = data.vital(regions, measures.shift_months(start, -12), end)
        current = frame.filter(pl.col("month_start").is_between(start, end))
        st.caption(t("indicators.selection", start=ui.month(start), end=ui.month(end), n=ui.n(len(regions)), sex=ui.label("sex", sex)))
        headline(measures.summarize(current, sex, as_of))
        region_map(current, sex, as_of)
        series(measures.monthly_with_yoy(frame, sex, start, end, as_of), as_of)
        region_table(current, sex)
        timeliness_block(regions, start, end)
        completeness_block(regions, start, end, sex)


render()
