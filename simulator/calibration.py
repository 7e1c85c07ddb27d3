"""Calibration of the simulator: reference figures, stated assumptions, and per-office arrays.

Reference figures (fertility, mortality, marriages, divorces, urban/rural populations) are read
from ``simulator/reference/vital_rates.csv`` and ``regions_area.csv``, copies of the shared reference
files with their sources; assumptions are in ``reference/calibration.toml`` and marked as such. The
offices, their population and their ``live_since`` come from the registry's own
``registry_api.services.geography.geography()`` so the simulator never disagrees with the registry.

Only expected *rates* are computed here; the warehouse computes every indicator from the
registry data alone and never reads this module.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from registry_api.services.geography import geography

CENSUS_2024 = dt.date(2024, 9, 1)  # RGPH 2024 reference date (September 2024)
KIND_COMMUNAL, KIND_ARRONDISSEMENT, KIND_CONSULAR = 0, 1, 2


def _text(name: str) -> str:
    return resources.files("simulator.reference").joinpath(name).read_text("utf-8")


@lru_cache
def settings() -> dict[str, Any]:
    """The assumptions file (``reference/calibration.toml``)."""
    return tomllib.loads(_text("calibration.toml"))


@lru_cache
def vital_rates() -> list[dict[str, str]]:
    return list(csv.DictReader(_text("vital_rates.csv").splitlines()))


def _value(indicator: str, *, code: str = "MA", area: str = "total", sex: str | None = None, period: str | None = None) -> float:
    for r in vital_rates():
        if r["indicator"] != indicator or r["geography_code"] != code or r["area"] != area:
            continue
        if sex is not None and r["sex"] != sex:
            continue
        if period is not None and r["period"] != period:
            continue
        return float(r["value"])
    raise KeyError(f"{indicator} {code} {area} {sex} {period} not in vital_rates.csv")


def _series(indicator: str, prefer: str = "Justice") -> dict[int, float]:
    """Yearly national values; when two sources give the same year, the one whose source
    mentions ``prefer`` wins (Ministry of Justice counts over rounded press figures)."""
    out: dict[int, tuple[bool, float]] = {}
    for r in vital_rates():
        if r["indicator"] != indicator or r["geography_code"] != "MA" or not r["period"].isdigit():
            continue
        year, preferred = int(r["period"]), prefer in r["source"]
        if year not in out or (preferred and not out[year][0]):
            out[year] = (preferred, float(r["value"]))
    return {y: v for y, (_, v) in sorted(out.items())}


def interpolate(series: dict[int, float], year: float) -> float:
    """Linear between known years, held flat outside them."""
    years = sorted(series)
    if year <= years[0]:
        return series[years[0]]
    if year >= years[-1]:
        return series[years[-1]]
    for a, b in zip(years, years[1:], strict=False):
        if a <= year <= b:
            return series[a] + (series[b] - series[a]) * (year - a) / (b - a)
    return series[years[-1]]  # pragma: no cover


@lru_cache
def rural_share() -> dict[str, float]:
    """Rural share of each region's 2024 legal population (HCP RGPH 2024)."""
    rows = csv.DictReader(_text("regions_area.csv").splitlines())
    return {r["region_code"]: int(r["population_2024_rural"]) / int(r["population_2024"]) for r in rows}


def tfr(region: str, area: str, year: float) -> float:
    """Total fertility rate of a region and area (urban/rural/total), census 2014 -> 2024 linear."""
    v14 = _value("total_fertility_rate", code=region, area=area, period="2014")
    v24 = _value("total_fertility_rate", code=region, area=area, period="2024")
    t = min(max((year - 2014) / 10, 0.0), 1.0)
    return v14 + (v24 - v14) * t


@lru_cache
def national_tfr(year: float) -> float:
    return tfr("MA", "total", year)


def crude_birth_rate(region: str, area: str, year: float) -> float:
    """Births per 1,000: the WDI anchor scaled by the region's fertility relative to the nation
    in the anchor year. Age structure is ignored (documented approximation)."""
    anchor_year = int(settings()["births"]["cbr_anchor_year"])
    anchor = _value("crude_birth_rate", period=str(anchor_year))
    return anchor * tfr(region, area, year) / national_tfr(anchor_year + 0.5)


def crude_death_rate(area: str) -> float:
    """Deaths per 1,000 (HCP ENDPR 2009-2010), urban or rural."""
    return _value("crude_death_rate", area=area, sex="all", period="2009-2010")


def death_male_share() -> float:
    male = _value("crude_death_rate", area="total", sex="male", period="2009-2010")
    female = _value("crude_death_rate", area="total", sex="female", period="2009-2010")
    return male / (male + female)


def infant_mortality(year: float) -> float:
    """Infant deaths per 1,000 births (UN IGME 2017) with the assumed yearly decline."""
    base = _value("infant_mortality_rate", period="2017")
    return base * (1 - settings()["deaths"]["child_mortality_decline_per_year"]) ** max(year - 2017, 0)


def child_mortality_1_4(year: float) -> float:
    """Deaths at ages 1-4 per 1,000 births: under-5 minus infant mortality (UN IGME 2017)."""
    base = _value("under5_mortality_rate", period="2017") - _value("infant_mortality_rate", period="2017")
    return base * (1 - settings()["deaths"]["child_mortality_decline_per_year"]) ** max(year - 2017, 0)


@lru_cache
def marriages_per_year() -> dict[int, float]:
    return _series("marriage_acts")


@lru_cache
def divorces_per_year() -> dict[int, float]:
    return _series("divorces_talaq_and_tatliq")


def minors_share(year: float) -> float:
    """Share of marriages involving a minor (Ministry of Justice counts / marriages)."""
    minors = _series("marriage_acts_involving_minors")
    shares = {y: v / interpolate(marriages_per_year(), y) for y, v in minors.items()}
    return interpolate(shares, year)


def smam(region: str, sex: str, year: float) -> float:
    """Singulate mean age at first marriage (census 2014 -> 2024, linear)."""
    v14 = _value("mean_age_at_first_marriage_smam", code=region, sex=sex, period="2014")
    v24 = _value("mean_age_at_first_marriage_smam", code=region, sex=sex, period="2024")
    t = min(max((year - 2014) / 10, 0.0), 1.0)
    return v14 + (v24 - v14) * t


def declaration_share(year: np.ndarray) -> np.ndarray:
    """Share of births/deaths declared first through a preliminary declaration (logistic)."""
    d = settings()["declarations"]
    return d["floor"] + (d["ceiling"] - d["floor"]) / (1 + np.exp(-(year - d["midpoint_year"]) / d["steepness_years"]))


def late_shares(year: np.ndarray, region_factor: np.ndarray, is_death: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(late, delayed) probabilities per event: improving over time, higher in rural regions."""
    r = settings()["registration"]
    years = np.maximum(year - 2018, 0)
    late = np.maximum(r["late_share_2018"] - r["late_share_decline_per_year"] * years, r["late_share_floor"])
    delayed = np.maximum(r["delayed_share_2018"] - r["delayed_share_decline_per_year"] * years, r["delayed_share_floor"])
    factor = region_factor * np.where(is_death, r["death_late_factor"], 1.0)
    return late * factor, delayed * factor


@dataclass
class Offices:
    """The registry's offices as column arrays (index = position in ``geography()['offices']``)."""

    code: list[str]
    kind: np.ndarray  # int8: communal / arrondissement / consular
    region: np.ndarray  # int8 index into region_codes, -1 for consulates
    province: np.ndarray  # int16 index into province_codes, -1 for consulates
    commune: list[str | None]
    urban: np.ndarray  # bool
    pop2024: np.ndarray  # float64 (consulates: their share of the diaspora)
    growth: np.ndarray  # float64 yearly growth factor of the province (2014 -> 2024)
    live_since: np.ndarray  # int32 days since 1970-01-01
    country: list[str]
    region_codes: list[str]
    province_codes: list[str]
    province_names: list[str]
    province_region: np.ndarray  # int8 region index of each province
    region_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))  # late-registration factor

    def __len__(self) -> int:
        return len(self.code)

    def population(self, day: np.ndarray | int) -> np.ndarray:
        """Population per office on ``day`` (geometric 2014 -> 2024 growth of its province)."""
        years = (np.asarray(day) - _days(CENSUS_2024)) / 365.25
        return self.pop2024 * self.growth ** years


def _days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


@lru_cache
def offices() -> Offices:
    geo = geography()
    region_codes = [r["region_code"] for r in geo["regions"]]
    province_codes = [p["province_code"] for p in geo["provinces"]]
    prov_index = {c: i for i, c in enumerate(province_codes)}
    reg_index = {c: i for i, c in enumerate(region_codes)}
    commune_kind = {c["commune_code"]: c["commune_kind"] for c in geo["communes"]}
    reg_growth = {r["region_code"]: (r["population_2024"] / r["population_2014"]) ** 0.1 for r in geo["regions"]}
    prov_growth = {
        p["province_code"]: (p["population_2024"] / p["population_2014"]) ** 0.1 if p["population_2014"] else reg_growth[p["region_code"]]
        for p in geo["provinces"]
    }
    diaspora = settings()["births"]["diaspora"]
    per_country: dict[str, int] = {}
    for o in geo["offices"]:
        if o["office_kind"] == "consular":
            per_country[o["country_code"]] = per_country.get(o["country_code"], 0) + 1
    kinds = {"communal": KIND_COMMUNAL, "arrondissement": KIND_ARRONDISSEMENT, "consular": KIND_CONSULAR}
    rows = geo["offices"]
    consular = [o["office_kind"] == "consular" for o in rows]
    rural = rural_share()
    cfg = settings()["registration"]
    return Offices(
        code=[o["office_code"] for o in rows],
        kind=np.array([kinds[o["office_kind"]] for o in rows], dtype=np.int8),
        region=np.array([-1 if c else reg_index[o["region_code"]] for o, c in zip(rows, consular, strict=True)], dtype=np.int8),
        province=np.array([-1 if c else prov_index[o["province_code"]] for o, c in zip(rows, consular, strict=True)], dtype=np.int16),
        commune=[o["commune_code"] for o in rows],
        urban=np.array([c or o["office_kind"] == "arrondissement" or commune_kind.get(o["commune_code"]) == "urban"
                        for o, c in zip(rows, consular, strict=True)]),
        pop2024=np.array([
            diaspora.get(o["country_code"], 0) / per_country[o["country_code"]] if c else float(o["population_2024"] or 0)
            for o, c in zip(rows, consular, strict=True)
        ]),
        growth=np.array([1.0 if c else prov_growth[o["province_code"]] for o, c in zip(rows, consular, strict=True)]),
        live_since=np.array([_days(o["live_since"]) for o in rows], dtype=np.int32),
        country=[o["country_code"] for o in rows],
        region_codes=region_codes,
        province_codes=province_codes,
        province_names=[p["name_fr"] for p in geo["provinces"]],
        province_region=np.array([reg_index[p["region_code"]] for p in geo["provinces"]], dtype=np.int8),
        region_factor=np.array([
            1.0 if c else cfg["region_factor_a"] + cfg["region_factor_b"] * rural[o["region_code"]]
            for o, c in zip(rows, consular, strict=True)
        ]),
    )


def birth_rate_table(years: range) -> np.ndarray:
    """Crude birth rate (per 1,000) per office and year, shape (len(years), n_offices)."""
    offs = offices()
    out = np.zeros((len(years), len(offs)))
    consular_rate = settings()["births"]["consular_birth_rate"]
    for yi, year in enumerate(years):
        cache: dict[tuple[int, bool], float] = {}
        for i in range(len(offs)):
            if offs.kind[i] == KIND_CONSULAR:
                out[yi, i] = consular_rate
                continue
            key = (int(offs.region[i]), bool(offs.urban[i]))
            if key not in cache:
                cache[key] = crude_birth_rate(offs.region_codes[key[0]], "urban" if key[1] else "rural", year + 0.5)
            out[yi, i] = cache[key]
    return out


def death_rate_table(years: range) -> np.ndarray:
    """Crude death rate at ages 5+ (per 1,000) per office and year: the ENDPR rate minus the
    under-5 deaths that the simulator derives from the births."""
    offs = offices()
    births = birth_rate_table(years)
    out = np.zeros_like(births)
    consular_rate = settings()["births"]["consular_death_rate"]
    urban, rural = crude_death_rate("urban"), crude_death_rate("rural")
    for yi, year in enumerate(years):
        u5 = (infant_mortality(year + 0.5) + child_mortality_1_4(year + 0.5)) / 1000
        base = np.where(offs.urban, urban, rural)
        out[yi] = np.where(offs.kind == KIND_CONSULAR, consular_rate, np.maximum(base - births[yi] * u5, 0.5))
    return out


def expected_births(region_code: str, year: int) -> float:
    """Births expected in a region and year at scale 1 (for the calibration tests)."""
    offs = offices()
    ri = offs.region_codes.index(region_code)
    mask = offs.region == ri
    days = _days(dt.date(year, 7, 1))
    rates = birth_rate_table(range(year, year + 1))[0]
    return float(np.sum(offs.population(days)[mask] * rates[mask] / 1000))


def region_population(region_code: str, year: int) -> float:
    offs = offices()
    ri = offs.region_codes.index(region_code)
    return float(np.sum(offs.population(_days(dt.date(year, 7, 1)))[offs.region == ri]))

