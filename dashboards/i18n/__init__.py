"""Arabic and French for every string, number, date and month name the dashboards show.

Why it is built this way:

* Every UI string lives in ``ar.toml`` and ``fr.toml`` under the same keys (a test checks both
  files have exactly the same keys and placeholders, and that no page passes a literal string
  to a display call), so adding a label in one language only fails the suite.
* Numbers follow CLDR for Morocco (``fr-MA`` and ``ar-MA``): French groups thousands with a
  narrow no-break space (U+202F) and uses a decimal comma; Arabic uses **Western digits**
  (0-9), as Moroccan administration and HCP publications do, with CLDR ar-MA separators (``.``
  for thousands, ``,`` for decimals). The rules are coded here instead of taken from Babel so
  the dashboards do not depend on a library that only arrives transitively; a test compares
  them with Babel's CLDR data when it is installed.
* Month names are Morocco's: French ``janvier``…, Arabic ``يناير، فبراير، مارس، أبريل، ماي،
  يونيو، يوليوز، غشت، شتنبر، أكتوبر، نونبر، دجنبر`` (the names used in Moroccan official
  documents, CLDR ar-MA), not the Levantine or Egyptian ones.
* Times are shown in Morocco's time zone (``Africa/Casablanca``); the warehouse stores UTC.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

LANGS = ("fr", "ar")
DEFAULT_LANG = "fr"
RTL = frozenset({"ar"})
TIMEZONE = ZoneInfo("Africa/Casablanca")

_SEPARATORS = {
    # lang: (thousands, decimal, percent sign with its spacing)
    "fr": ("\u202f", ",", "\u00a0%"),
    "ar": (".", ",", "%"),
}


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, Any]) -> None:
    for key, value in node.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = value


@cache
def catalog(lang: str) -> dict[str, Any]:
    """All strings of one language, flattened to dotted keys (``monitor.title``)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    text = resources.files(__name__).joinpath(f"{lang}.toml").read_text("utf-8")
    out: dict[str, Any] = {}
    _flatten("", tomllib.loads(text), out)
    return out


def normalize_lang(value: object) -> str:
    """A supported language code from a query parameter or a session value, else the default."""
    text = str(value or "").strip().lower()[:2]
    return text if text in LANGS else DEFAULT_LANG


def is_rtl(lang: str) -> bool:
    return lang in RTL


def t(key: str, lang: str, **values: Any) -> str:
    """The text for ``key`` in ``lang``, with ``{placeholders}`` filled.

    A missing key raises: it is a programming error the key-parity test should have caught.
    """
    text = catalog(lang)[key]
    if not isinstance(text, str):
        raise TypeError(f"{key} is not a string in {lang}.toml")
    return text.format(**values) if values else text


def t_list(key: str, lang: str) -> list[str]:
    value = catalog(lang)[key]
    if not isinstance(value, list):
        raise TypeError(f"{key} is not a list in {lang}.toml")
    return [str(v) for v in value]


def label(group: str, code: object, lang: str) -> str:
    """A coded value (``event_type.birth``, ``severity.error``) in the language; unknown codes as-is."""
    key = f"{group}.{code}"
    text = catalog(lang).get(key)
    return str(text) if isinstance(text, str) else str(code)


def group(name: str, lang: str) -> dict[str, str]:
    """Every code of a coded group (``event_type`` → {birth: …, death: …}) in the language."""
    prefix = name + "."
    return {k[len(prefix):]: str(v) for k, v in catalog(lang).items() if k.startswith(prefix) and isinstance(v, str)}


# --------------------------------------------------------------------------------------------
# numbers


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.append(digits[-3:])
        digits = digits[:-3]
    out.append(digits)
    return sep.join(reversed(out))


def fmt_number(value: float | int | None, lang: str, decimals: int = 0) -> str:
    """``1234567.8`` → ``1 234 567,8`` (fr, narrow no-break spaces) or ``1.234.567,8`` (ar)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    thousands, decimal, _ = _SEPARATORS[lang]
    text = f"{abs(value):.{decimals}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if value < 0 and float(text) != 0 else ""
    # CLDR's minimum grouping digits is 1 for fr and ar-MA: 1234 is already grouped.
    return sign + _group(whole, thousands) + (decimal + frac if frac else "")


def fmt_int(value: float | int | None, lang: str) -> str:
    return fmt_number(None if value is None else round(value), lang, 0)


def fmt_percent(share: float | None, lang: str, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage (``0.125`` → ``12,5 %``)."""
    if share is None or (isinstance(share, float) and not math.isfinite(share)):
        return "–"
    return fmt_number(share * 100, lang, decimals) + _SEPARATORS[lang][2]


def fmt_signed_percent(change: float | None, lang: str, decimals: int = 1) -> str:
    """A relative change with an explicit sign (``+4,2 %``), for year-on-year columns."""
    if change is None or (isinstance(change, float) and not math.isfinite(change)):
        return "–"
    return ("+" if change > 0 else "") + fmt_percent(change, lang, decimals)


# --------------------------------------------------------------------------------------------
# dates


def month_names(lang: str) -> list[str]:
    return t_list("calendar.months", lang)


def month_abbr(lang: str) -> list[str]:
    return t_list("calendar.months_short", lang)


def fmt_date(value: dt.date | None, lang: str) -> str:
    """``3 septembre 2025`` / ``3 شتنبر 2025``."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{value.day} {month_names(lang)[value.month - 1]} {value.year}"


def fmt_month(value: dt.date | None, lang: str) -> str:
    """``septembre 2025`` / ``شتنبر 2025``."""
    if value is None:
        return "–"
    return f"{month_names(lang)[value.month - 1]} {value.year}"


def to_local(value: dt.datetime) -> dt.datetime:
    """A UTC (or naive-UTC) timestamp in Morocco's time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TIMEZONE)


def fmt_datetime(value: dt.datetime | None, lang: str) -> str:
    """``3 septembre 2025 à 14:05`` in Africa/Casablanca time (the words come from the catalog)."""
    if value is None:
        return "–"
    local = to_local(value)
    return t("calendar.datetime", lang, date=fmt_date(local.date(), lang), time=f"{local:%H:%M}")


def vega_locale(lang: str) -> dict[str, Any]:
    """d3 number and time locales, so chart axes and tooltips use the same formats as the tables."""
    thousands, decimal, _ = _SEPARATORS[lang]
    return {
        "number": {"decimal": decimal, "thousands": thousands, "grouping": [3], "currency": ["", "\u00a0MAD"]},
        "time": {
            "dateTime": "%A %e %B %Y %X",
            "date": "%d/%m/%Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": t_list("calendar.days", lang),
            "shortDays": t_list("calendar.days_short", lang),
            "months": month_names(lang),
            "shortMonths": month_abbr(lang),
        },
    }
