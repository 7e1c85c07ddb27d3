"""Moroccan names in Arabic, Latin and Tifinagh script, CNIE numbers, phone numbers.

The name lists (``reference/given_names.csv``, ``reference/family_names.csv``) were written for civstat:
common Moroccan given names with a weight for children born since 2018 (``w_child``) and for
adults (``w_adult``), and family names with an Amazigh flag used to weight them by region.
Latin spellings follow the usual French transcription used on Moroccan civil-status records;
``lat_variants`` are the alternative spellings that corrections switch between.

Everything is sampled by index into these lists (cheap arrays); strings are only built when
rows are written.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl

from simulator.calibration import offices, settings

# IRCAM Neo-Tifinagh, a simple letter-by-letter transliteration of the Latin spelling
# (digraphs first). Good enough for display; not a linguistic transcription.
_TFNG_DIGRAPHS = {"kh": "ⵅ", "gh": "ⵖ", "ch": "ⵛ", "ou": "ⵓ", "th": "ⵜ", "dj": "ⴷⵊ"}
_TFNG = {
    "a": "ⴰ", "b": "ⴱ", "c": "ⴽ", "d": "ⴷ", "e": "ⴻ", "f": "ⴼ", "g": "ⴳ", "h": "ⵀ", "i": "ⵉ", "j": "ⵊ",
    "k": "ⴽ", "l": "ⵍ", "m": "ⵎ", "n": "ⵏ", "o": "ⵓ", "p": "ⴱ", "q": "ⵇ", "r": "ⵔ", "s": "ⵙ", "t": "ⵜ",
    "u": "ⵓ", "v": "ⴼ", "w": "ⵡ", "x": "ⴽⵙ", "y": "ⵢ", "z": "ⵣ", " ": " ", "-": "-", "'": "",
}


def tifinagh(latin: str) -> str:
    """Letter-by-letter Neo-Tifinagh rendering of a Latin-script name."""
    s = unicodedata.normalize("NFKD", latin.lower())
    s = "".join(c for c in s if not unicodedata.combining(c))
    out, i = [], 0
    while i < len(s):
        pair = s[i : i + 2]
        if pair in _TFNG_DIGRAPHS:
            out.append(_TFNG_DIGRAPHS[pair])
            i += 2
            continue
        out.append(_TFNG.get(s[i], ""))
        i += 1
    return "".join(out).strip()


@dataclass(frozen=True)
class NameList:
    ar: pl.Series
    lat: pl.Series
    tfng: pl.Series
    variant: pl.Series  # one alternative Latin spelling (for corrections)
    weights: dict[str, np.ndarray]  # named weight vectors (normalised cumulative)

    def sample(self, rng: np.random.Generator, n: int, weights: str) -> np.ndarray:
        cum = self.weights[weights]
        return np.searchsorted(cum, rng.random(n) * cum[-1], side="right").astype(np.int32)

    def __len__(self) -> int:
        return len(self.ar)


def _csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(resources.files("simulator.reference").joinpath(name).read_text("utf-8").splitlines()))


def _make(rows: list[dict[str, str]], weights: dict[str, np.ndarray]) -> NameList:
    lat = [r["name_lat"] for r in rows]
    return NameList(
        ar=pl.Series([r["name_ar"] for r in rows], dtype=pl.String),
        lat=pl.Series(lat, dtype=pl.String),
        tfng=pl.Series([tifinagh(x) for x in lat], dtype=pl.String),
        variant=pl.Series([(r["lat_variants"].split("|")[0] or x) for r, x in zip(rows, lat, strict=True)], dtype=pl.String),
        weights={k: np.cumsum(v) for k, v in weights.items()},
    )


@lru_cache
def given(sex: str) -> NameList:
    rows = [r for r in _csv("given_names.csv") if r["sex"] == sex]
    return _make(rows, {
        "child": np.array([float(r["w_child"]) for r in rows]),
        "adult": np.array([float(r["w_adult"]) for r in rows]),
    })


ABROAD = 12  # region index used for consulates (and people registered abroad)


@lru_cache
def family() -> NameList:
    """Family names, with one weight vector per region index (Amazigh names weighted by
    region; index ``ABROAD`` for consulates)."""
    rows = _csv("family_names.csv")
    base = np.array([float(r["weight"]) for r in rows])
    amazigh = np.array([r["amazigh"] == "1" for r in rows])
    mult = settings()["names"]["amazigh_weight"]
    weights = {str(i): base * np.where(amazigh, mult[code], 1.0) for i, code in enumerate(offices().region_codes)}
    weights[str(ABROAD)] = base
    return _make(rows, weights)


def sample_family(rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    """A family name index per row, weighted by the row's region index (0-11, ``ABROAD``)."""
    names = family()
    out = np.empty(len(region), dtype=np.int32)
    for code in np.unique(region):
        mask = region == code
        out[mask] = names.sample(rng, int(mask.sum()), str(int(code)))
    return out


@lru_cache
def cnie_prefixes() -> tuple[list[str], list[np.ndarray]]:
    """All CNIE letter prefixes, and for each region index the indexes of its prefixes."""
    table = settings()["national_id"]
    codes = offices().region_codes
    flat = sorted({p for c in codes for p in table[c]})
    per_region = [np.array([flat.index(p) for p in table[c]]) for c in codes]
    per_region.append(np.array([flat.index(p) for p in table["04"]]))  # abroad: cards issued in Rabat
    return flat, per_region


def national_ids(rng: np.random.Generator, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CNIE-like numbers ``^[A-Z]{1,2}[0-9]{6}$`` with a letter prefix of the holder's region,
    as (prefix index, 6-digit number); ``rows`` formats them.

    Numbers are drawn without replacement inside each prefix (multiplying by a number prime to
    10^6 is a permutation), so one load never gives two people the same number."""
    n = len(region)
    _, per_region = cnie_prefixes()
    prefix = np.zeros(n, dtype=np.int16)
    for code in np.unique(region):
        mask = region == code
        options = per_region[int(code)]
        prefix[mask] = options[rng.integers(0, len(options), int(mask.sum()))]
    numbers = np.zeros(n, dtype=np.int64)
    for p in np.unique(prefix):
        mask = prefix == p
        k = int(mask.sum())
        start = int(rng.integers(0, 1_000_000))
        mult = int(rng.integers(1, 500_000)) * 2 + 1
        while mult % 5 == 0:
            mult += 2
        numbers[mask] = (start + np.arange(k, dtype=np.int64) * mult) % 1_000_000
    return prefix, numbers.astype(np.int32)


def phone_numbers(rng: np.random.Generator, n: int) -> pl.Series:
    """Moroccan mobile numbers in international form (+2126xxxxxxxx / +2127xxxxxxxx)."""
    lead = pl.Series(np.where(rng.random(n) < 0.75, "+2126", "+2127"))
    rest = pl.Series(rng.integers(0, 100_000_000, n)).cast(pl.String).str.zfill(8)
    return lead + rest
