"""Rollout of the electronic registry: offices live and share of events captured electronically.

One month is picked with a slider for the map and the table; the timeline shows every month
for every region so the pilot (Rabat, 2018) and the region-by-region waves are visible at once.
"""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.ui import t

MEASURES = {"share_offices_live": "pct", "share_electronic": "pct"}


def rollout_order(frame: pl.DataFrame, measure: str) -> list[str]:
    """Region names in the order they went live: first month with any coverage, then the
    month they reached half, then name (regions never live come last)."""
    firsts = frame.group_by("region_name").agg(
        started=pl.col("month_start").filter(pl.col(measure) > 0).min(),
        half=pl.col("month_start").filter(pl.col(measure) >= 0.5).min(),
    )
    return firsts.sort(["started", "half", "region_name"], nulls_last=True)["region_name"].to_list()


def timeline(frame: pl.DataFrame, measure: str) -> alt.Chart:
    """One row per region, one cell per month, shaded by the measure: twelve overlapping step
    lines could not be told apart, a strip per region reads as the waves of the rollout."""
    order = rollout_order(frame, measure)
    return (
        alt.Chart(ui.to_pandas(frame.select("month_start", "region_name", measure)))
        .mark_rect()
        .encode(
            x=alt.X("yearmonth(month_start):T", axis=ui.month_axis()),
            y=alt.Y("region_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            color=alt.Color(f"{measure}:Q", title=t(f"rollout.{measure}"), scale=alt.Scale(domain=[0, 1], range=["#eeeeee", "#08519c"]),
                            legend=alt.Legend(format="%", orient="bottom", gradientLength=240)),
            tooltip=[alt.Tooltip("region_name:N", title=t("cols.region")),
                     alt.Tooltip("yearmonth(month_start):T", title=t("cols.month"), format="%B %Y"),
                     alt.Tooltip(f"{measure}:Q", title=t(f"rollout.{measure}"), format=".1%")],
        )
        .properties(height=alt.Step(24))
    )


def render() -> None:
    ui.viewer()
    st.title(t("rollout.title"))
    with ui.when_available():
        frame = data.rollout()
        if frame.height == 0:
            st.info(t("common.no_rows"))
            return
        regions = data.regions()
        names = dict(zip(regions["region_code"], regions[ui.name_column("region_name")], strict=False))
        frame = frame.with_columns(region_name=pl.col("region_code").replace_strict(names, default=pl.col("region_code")))
        months = frame["month_start"].unique().sort().to_list()
        c1, c2 = st.columns([3, 2])
        with c1:
            if "rollout.month" in st.session_state and st.session_state["rollout.month"] not in months:
                del st.session_state["rollout.month"]
            month = st.select_slider(t("rollout.month"), options=months, value=months[-1], key="rollout.month", format_func=ui.month_format())
        with c2:
            measure = str(st.radio(t("rollout.measure"), list(MEASURES), key="rollout.measure",
                                   format_func=ui.text_format(lambda m: f"rollout.{m}"), horizontal=True))

        current = frame.filter(pl.col("month_start") == month)
        totals = current.select(pl.col("offices_total", "offices_live", "events", "events_electronic").sum())
        live, total = int(totals.item(0, "offices_live") or 0), int(totals.item(0, "offices_total") or 0)
        events, electronic = int(totals.item(0, "events") or 0), int(totals.item(0, "events_electronic") or 0)
        c = st.columns(3)
        c[0].metric(t("rollout.offices_live"), t("rollout.of_total", live=ui.n(live), total=ui.n(total)))
        c[1].metric(t("rollout.share_offices_live"), ui.pct(live / total if total else None))
        c[2].metric(t("rollout.share_electronic"), ui.pct(electronic / events if events else None))

        st.subheader(t("rollout.map_heading", month=ui.month(month)))
        ui.region_map(current.select("region_code", measure), measure, f"rollout.{measure}", MEASURES[measure], key="rollout.map")

        st.subheader(t("rollout.timeline_heading"))
        st.caption(t("rollout.timeline_help"))
        ui.show_chart(timeline(frame, measure), "rollout.timeline")

        st.subheader(t("rollout.table_heading", month=ui.month(month)))
        ui.table(
            current.sort("region_code"),
            [
                ("region_name", "cols.region", "text"),
                ("offices_live", "cols.offices_live", "int"),
                ("offices_total", "cols.offices_total", "int"),
                ("share_offices_live", "cols.share_offices_live", "pct"),
                ("events", "cols.events", "int"),
                ("events_electronic", "cols.events_electronic", "int"),
                ("share_electronic", "cols.share_electronic", "pct"),
            ],
            key="rollout.table",
            download_name="rollout",
        )


render()
