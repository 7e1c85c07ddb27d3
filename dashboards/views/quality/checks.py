"""Data quality: the latest check results by severity, their trend, quarantined rows, reconciliation.

The quality runner owns ``quality_results`` and ``quarantine`` (published with the marts). Their
exact columns were not in docs/contracts.md when this page was written, so it reads the columns
it needs under their usual names (listed in ``CANDIDATES`` and in docs/dashboards.md) and says
which one is missing instead of failing.
"""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.ui import t

CANDIDATES: dict[str, tuple[str, ...]] = {
    "time": ("checked_at", "run_at", "validated_at", "evaluated_at", "created_at", "run_started_at"),
    "run": ("run_id", "validation_run_id", "checkpoint_run_id"),
    "severity": ("severity", "level"),
    "success": ("success", "passed", "is_success", "ok", "status"),
    "check": ("expectation", "check_name", "expectation_type", "check", "name"),
    "rule": ("rule", "check_name", "rule_name", "reason"),
    "suite": ("suite",),
    "column": ("column_name",),
    "table": ("model", "table_name", "asset", "data_asset", "dataset", "relation"),
    "observed": ("observed_value", "unexpected_count", "failed_rows", "observed"),
}
SEVERITY_ORDER = ("error", "critical", "warn", "warning", "info")
RECONCILIATION_TABLES = ("quality_reconciliation", "quality_reconciliations")
TOP_OFFICES = 50


def pick(columns: tuple[str, ...] | list[str], role: str) -> str | None:
    return next((c for c in CANDIDATES[role] if c in columns), None)


def verdict(frame: pl.DataFrame, column: str) -> pl.Expr:
    """True (passed), False (failed) or null (skipped), from a bool or a status word."""
    if frame.schema[column] == pl.Boolean:
        return pl.col(column)
    text = pl.col(column).cast(pl.String).str.to_lowercase()
    return pl.when(text.is_in(["pass", "passed", "success", "ok", "true"])).then(True).when(
        text.is_in(["fail", "failed", "failure", "false", "error"])).then(False).otherwise(None)


def latest_results(results: pl.DataFrame) -> None:
    """The newest verdict of every check (suites run at different times), then counts by severity."""
    cols = results.columns
    time_col, sev_col, ok_col = pick(cols, "time"), pick(cols, "severity"), pick(cols, "success")
    if not (time_col and sev_col and ok_col):
        st.warning(t("common.missing_columns", table="quality_results(checked_at, severity, success)"))
        return
    frame = results.with_columns(ok=verdict(results, ok_col), severity_code=pl.col(sev_col).cast(pl.String).str.to_lowercase())
    identity = [c for c in (pick(cols, "suite"), pick(cols, "table"), pick(cols, "check"), pick(cols, "rule"), pick(cols, "column")) if c]
    latest = frame.sort(time_col).group_by(identity or ["severity_code"], maintain_order=True).last() if identity else frame
    st.subheader(t("quality.latest_heading"))
    st.caption(t("quality.latest_when", when=ui.i18n.fmt_datetime(latest[time_col].max(), ui.lang()), n=ui.n(latest.height)))
    summary = (
        latest.group_by("severity_code")
        .agg(checks=pl.len(), failed=(pl.col("ok") == False).sum())  # noqa: E712 - null (skipped) is not a failure
        .with_columns(rank=pl.col("severity_code").replace_strict({s: i for i, s in enumerate(SEVERITY_ORDER)}, default=99, return_dtype=pl.Int64))
        .sort(["rank", "severity_code"])
    )
    c = st.columns(max(1, summary.height))
    for i, row in enumerate(summary.iter_rows(named=True)):
        c[i].metric(ui.label("severity", row["severity_code"]), ui.n(row["failed"]), help=t("quality.failed_of", n=ui.n(row["checks"])))
    failing = latest.filter(pl.col("ok") == False).with_columns(  # noqa: E712
        severity_label=ui.labelled("severity_code", "severity")
    )
    if failing.height == 0:
        st.success(t("quality.all_passed"))
    else:
        columns = [("severity_label", "cols.severity", "text")]
        rule_col = pick(cols, "rule")
        if rule_col:  # what the rule checks, in words, first; the technical names after
            failing = failing.with_columns(rule_label=ui.labelled(rule_col, "rule"))
            columns.append(("rule_label", "cols.rule_meaning", "text"))
        if table_col := pick(cols, "table"):
            columns.append((table_col, "cols.table", "text"))
        if rule_col:
            columns.append((rule_col, "cols.rule", "text"))
        if check_col := pick(cols, "check"):
            columns.append((check_col, "cols.check", "text"))
        if observed := pick(cols, "observed"):
            columns.append((observed, "cols.observed", "text"))
        ui.table(failing, columns, key="quality.failing", download_name="quality_failing")

    st.subheader(t("quality.trend_heading"))
    per_day = (
        frame.with_columns(day=pl.col(time_col).cast(pl.Datetime).dt.date())
        .group_by(["day", "severity_code"])
        .agg(failed=(pl.col("ok") == False).sum())  # noqa: E712
        .with_columns(severity_label=ui.labelled("severity_code", "severity"))
        .sort("day")
    )
    chart = (
        alt.Chart(ui.to_pandas(per_day))
        .mark_bar()
        .encode(
            x=alt.X("day:T", axis=alt.Axis(format="%e %b", labelAngle=0, title=None, tickCount="day")),
            y=alt.Y("failed:Q", title=t("quality.failed_checks")),
            color=alt.Color("severity_label:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("day:T", title=t("cols.day"), format="%e %B %Y"), alt.Tooltip("severity_label:N", title=t("cols.severity")),
                     alt.Tooltip("failed:Q", title=t("quality.failed_checks"))],
        )
        .properties(height=220)
    )
    ui.show_chart(chart, "quality.trend")


def quarantine_block(offices: list[str] | None, office_names: dict[str, str]) -> None:
    """Totals by rule, and the offices with the most quarantined rows (bounded: the table is big)."""
    st.subheader(t("quality.quarantine_heading"))
    with ui.when_available():
        counts = data.quarantine_counts(offices)
        total = int(counts["rows"].sum() or 0)
        st.metric(t("quality.quarantined_rows"), ui.n(total))
        if total == 0:
            st.success(t("quality.quarantine_empty"))
            return
        by_rule = (counts.group_by("rule").agg(pl.col("rows").sum()).sort(["rows", "rule"], descending=[True, False])
                   .with_columns(rule_label=ui.labelled("rule", "rule")))
        by_office = (
            counts.filter(pl.col("office_code").is_not_null())
            .with_columns(office_name=pl.col("office_code").replace_strict(office_names, default=pl.col("office_code")))
            .head(TOP_OFFICES)
        )
        c1, c2 = st.columns(2)
        with c1:
            ui.table(by_rule, [("rule", "cols.rule", "text"), ("rule_label", "cols.rule_meaning", "text"), ("rows", "cols.rows", "int")],
                     key="quality.quarantine",
                     download_name="quarantine_by_rule")
        with c2:
            st.caption(t("quality.top_offices", n=ui.n(TOP_OFFICES)))
            ui.table(by_office, [("office_name", "cols.office", "text"), ("rule", "cols.rule", "text"), ("rows", "cols.rows", "int")],
                     key="quality.quarantine_offices", download_name="quarantine_by_office_rule")


def reconciliation_block(results: pl.DataFrame | None) -> None:
    st.subheader(t("quality.reconciliation_heading"))
    for name in RECONCILIATION_TABLES:
        if data.has(name):
            # the runner's own reconciliation table, shown as published (its headers are data)
            with st.container(key=ui.table_key("quality.reconciliation")):
                st.dataframe(data.table(name).to_pandas(), hide_index=True)
            return
    if results is not None:
        cols = results.columns
        ok_col, time_col = pick(cols, "success"), pick(cols, "time")
        names = [c for c in (pick(cols, "suite"), pick(cols, "check"), pick(cols, "rule")) if c]
        if ok_col and time_col and names:
            is_recon = pl.any_horizontal([pl.col(c).cast(pl.String).str.contains("(?i)reconcil") for c in names])
            recon = results.filter(is_recon)
            if recon.height:
                last = (recon.sort(time_col).group_by(names, maintain_order=True).last()
                        .with_columns(ok=verdict(recon, ok_col)))
                last = last.with_columns(state=pl.when(pl.col("ok")).then(pl.lit(t("quality.reconciled")))
                                         .when(pl.col("ok") == False).then(pl.lit(t("quality.not_reconciled")))  # noqa: E712
                                         .otherwise(pl.lit(t("quality.skipped"))))
                label_col = names[-1] if len(names) > 1 else names[0]
                last = last.with_columns(rule_label=ui.labelled(label_col, "rule"))
                ui.table(last, [(names[0], "cols.check", "text"), (label_col, "cols.rule", "text"),
                                ("rule_label", "cols.rule_meaning", "text"), ("state", "cols.status", "text"),
                                (time_col, "cols.checked_at", "datetime")], key="quality.reconciliation")
                return
    st.info(t("quality.no_reconciliation"))


def render() -> None:
    who = ui.viewer()
    st.title(t("quality.title"))
    results: pl.DataFrame | None = None
    with ui.when_available():
        results = data.table("quality_results")
        if results.height == 0:
            st.info(t("common.no_rows"))
        else:
            latest_results(results)
    offices: list[str] | None = None
    office_names: dict[str, str] = {}
    with ui.when_available():
        geo = data.geography()
        office_names = dict(zip(geo["office_code"], geo[ui.name_column("office_name")], strict=False))
        if who.office_filter() is not None:
            offices = ui.scope_offices(geo, who)["office_code"].to_list()
    quarantine_block(offices, office_names)
    reconciliation_block(results)


render()
