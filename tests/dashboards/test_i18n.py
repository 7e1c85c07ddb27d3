"""Arabic and French are complete, consistent and formatted the Moroccan way."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from pathlib import Path

import pytest

from dashboards import i18n

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
# Streamlit calls whose first argument (or label=/body=) is text shown to the user.
DISPLAY_CALLS = {
    "title", "header", "subheader", "markdown", "write", "caption", "text", "metric", "info", "warning", "error",
    "success", "toast", "selectbox", "multiselect", "radio", "select_slider", "slider", "text_input", "button",
    "download_button", "form_submit_button", "checkbox", "toggle", "date_input", "number_input", "expander",
    "tabs", "segmented_control", "pills", "set_page_config", "Page", "link_button", "page_link",
}
TEXT_KWARGS = {"label", "body", "help", "placeholder", "page_title", "title", "value", "delta"}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    fr, ar = i18n.catalog("fr"), i18n.catalog("ar")
    assert set(fr) == set(ar), f"only in fr: {set(fr) - set(ar)}; only in ar: {set(ar) - set(fr)}"
    for key in fr:
        assert type(fr[key]) is type(ar[key]), key
        if isinstance(fr[key], str):
            assert _fields(fr[key]) == _fields(ar[key]), key
            assert fr[key].strip() and ar[key].strip(), key
        else:
            assert len(fr[key]) == len(ar[key]), key
    assert re.search(r"[\u0600-\u06FF]", ar["monitor.title"]) and not re.search(r"[\u0600-\u06FF]", fr["monitor.title"])


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        if any(re.search(r"[^\W\d_]", p) for p in parts):
            return "".join(parts)
    return None


def test_no_page_passes_a_literal_string_to_a_display_call() -> None:
    offenders = []
    for path in sorted(DASHBOARDS.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name not in DISPLAY_CALLS:
                continue
            candidates = list(node.args[:1]) + [k.value for k in node.keywords if k.arg in TEXT_KWARGS]
            for arg in candidates:
                text = _literal_text(arg)
                if text is not None:
                    offenders.append(f"{path.relative_to(DASHBOARDS)}:{node.lineno}: {name}({text!r})")
    assert not offenders, "literal UI strings (put them in i18n/*.toml):\n" + "\n".join(offenders)


def test_every_key_the_code_names_exists() -> None:
    """Keys written out in the code (``t("x.y")`` calls, table headers ``cols.*``, menu ``nav.*``) exist."""
    catalog = i18n.catalog("fr")
    missing = []
    for path in sorted(DASHBOARDS.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            keys: list[str] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if name == "t" and node.args and isinstance(node.args[0], ast.Constant):
                    keys.append(str(node.args[0].value))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"(cols|nav)\.[a-z0-9_]+", node.value):
                keys.append(node.value)
            missing += [f"{path.name}:{node.lineno}: {k}" for k in keys if k not in catalog]  # type: ignore[attr-defined]
    assert not missing, missing


@pytest.mark.parametrize(
    ("value", "decimals", "fr", "ar"),
    [
        (1234567.891, 2, "1\u202f234\u202f567,89", "1.234.567,89"),
        (1234, 0, "1\u202f234", "1.234"),
        (999, 0, "999", "999"),
        (-1234.5, 1, "-1\u202f234,5", "-1.234,5"),
        (0.04, 1, "0,0", "0,0"),
    ],
)
def test_numbers_follow_the_locale(value: float, decimals: int, fr: str, ar: str) -> None:
    assert i18n.fmt_number(value, "fr", decimals) == fr
    assert i18n.fmt_number(value, "ar", decimals) == ar


def test_number_rules_agree_with_cldr_for_morocco() -> None:
    numbers = pytest.importorskip("babel.numbers", reason="Babel (CLDR data) not installed")
    for value in (7, 1234, 98765.4321, 1234567.5, -42.25):
        for lang, locale in (("fr", "fr_MA"), ("ar", "ar_MA")):
            expected = numbers.format_decimal(value, format="#,##0.00", locale=locale)
            assert i18n.fmt_number(value, lang, 2) == expected, (lang, value)
    assert i18n.fmt_percent(0.125, "fr", 0) == numbers.format_percent(0.125, format="#,##0\u00a0%", locale="fr_MA")


def test_arabic_uses_western_digits_and_moroccan_month_names() -> None:
    text = i18n.fmt_date(dt.date(2025, 8, 3), "ar")
    assert text == "3 غشت 2025"
    assert not re.search(r"[\u0660-\u0669]", text + i18n.fmt_number(1234567, "ar"))
    assert i18n.fmt_month(dt.date(2025, 9, 1), "fr") == "septembre 2025"
    assert i18n.month_names("ar")[8] == "شتنبر"


def test_month_names_agree_with_cldr() -> None:
    dates = pytest.importorskip("babel.dates", reason="Babel (CLDR data) not installed")
    for lang, locale in (("fr", "fr_MA"), ("ar", "ar_MA")):
        assert i18n.month_names(lang) == [dates.get_month_names("wide", locale=locale)[m] for m in range(1, 13)]


def test_timestamps_are_shown_in_morocco_time() -> None:
    # Morocco is UTC+1 outside Ramadan (2025-06-18 is outside it)
    assert i18n.fmt_datetime(dt.datetime(2025, 6, 18, 16, 30, tzinfo=dt.UTC), "fr") == "18 juin 2025 à 17:30"
    assert i18n.fmt_datetime(dt.datetime(2025, 6, 18, 16, 30, tzinfo=dt.UTC), "ar") == "18 يونيو 2025 على الساعة 17:30"


def test_vega_locale_matches_the_tables() -> None:
    locale = i18n.vega_locale("fr")
    assert locale["number"]["thousands"] == "\u202f" and locale["number"]["decimal"] == ","
    assert locale["time"]["months"][0] == "janvier" and i18n.vega_locale("ar")["time"]["months"][7] == "غشت"
    assert len(locale["time"]["days"]) == 7 and locale["time"]["days"][0] == "dimanche"  # d3 weeks start on Sunday


def test_unknown_language_falls_back_to_french() -> None:
    assert i18n.normalize_lang("AR") == "ar"
    assert i18n.normalize_lang("en") == "fr"
    assert i18n.normalize_lang(None) == "fr"


def test_every_quality_rule_is_explained_in_both_languages() -> None:
    """The quality page says in words what each failing rule checks: every rule id the suites
    (and the runner) can report has a description in French and Arabic, and none is stale."""
    from quality.suites import CHECKS
    from quality.suites._base import Inputs

    inputs = Inputs()
    rules = {str(e.meta["rule"]) for check in CHECKS for spec in check.suites for e in spec.build(inputs).expectations}
    rules |= set(re.findall(r'rule="(\w+)"', Path(__file__).resolve().parents[2].joinpath("quality", "runner.py").read_text()))
    assert {"not_null", "daily_volume_outlier", "table_exists", "suite_error"} <= rules and len(rules) > 60
    for lang in ("fr", "ar"):
        explained = i18n.group("rule", lang)
        assert set(explained) == rules, (lang, sorted(rules - set(explained)), sorted(set(explained) - rules))
        assert all(text and text != code for code, text in explained.items())
