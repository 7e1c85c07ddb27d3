"""How the indicators page combines region-month rows into the figures it shows.

The marts give one row per region and month with counts and rates. When a viewer selects
several regions or months, rates cannot be averaged: they are recomputed from the counts.

* crude birth/death rate: events per 1,000 person-years, person-years = Σ population / 12
  over the region-months (a month of a region contributes a twelfth of its population), which
  equals the mart's annualised monthly rate for a single region-month;
* sex ratio at birth: male births per 100 female births;
* mean mother's age: the births-weighted mean of the monthly means;
* infant deaths per 1,000 births: Σ infant deaths / Σ births × 1,000.

Rates are defined for both sexes only (no population or infant deaths by sex in the marts), so
with a sex filter they are ``None`` and the page shows "–".

Recent months are incomplete in two ways, and the figures say so rather than dip:
* the month holding the data's as-of date is only partly observed: its person-years count the
  observed days only, and its year-on-year change is not computed (a part of a month against
  a whole one);
* the marts count events by the month they happened in, and a birth or death may be declared
  up to the legal deadline after it (30 days, ``registry_api/reference/rules.toml``): every
  month whose last day is less than that before the as-of date is *provisional*
  (:func:`provisional_from`) and the page marks it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from registry_api.services.rules import legal_deadline_days

SEX_COLUMNS = {
    "all": ("births", "deaths"),
    "M": ("births_male", "deaths_male"),
    "F": ("births_female", "deaths_female"),
}
COUNTS = ("births", "deaths", "marriages", "divorces")


def shift_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def declaration_days() -> int:
    """How long after a birth or death it may still be declared without a judgment (rules file)."""
    return max(legal_deadline_days("birth"), legal_deadline_days("death"))


def provisional_from(as_of: dt.date) -> dt.date:
    """The first event month still open for declarations on ``as_of``.

    A month is provisional while its last day plus the legal deadline for births and deaths
    has not passed: on 26 November with a 30-day deadline, events of 27 October onwards may
    still be declared, so October and November are provisional.
    """
    return (as_of - dt.timedelta(days=declaration_days())).replace(day=1)


def observed_share(as_of: dt.date | None) -> pl.Expr:
    """Share of each row's month observed by ``as_of`` (1 before its month, days/length in it)."""
    if as_of is None:
        return pl.lit(1.0)
    month = as_of.replace(day=1)
    length = (shift_months(month, 1) - month).days
    return (
        pl.when(pl.col("month_start") < month).then(1.0)
        .when(pl.col("month_start") == month).then(as_of.day / length)
        .otherwise(0.0)
    )


def _ratio(numerator: float, denominator: float, scale: float) -> float | None:
    return numerator / denominator * scale if denominator else None


def counts_for_sex(frame: pl.DataFrame, sex: str) -> pl.DataFrame:
    """``births``/``deaths`` replaced by the chosen sex's counts (marriages, divorces unchanged)."""
    births, deaths = SEX_COLUMNS[sex]
    return frame.with_columns(pl.col(births).alias("births"), pl.col(deaths).alias("deaths"))


def summarize(frame: pl.DataFrame, sex: str, as_of: dt.date | None = None) -> dict[str, Any]:
    """Totals and recomputed rates over any set of region-month rows (``as_of``: see the module doc)."""
    selected = counts_for_sex(frame, sex)
    out: dict[str, Any] = {c: int(selected[c].sum() or 0) for c in COUNTS}
    both = sex == "all"
    person_years = float(frame.select((pl.col("population").cast(pl.Float64) / 12 * observed_share(as_of)).sum()).item() or 0)
    births_all = float(frame["births"].sum() or 0)
    with_age = frame.filter(pl.col("mean_mother_age").is_not_null())
    weight = float(with_age["births"].sum() or 0)
    out["crude_birth_rate"] = _ratio(out["births"], person_years, 1000) if both else None
    out["crude_death_rate"] = _ratio(out["deaths"], person_years, 1000) if both else None
    out["sex_ratio_at_birth"] = (
        _ratio(float(frame["births_male"].sum() or 0), float(frame["births_female"].sum() or 0), 100) if both else None
    )
    out["mean_mother_age"] = (
        float((with_age["mean_mother_age"] * with_age["births"]).sum()) / weight if both and weight else None
    )
    out["infant_deaths_per_1000_births"] = (
        _ratio(float(frame["infant_deaths"].sum() or 0), births_all, 1000) if both else None
    )
    return out


def by_region(frame: pl.DataFrame, sex: str, as_of: dt.date | None = None) -> pl.DataFrame:
    """One row per region with :func:`summarize`'s figures (for the map)."""
    rows = []
    for (region,), part in frame.group_by(["region_code"], maintain_order=True):
        rows.append({"region_code": region, **summarize(part, sex, as_of)})
    schema = {"region_code": pl.String, **{c: pl.Int64 for c in COUNTS},
              **{c: pl.Float64 for c in ("crude_birth_rate", "crude_death_rate", "sex_ratio_at_birth",
                                          "mean_mother_age", "infant_deaths_per_1000_births")}}
    return pl.DataFrame(rows, schema=schema)


def monthly_with_yoy(frame: pl.DataFrame, sex: str, start: dt.date, end: dt.date,
                     as_of: dt.date | None = None) -> pl.DataFrame:
    """Monthly totals over the selected regions in [start, end], each with its year-on-year change.

    ``frame`` must also hold the 12 months before ``start`` so the first months have a base.
    The change is ``None`` when the same month of the previous year has no data or zero events,
    and for the month holding ``as_of`` (only partly observed). ``provisional`` flags the
    months still open for declarations (:func:`provisional_from`).
    """
    monthly = (
        counts_for_sex(frame, sex)
        .group_by("month_start")
        .agg(pl.col(c).sum() for c in COUNTS)
        .sort("month_start")
    )
    previous = monthly.with_columns(pl.col("month_start").dt.offset_by("1y"))
    previous = previous.rename({c: f"{c}_prev" for c in COUNTS})
    joined = monthly.join(previous, on="month_start", how="left").filter(pl.col("month_start").is_between(start, end))
    whole = observed_share(as_of) == 1.0
    provisional = pl.lit(False) if as_of is None else pl.col("month_start") >= provisional_from(as_of)
    return joined.with_columns(
        [
            pl.when((pl.col(f"{c}_prev") > 0) & whole).then(pl.col(c) / pl.col(f"{c}_prev") - 1).otherwise(None).alias(f"{c}_yoy")
            for c in COUNTS
        ],
        provisional=provisional,
    ).select("month_start", *[x for c in COUNTS for x in (c, f"{c}_yoy")], "provisional")


def completeness_rates(frame: pl.DataFrame) -> pl.DataFrame:
    """Completeness in the three windows from summed counts (regions and sexes pooled)."""
    return frame.with_columns(
        [
            pl.when(pl.col("expected") > 0).then(pl.col(f"registered_within_{w}") / pl.col("expected")).otherwise(None)
            .alias(f"completeness_{w}")
            for w in ("deadline", "1y", "5y")
        ]
    )


def timeliness_shares(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        [
            pl.when(pl.col("registrations") > 0).then(pl.col(c) / pl.col("registrations")).otherwise(None).alias(f"share_{c}")
            for c in ("on_time", "late", "delayed")
        ]
    )
