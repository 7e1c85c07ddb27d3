"""Small helpers to drive the real app with ``streamlit.testing.v1.AppTest``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from dashboards import i18n
from dashboards.ui import table_key

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES = {
    "office": "views/monitor/office.py",
    "indicators": "views/population/indicators.py",
    "quality": "views/quality/checks.py",
    "rollout": "views/rollout/rollout.py",
    "datasets": "views/datasets/catalog.py",
}
TITLES = {"office": "monitor.title", "indicators": "indicators.title", "quality": "quality.title",
          "rollout": "rollout.title", "datasets": "datasets.title"}


def open_app(page: str = "office", lang: str = "fr", timeout: float = 60) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params["lang"] = lang
    at.run()
    if page != "office":
        at.switch_page(PAGES[page]).run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, key: str, lang: str = "fr", **values: Any) -> str:
    """The value of the metric whose label is the catalog text of ``key``."""
    wanted = i18n.t(key, lang, **values)
    found = [m.value for m in at.metric if m.label == wanted]
    assert len(found) == 1, f"metric {wanted!r} not found once among {[m.label for m in at.metric]}"
    return found[0]


def table(at: AppTest, key: str) -> Any:
    """The pandas frame shown by ``ui.table(..., key=key)``."""
    block = _table_block(at, key)
    assert block is not None, f"no table {key!r}"
    return block.dataframe[0].value


def _table_block(at: AppTest, key: str):  # type: ignore[no-untyped-def]
    try:
        return at.container(key=table_key(key))  # type: ignore[operator]
    except KeyError:
        return None


def has_table(at: AppTest, key: str) -> bool:
    return _table_block(at, key) is not None


def download_buttons(at: AppTest, key: str) -> list[Any]:
    block = _table_block(at, key)
    return [] if block is None else list(block.get("download_button"))


def charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(e.proto.spec) for e in at.main if e.type == "vega_lite_chart"]


def n(value: float | int | None, lang: str = "fr") -> str:
    return i18n.fmt_int(value, lang)


def dec(value: float | None, lang: str = "fr", decimals: int = 1) -> str:
    return i18n.fmt_number(value, lang, decimals)
