"""Office monitor: today's work of one office (or a whole province), for supervisors.

Everything is "as of" the newest day the published office indicators cover (shown at the top),
so today, this week, the backlog and the days left before each legal deadline all refer to the
same day even when the last pipeline run was a while ago. The body is a fragment that reruns
every 30 seconds; with the 30 s query cache keyed by the published version, a new publish shows
up within one refresh.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.ui import t

REFRESH_SECONDS = 30
TREND_DAYS = 90
DELAY_WINDOW_DAYS = 30
SOON_DAYS = 3
WHOLE_PROVINCE = "*"
CONSULATES = "CON"  # consular offices have no Moroccan region or province: grouped under one entry
PENDING_SHOWN = 200
BUSIEST_DAYS = 7  # a national viewer opens on the province with the most acts over these days


def choose(key: str, options: list[str], labels: dict[str, str], title: str, default: str | None = None) -> str:
    """A select box that falls back to ``default`` (else the first option) when there is no valid choice."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]
    return str(st.selectbox(title, options, key=key, format_func=lambda code: labels.get(code, code)))


def with_consulates(geo: pl.DataFrame) -> pl.DataFrame:
    """Offices without a region (consulates) under one pseudo region and province, named per language."""
    name = t("monitor.consulates")
    fill = {c: pl.col(c).fill_null(CONSULATES) for c in ("region_code", "province_code")}
    fill.update({c: pl.col(c).fill_null(name) for c in (ui.name_column("region_name"), ui.name_column("province_name"))})
    return geo.with_columns(**fill)


def select_offices(geo: pl.DataFrame) -> tuple[list[str], list[str], str, str]:
    """Region → province → office (or the whole province). Returns (chosen offices, province offices, province, office).

    A viewer who sees several provinces opens on the busiest one of the last week (the most
    acts registered), where supervision matters most, rather than on the first by code.
    """
    geo = with_consulates(geo)
    busiest = data.busiest_province(BUSIEST_DAYS) if geo["province_code"].n_unique() > 1 else None
    region_default, province_default = busiest or (None, None)
    region_names = dict(zip(geo["region_code"], geo[ui.name_column("region_name")], strict=False))
    c1, c2, c3 = st.columns(3)
    with c1:
        region = choose("monitor.region", sorted(region_names), region_names, t("monitor.region"), region_default)
    in_region = geo.filter(pl.col("region_code") == region)
    province_names = dict(zip(in_region["province_code"], in_region[ui.name_column("province_name")], strict=False))
    with c2:
        province = choose("monitor.province", sorted(province_names), province_names, t("monitor.province"), province_default)
    in_province = in_region.filter(pl.col("province_code") == province)
    office_names = {WHOLE_PROVINCE: t("monitor.whole_province")}
    office_names.update(dict(zip(in_province["office_code"], in_province[ui.name_column("office_name")], strict=False)))
    office_options = sorted(office_names, key=lambda code: (code != WHOLE_PROVINCE, code))
    if in_province.height == 1:  # an officer: their own office only
        office_options = [c for c in office_options if c != WHOLE_PROVINCE]
    with c3:
        office = choose("monitor.office", office_options, office_names, t("monitor.office"))
    if busiest is not None and province == province_default:  # say why this province, not the first one
        st.caption(t("monitor.busiest_province", province=province_names[province], days=BUSIEST_DAYS))
    province_offices = in_province["office_code"].to_list()
    chosen = province_offices if office == WHOLE_PROVINCE else [office]
    return chosen, province_offices, province, office


def kpis(totals: pl.DataFrame, day: dt.date, week_start: dt.date, delay: pl.DataFrame) -> None:
    today = totals.filter(pl.col("day") == day)
    week = totals.filter(pl.col("day").is_between(week_start, day))

    def total(frame: pl.DataFrame, column: str) -> int:
        return int(frame[column].sum() or 0)

    st.subheader(t("monitor.acts_heading"))
    c = st.columns(6)
    c[0].metric(t("monitor.births_today"), ui.n(total(today, "births_registered")))
    c[1].metric(t("monitor.deaths_today"), ui.n(total(today, "deaths_registered")))
    c[2].metric(t("monitor.acts_today"), ui.n(total(today, "acts_registered")))
    c[3].metric(t("monitor.births_week"), ui.n(total(week, "births_registered")))
    c[4].metric(t("monitor.deaths_week"), ui.n(total(week, "deaths_registered")))
    c[5].metric(t("monitor.acts_week"), ui.n(total(week, "acts_registered")))

    st.subheader(t("monitor.work_heading"))
    c = st.columns(6)
    c[0].metric(t("monitor.backlog"), ui.n(total(today, "backlog_end_of_day")))
    c[1].metric(t("monitor.notifications_waiting"), ui.n(total(today, "notifications_waiting")))
    c[2].metric(t("monitor.documents_today"), ui.n(total(today, "documents_issued")))
    c[3].metric(t("monitor.documents_week"), ui.n(total(week, "documents_issued")))
    registered = int(delay.item(0, "registered") or 0) if delay.height else 0
    p50 = delay.item(0, "p50") if registered else None
    p90 = delay.item(0, "p90") if registered else None
    c[4].metric(t("monitor.p50_days"), ui.dec(p50), help=t("monitor.delay_help", days=DELAY_WINDOW_DAYS, n=ui.n(registered)))
    c[5].metric(t("monitor.p90_days"), ui.dec(p90), help=t("monitor.delay_help", days=DELAY_WINDOW_DAYS, n=ui.n(registered)))


def pending_section(pending: pl.DataFrame, chosen: list[str], day: dt.date, office_names: dict[str, str], show_ids: bool) -> None:
    st.subheader(t("monitor.pending_heading"))
    rows = pending.filter(pl.col("office_code").is_in(chosen)).with_columns(
        days_left=(pl.col("deadline_date") - pl.lit(day)).dt.total_days().cast(pl.Int64),
        office_name=pl.col("office_code").replace_strict(office_names, default=pl.col("office_code")),
        event_label=ui.labelled("event_type", "event_type"),
        status_label=ui.labelled("status", "declaration_status"),
    ).sort(["days_left", "submitted_date", "declaration_id"])
    overdue = rows.filter(pl.col("days_left") < 0)
    soon = rows.filter(pl.col("days_left").is_between(0, SOON_DAYS))
    c = st.columns(3)
    c[0].metric(t("monitor.pending_total"), ui.n(rows.height))
    c[1].metric(t("monitor.pending_overdue"), ui.n(overdue.height))
    c[2].metric(t("monitor.pending_soon", days=SOON_DAYS), ui.n(soon.height))
    if rows.height == 0:
        st.success(t("monitor.no_pending"))
        return
    # what the colours and the order mean comes first; the office only when several are shown
    # (long names pushed the days left out of sight on a laptop screen)
    columns = [("days_left", "cols.days_left", "int"), ("deadline_date", "cols.deadline_date", "date")]
    columns += [("tracking_number", "cols.tracking_number", "text")] if show_ids else []
    columns += [
        ("event_label", "cols.event_type", "text"),
        ("status_label", "cols.status", "text"),
        ("submitted_date", "cols.submitted_date", "date"),
    ]
    columns += [("office_name", "cols.office", "text")] if len(chosen) > 1 else []
    if soon.height:
        st.warning(t("monitor.soon_heading", days=SOON_DAYS, n=ui.n(soon.height)))
        ui.table(soon, columns, key="monitor.soon")
    st.caption(t("monitor.pending_legend"))
    if rows.height > PENDING_SHOWN:  # the most urgent first; a whole big province can have thousands
        st.caption(t("monitor.pending_truncated", shown=ui.n(PENDING_SHOWN), n=ui.n(rows.height)))
        rows = rows.head(PENDING_SHOWN)
    colors = [ui.COLOR_OVERDUE if d < 0 else ui.COLOR_SOON if d <= SOON_DAYS else None for d in rows["days_left"]]
    ui.table(rows, columns, key="monitor.pending", row_colors=colors, height=min(38 + 35 * rows.height, 420))


def backlog_chart(totals: pl.DataFrame) -> None:
    st.subheader(t("monitor.backlog_heading"))
    frame = ui.to_pandas(totals.select("day", "backlog_end_of_day", "declarations_received", "declarations_registered"))
    backlog = t("monitor.backlog")
    chart = (
        alt.Chart(frame)
        .mark_area(line=True, opacity=0.25)
        .encode(
            x=alt.X("day:T", axis=ui.date_axis()),
            y=alt.Y("backlog_end_of_day:Q", title=backlog),
            tooltip=[alt.Tooltip("day:T", title=t("cols.day"), format="%e %B %Y"), alt.Tooltip("backlog_end_of_day:Q", title=backlog, format=",d")],
        )
        .properties(height=240)
    )
    ui.show_chart(chart, "monitor.backlog")


def comparison(pending: pl.DataFrame, province_offices: list[str], chosen: list[str], week_start: dt.date, day: dt.date,
               office_names: dict[str, str]) -> None:
    """The province's offices side by side: this week's work, what waits, and how well the
    last 30 days' declarations were served (median days to registration, expired unregistered)."""
    st.subheader(t("monitor.comparison_heading"))
    st.caption(t("monitor.comparison_help", days=DELAY_WINDOW_DAYS))
    per_office = data.office_comparison(province_offices, week_start, day, day)
    service = data.registration_delay(province_offices, day - dt.timedelta(days=DELAY_WINDOW_DAYS - 1), day, per_office=True)
    counts = (
        pending.filter(pl.col("office_code").is_in(province_offices))
        .with_columns(overdue=pl.col("deadline_date") < pl.lit(day))
        .group_by("office_code")
        .agg(pending=pl.len(), overdue=pl.col("overdue").sum())
    )
    frame = (
        pl.DataFrame({"office_code": province_offices})
        .join(per_office, on="office_code", how="left")
        .join(counts, on="office_code", how="left")
        .join(service.select("office_code", "p50", "expired"), on="office_code", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("acts_registered", "documents_issued", "notifications_waiting",
                                                         "pending", "overdue", "expired"))
        .with_columns(office_name=pl.col("office_code").replace_strict(office_names, default=pl.col("office_code")))
        .sort(["acts_registered", "office_code"], descending=[True, False])
    )
    colors = [ui.COLOR_SELECTED if code in chosen and len(chosen) == 1 else None for code in frame["office_code"]]
    ui.table(
        frame,
        [
            ("office_name", "cols.office", "text"),
            ("acts_registered", "cols.acts_week", "int"),
            ("documents_issued", "cols.documents_week", "int"),
            ("pending", "cols.pending", "int"),
            ("overdue", "cols.overdue", "int"),
            ("p50", "cols.median_days_window", "dec1"),
            ("expired", "cols.expired_window", "int"),
            ("notifications_waiting", "cols.notifications_waiting", "int"),
        ],
        key="monitor.comparison",
        row_colors=colors,
    )


def render() -> None:
    who = ui.viewer()
    st.title(t("monitor.title"))
    with ui.when_available():
        geo = ui.scope_offices(data.geography(), who)
        if geo.height == 0:
            st.info(t("monitor.no_offices"))
            return
        chosen, province_offices, _province, _office = select_offices(geo)
        office_names = {code: ui.short_office_name(name)  # for the tables: their header says "office"
                        for code, name in zip(geo["office_code"], geo[ui.name_column("office_name")], strict=False)}

        @st.fragment(run_every=REFRESH_SECONDS)
        def body() -> None:
            with ui.when_available():
                _, last_day = data.office_days(province_offices)
                if last_day is None:
                    st.info(t("monitor.no_activity"))
                    return
                day = last_day
                week_start = day - dt.timedelta(days=day.weekday())
                st.caption(t("monitor.as_of_day", day=ui.date(day), week_start=ui.date(week_start), seconds=REFRESH_SECONDS))
                totals = data.office_daily_totals(chosen, day - dt.timedelta(days=TREND_DAYS - 1), day)
                delay = data.registration_delay(chosen, day - dt.timedelta(days=DELAY_WINDOW_DAYS - 1), day)
                pending = data.pending_declarations(province_offices)
                kpis(totals, day, week_start, delay)
                pending_section(pending, chosen, day, office_names, who.sees_identifiers)
                backlog_chart(totals)
                comparison(pending, province_offices, chosen, week_start, day, office_names)

        body()


render()
