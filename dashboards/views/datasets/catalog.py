"""The catalog of curated datasets, as the datasets package defines and releases them.

Source, in order: ``datasets.catalog.DATASETS`` (bilingual titles, audience, cadence, licence,
disclosure class) with each dataset's latest release (``datasets.release.latest_version``);
when that package is not importable, the published ``ds_*`` tables with their row counts; else
a clear "no datasets published yet". Who sees what follows the catalog's own rules: a sector
sees what it is granted, analysts never see the ``identified`` (direct-identifier) datasets.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.auth import Viewer
from dashboards.ui import t


def from_package(who: Viewer) -> pl.DataFrame | None:
    """The datasets package's catalog and releases, or None when the package is not there."""
    try:
        from datasets import catalog
        from datasets.release import latest_version, releases_root
    except ImportError:
        return None
    root = releases_root()
    code = ui.lang()
    rows: list[dict[str, Any]] = []
    for definition in catalog.DATASETS.values():
        if who.role == "sector" and not definition.visible_to_sector(who.sector_code):
            continue
        if who.role == "analyst" and definition.disclosure == "identified":
            continue
        rows.append({
            "name": definition.name,
            "title": getattr(definition, f"title_{code}"),
            "sectors": ", ".join(ui.label("sector", s) for s in definition.sectors),
            "cadence": ui.label("cadence", definition.cadence),
            "disclosure": ui.label("disclosure", definition.disclosure),
            "licence": definition.licence.name,
            "latest": latest_version(root, definition.name) or ui.NO_VALUE,
        })
    return pl.DataFrame(rows)


def from_warehouse() -> pl.DataFrame | None:
    names = sorted(name for name in data.tables() if name.startswith("ds_"))
    if not names:
        return None
    return pl.DataFrame({"dataset": names, "rows": [data.row_count(name) for name in names]})


def render() -> None:
    who = ui.viewer()
    st.title(t("datasets.title"))
    st.write(t("datasets.intro"))
    catalog = from_package(who)
    if catalog is not None and catalog.height:
        released = int((catalog["latest"] != ui.NO_VALUE).sum())
        st.caption(t("datasets.released", n=ui.n(released), total=ui.n(catalog.height)))
        ui.table(
            catalog,
            [
                ("title", "cols.dataset", "text"),
                ("name", "cols.dataset_name", "text"),
                ("sectors", "cols.sectors", "text"),
                ("cadence", "cols.cadence", "text"),
                ("disclosure", "cols.disclosure", "text"),
                ("licence", "cols.licence", "text"),
                ("latest", "cols.latest_release", "text"),
            ],
            key="datasets.catalog",
            download_name="datasets_catalog",
        )
        return
    with ui.when_available():
        tables = from_warehouse()
        if tables is None:
            st.info(t("datasets.none"))
            return
        ui.table(tables, [("dataset", "cols.dataset", "text"), ("rows", "cols.rows", "int")], key="datasets.tables",
                 download_name="datasets")


render()
