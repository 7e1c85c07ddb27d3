"""What every page shares: the session's language and viewer, formatted tables, charts, maps.

Pages stay short and declarative because the language, the right-to-left layout, the scope of
the signed-in viewer, locale formats and the "data not published yet" notices are decided
here, once.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import altair as alt
import pandas as pd
import polars as pl
import streamlit as st

from dashboards import i18n
from dashboards.auth import Viewer, current_viewer
from dashboards.data import DataUnavailable, freshness
from dashboards.geo import region_features

LANG_KEY = "lang"
NO_VALUE = "–"
COLOR_OVERDUE = "#f8d7da"
COLOR_SOON = "#fff3cd"
COLOR_SELECTED = "#dbe9f6"
LEGEND_FORMATS = {"int": ",d", "dec1": ",.1f", "dec2": ",.2f", "pct": ".0%"}  # d3 formats, localised by vega_locale


# --------------------------------------------------------------------------------------------
# language


def init_language() -> str:
    """The session's language: the widget's value, else ``?lang=``, else French.

    Kept in ``st.session_state`` (survives page switches) and mirrored to the ``lang`` query
    parameter (survives a reload and can be shared as a link).
    """
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = i18n.normalize_lang(st.query_params.get(LANG_KEY))
    lang = i18n.normalize_lang(st.session_state[LANG_KEY])
    st.session_state[LANG_KEY] = lang
    return lang


def lang() -> str:
    return i18n.normalize_lang(st.session_state.get(LANG_KEY))


def t(key: str, **values: Any) -> str:
    return i18n.t(key, lang(), **values)


def label(group: str, code: object) -> str:
    return i18n.label(group, code, lang())


def labelled(column: str, group: str) -> pl.Expr:
    """A coded column translated in a polars expression.

    A mapping built here, in the script thread, rather than a Python callback: polars runs
    callbacks on its own threads, where Streamlit's session (and so the language) is not visible.
    """
    return pl.col(column).cast(pl.String).replace_strict(i18n.group(group, lang()), default=pl.col(column).cast(pl.String))


def language_switch() -> None:
    """Sidebar switch; each language is named in its own script so anyone can find theirs."""
    st.sidebar.radio(
        t("app.language"),
        options=list(i18n.LANGS),
        key=LANG_KEY,
        format_func=lambda code: i18n.t("app.language_name", code),
        horizontal=True,
    )
    st.query_params[LANG_KEY] = lang()


def inject_direction() -> None:
    """Right-to-left for Arabic on the whole app; charts and number inputs stay left-to-right.

    Vega canvases and the data grid draw their own layout, so they are pinned to LTR to avoid
    mirrored axes; the surrounding text, metrics, headers and sidebar flow right-to-left.
    """
    if i18n.is_rtl(lang()):
        css = """
        [data-testid="stMain"], [data-testid="stSidebar"], [data-testid="stHeader"] { direction: rtl; }
        [data-testid="stMain"] p, [data-testid="stMain"] h1, [data-testid="stMain"] h2,
        [data-testid="stMain"] h3, [data-testid="stMetric"], [data-testid="stCaptionContainer"],
        [data-testid="stSidebar"] p, [data-testid="stSidebarNav"] { text-align: right; }
        .vega-embed, [data-testid="stDataFrame"], [data-testid="stVegaLiteChart"] { direction: ltr; }
        """
    else:
        css = '[data-testid="stMain"], [data-testid="stSidebar"] { direction: ltr; }'
    st.html(f"<style>{css}</style>")


def name_column(base: str) -> str:
    """``office_name`` → ``office_name_ar`` / ``office_name_fr``: names come from the data."""
    return f"{base}_{lang()}"


# "Bureau d'état civil de l'arrondissement Anfa (Casablanca)" in a column headed "Bureau": the
# kind of office is said by the header, the place is what tells rows apart
_OFFICE_PREFIXES = {
    "fr": ((re.compile(r"^Bureau d'état civil de l'arrondissement "), "Arrondissement "),
           (re.compile(r"^Bureau d'état civil (de |d')"), "")),
    "ar": ((re.compile(r"^مكتب الحالة المدنية ب?مقاطعة "), "مقاطعة "),
           (re.compile(r"^مكتب الحالة المدنية "), "")),
}


def short_office_name(name: str, code: str | None = None) -> str:
    """An office's name without the "civil-status office of" that every row repeats, for
    tables of offices (consulates keep their full name)."""
    for pattern, replacement in _OFFICE_PREFIXES[code or lang()]:
        shorter, n = pattern.subn(replacement, name, count=1)
        if n:
            return shorter
    return name


# --------------------------------------------------------------------------------------------
# viewer and scope


def viewer() -> Viewer:
    found = current_viewer()
    if found is None:  # pages only run once navigation let the viewer in
        st.stop()
    return found


def scope_offices(geo: pl.DataFrame, who: Viewer) -> pl.DataFrame:
    """The offices this viewer may see: supervisors their province, officers their office."""
    restriction = who.office_filter()
    if restriction is None:
        return geo
    column, value = restriction
    return geo.filter(pl.col(column) == value)


# --------------------------------------------------------------------------------------------
# notices


@contextmanager
def when_available() -> Iterator[None]:
    """Turn "not published yet" into a calm, translated notice instead of an exception box."""
    try:
        yield
    except DataUnavailable as exc:
        if exc.reason == "not_published":
            st.info(t("common.not_published"))
        elif exc.reason == "missing_table":
            st.info(t("common.missing_table", table=exc.table or ""))
        else:
            st.warning(t("common.missing_columns", table=exc.table or ""))


def freshness_caption() -> None:
    """``Data as of …`` on every page: the newest landed change and the publish time."""
    try:
        info = freshness()
    except DataUnavailable:
        st.caption(t("common.not_published"))
        return
    as_of = info["as_of"]
    published = info["published_at"]
    if as_of is not None:
        text = t("common.data_as_of", as_of=i18n.fmt_datetime(as_of, lang()), published=i18n.fmt_datetime(published, lang()))
    else:
        text = t("common.published_at", published=i18n.fmt_datetime(published, lang()))
    st.caption(text)
    if info["synthetic_scale"] is not None:  # never let simulated figures pass for official statistics
        st.info(t("common.synthetic", share=pct(float(info["synthetic_scale"]))))


# --------------------------------------------------------------------------------------------
# numbers


def n(value: float | int | None) -> str:
    return i18n.fmt_int(value, lang())


def dec(value: float | None, decimals: int = 1) -> str:
    return i18n.fmt_number(value, lang(), decimals)


def pct(value: float | None, decimals: int = 1) -> str:
    return i18n.fmt_percent(value, lang(), decimals)


def month(value: dt.date | None) -> str:
    return i18n.fmt_month(value, lang())


def date(value: dt.date | None) -> str:
    return i18n.fmt_date(value, lang())


# Widget ``format_func``s with the language bound when the widget is created: Streamlit may call
# them outside the script run (AppTest computes a widget's state in the test's own thread), where
# the session, hence the language, is not visible, and a late lookup would fall back to French.


def month_format() -> Callable[[dt.date | None], str]:
    chosen = lang()
    return lambda value: i18n.fmt_month(value, chosen)


def label_format(group: str) -> Callable[[object], str]:
    chosen = lang()
    return lambda code: i18n.label(group, code, chosen)


def text_format(key: Callable[[Any], str]) -> Callable[[Any], str]:
    """``format_func`` showing the catalog text whose key is ``key(option)``."""
    chosen = lang()
    return lambda option: i18n.t(key(option), chosen)


Formatter = Callable[[Any], str]


def fmt_for(kind: str) -> Formatter:
    """Cell formatters by kind, in the session's language."""
    code = lang()
    kinds: dict[str, Formatter] = {
        "int": lambda v: i18n.fmt_int(None if _missing(v) else v, code),
        "dec1": lambda v: i18n.fmt_number(None if _missing(v) else v, code, 1),
        "dec2": lambda v: i18n.fmt_number(None if _missing(v) else v, code, 2),
        "pct": lambda v: i18n.fmt_percent(None if _missing(v) else v, code),
        "signed_pct": lambda v: i18n.fmt_signed_percent(None if _missing(v) else v, code),
        "date": lambda v: i18n.fmt_date(None if _missing(v) else v, code),
        "month": lambda v: i18n.fmt_month(None if _missing(v) else v, code),
        "datetime": lambda v: i18n.fmt_datetime(None if _missing(v) else v, code),
        "text": lambda v: NO_VALUE if _missing(v) else str(v),
    }
    return kinds[kind]


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# tables and downloads


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as shown (same rows, same columns, same headers), raw values, UTF-8 with BOM.

    Values stay machine-readable (dot decimals, ISO dates) so the file re-imports cleanly; the
    BOM makes spreadsheet programs read the Arabic headers correctly.
    """
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, date_format="%Y-%m-%d")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_key(key: str) -> str:
    return "table-" + key.replace(".", "-")


def table(
    frame: pl.DataFrame,
    columns: Sequence[tuple[str, str, str]],
    *,
    key: str,
    download_name: str | None = None,
    row_colors: Sequence[str | None] | None = None,
    height: int | None = None,
) -> pd.DataFrame:
    """Show ``frame`` with translated headers and locale formats; offer it as CSV when asked.

    ``columns`` is ``[(source column, i18n key of the header, format kind)]``. The grid keeps the
    raw values (sorting stays numeric) and shows the formatted text through a pandas Styler; the
    CSV is built from the very same frame, so it holds exactly what is on screen.
    Returns the frame shown (the tests compare it with the marts).
    """
    shown = pd.DataFrame({t(header): frame.get_column(source).to_list() for source, header, _ in columns})
    formats = {t(header): fmt_for(kind) for _, header, kind in columns}
    styler = shown.style.format(formats, na_rep=NO_VALUE)
    if row_colors is not None:
        colors = list(row_colors)
        styler = styler.apply(lambda row: [f"background-color: {colors[row.name]}" if colors[row.name] else ""] * len(row), axis=1)
    kwargs: dict[str, Any] = {"hide_index": True}
    if height is not None:
        kwargs["height"] = height
    # the keyed container names the table for tests and for the browser (CSS class st-key-…)
    with st.container(key=table_key(key)):
        st.dataframe(styler, **kwargs)
        if download_name is not None:
            st.download_button(
                t("common.download_csv"),
                data=csv_bytes(shown),
                file_name=f"{download_name}_{lang()}.csv",
                mime="text/csv",
                key=f"download-{key.replace('.', '-')}",
                on_click="ignore",
            )
    return shown


# --------------------------------------------------------------------------------------------
# charts


def localized(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Axis numbers, dates and month names in the session's language (Vega's d3 locales)."""
    return chart.configure(locale=i18n.vega_locale(lang()))


def show_chart(chart: alt.TopLevelMixin, key: str) -> None:
    """Altair for writing charts, a plain Vega-Lite dict for sending them.

    ``to_dict(validate=False)`` skips Altair's JSON-schema validation (about 0.1 s a chart on
    every rerun); the charts are fixed code, validated once by the tests' real browser run.
    """
    spec = localized(chart).to_dict(validate=False)
    st.vega_lite_chart(spec=spec, key=f"chart.{key}", width="stretch")


def region_map(values: pl.DataFrame, value_column: str, title_key: str, fmt: str, key: str) -> None:
    """Choropleth of one value per region on the shipped GeoJSON (no tiles, nothing fetched).

    ``values`` has ``region_code`` and ``value_column``; regions without a value are grey.
    The spec is written as a plain Vega-Lite dict: going through Altair's object model would
    deep-copy the thousands of coordinate lists on every rerun (seconds instead of
    milliseconds).
    """
    code = lang()
    lookup = {row["region_code"]: row[value_column] for row in values.iter_rows(named=True)}
    features = []
    for feature in region_features():
        region = feature["properties"]["region_code"]
        value = lookup.get(region)
        props = {
            "region_code": region,
            "name": feature["properties"][f"name_{code}"],
            "value": value,
            "value_text": fmt_for(fmt)(value),
        }
        features.append({"type": "Feature", "id": region, "properties": props, "geometry": feature["geometry"]})
    title = t(title_key)
    tooltip = [
        {"field": "properties.name", "type": "nominal", "title": t("cols.region")},
        {"field": "properties.value_text", "type": "nominal", "title": title},
    ]
    stroke = {"stroke": "white", "strokeWidth": 0.6}
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",  # an identifier, never fetched
        "data": {"values": features},
        "projection": {"type": "mercator"},
        "height": 440,
        "layer": [
            # every region in grey first, so regions without a value stay on the map
            {"mark": {"type": "geoshape", "fill": "#e0e0e0", **stroke}, "encoding": {"tooltip": tooltip}},
            {
                "transform": [{"filter": "isValid(datum.properties.value)"}],
                "mark": {"type": "geoshape", **stroke},
                "encoding": {
                    "color": {
                        "field": "properties.value", "type": "quantitative", "title": title,
                        "scale": {"scheme": "blues"}, "legend": {"format": LEGEND_FORMATS.get(fmt, ",d")},
                    },
                    "tooltip": tooltip,
                },
            },
        ],
        "config": {"locale": i18n.vega_locale(code)},
    }
    st.vega_lite_chart(spec=spec, key=f"chart.{key}", width="stretch")
    st.caption(t("common.map_attribution"))


def month_axis() -> alt.Axis:
    return alt.Axis(format="%b %Y", labelAngle=0, title=None, tickCount="month")


def date_axis() -> alt.Axis:
    return alt.Axis(format="%e %b", labelAngle=0, title=None)


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """Altair reads pandas without optional extras; dates become timestamps for time axes."""
    out = frame.to_pandas()
    for column in out.columns:
        if out[column].dtype == object and len(out) and isinstance(out[column].iloc[0], dt.date):
            out[column] = pd.to_datetime(out[column])
    return out


def viewer_caption(who: Viewer) -> None:
    """Who the page is scoped to, so a supervisor knows why other provinces are missing."""
    st.sidebar.caption(t("auth.signed_in_as", role=label("role", who.role)))
