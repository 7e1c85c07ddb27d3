"""Plausibility and freshness: sex ratio at birth, daily volume outliers, age heaping, landing lag."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quality.config import default_config
from quality.runner import validate
from quality.suites.landing_freshness import judged_now
from quality.suites.office_daily_volume import modified_z
from registry_api.services.rules import is_working_day
from tests.quality import factories as f
from tests.quality.conftest import QUIET_NOW


def _failed(results, rule: str):  # type: ignore[no-untyped-def]
    return [r for r in results if r.rule == rule and r.failed]


# ----------------------------------------------------------------------------- sex ratio
def _births(groups: list[tuple[str, int, int, int]], cancelled_boys: int = 0) -> pd.DataFrame:
    """(region, year, boys, girls) groups as fct_birth rows."""
    parts = []
    for region, year, boys, girls in groups:
        n = boys + girls
        b = f.births(n)
        b["region_code"] = region
        b["event_date"] = dt.date(year, 3, 1)
        b["registration_date"] = dt.date(year, 3, 5)
        b["sex"] = ["M"] * boys + ["F"] * girls
        parts.append(b)
    if cancelled_boys:
        c = f.births(cancelled_boys)
        c["region_code"], c["event_date"], c["registration_date"], c["sex"] = "02", dt.date(2023, 3, 1), dt.date(2023, 3, 5), "M"
        c["is_cancelled"] = True
        parts.append(c)
    out = pd.concat(parts, ignore_index=True)
    out["act_id"] = range(1, len(out) + 1)
    out["act_number"] = out["act_id"]
    return out


def test_sex_ratio_is_flagged_when_too_far_from_105_to_be_chance(tmp_path: Path) -> None:
    b = _births([
        ("01", 2023, 2400, 2000),  # 120 boys per 100 girls over 4,400 births: z = 4.4, flagged
        ("02", 2023, 540, 510),  # 105.9: fine
        ("03", 2023, 600, 500),  # 120 too, but over 1,100 births z = 2.2: chance at that size
        ("04", 2023, 26000, 24000),  # 108.3 over 50,000 births: z = 3.5, a real shift a band would miss
        ("01", 2024, 400, 100),  # 400 but only 500 births: not judged
    ], cancelled_boys=300)  # cancelled acts are not births: 02/2023 stays at 105.9
    wh = f.small_warehouse(tmp_path, {"fct_birth": b})
    results = validate(wh, "sex_ratio_at_birth", persist=False)
    [hit] = _failed(results, "sex_ratio_at_birth")
    assert hit.severity == "warn"
    assert hit.unexpected_count == 2 and hit.element_count == 4
    assert hit.sample_keys == ["01|2023", "04|2023"]
    assert hit.observed_value == "sex_ratio_z=4.41; sex_ratio_z=3.49"


def test_sex_ratio_within_band_passes(tmp_path: Path) -> None:
    wh = f.small_warehouse(tmp_path, {"fct_birth": _births([("01", 2023, 530, 500), ("02", 2023, 515, 500)])})
    assert all(r.success for r in validate(wh, "sex_ratio_at_birth", persist=False))


# ----------------------------------------------------------------------------- daily volume
def test_modified_z_score() -> None:
    hist = np.array([10, 12, 11, 13, 9, 10, 11, 12, 10, 11], dtype=float)
    med, mad = 11.0, 1.0
    assert modified_z(20, hist) == pytest.approx(0.6745 * (20 - med) / mad)
    steady = np.full(28, 20.0)  # MAD = MeanAD = 0: any change is an outlier
    assert modified_z(20, steady) == 0.0
    assert modified_z(30, steady) == 99.0
    mostly = np.array([20.0] * 20 + [26.0] * 8)  # MAD = 0, MeanAD = 48/28: the fallback scale
    assert modified_z(30, mostly) == pytest.approx((30 - 20) / (1.253314 * 48 / 28))


def _daily(series: dict[str, list[float | None]], end: dt.date) -> pd.DataFrame:
    """Rows for the working days ending at ``end`` (None: no row that day)."""
    days: list[dt.date] = []
    d = end
    n = max(len(v) for v in series.values())
    while len(days) < n:
        if is_working_day(d):
            days.append(d)
        d -= dt.timedelta(days=1)
    days.reverse()
    base = f.ind_office_daily_rows(1).iloc[0].to_dict()
    rows = []
    for i, (office, values) in enumerate(series.items()):
        o = f._office(i)
        for day, v in zip(days[-len(values):], values, strict=True):
            if v is None:
                continue
            rows.append({**base, **o, "office_code": office, "day": day, "births_registered": int(v),
                         "deaths_registered": 0, "acts_registered": int(v)})
    return pd.DataFrame(rows)


def test_daily_volume_spike_is_flagged_against_the_offices_own_history(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    normal = list(20 + rng.integers(-2, 3, size=40))
    a, b, c = f.OFFICES
    daily = _daily({
        a: normal + [61.0],  # a spike on the newest day
        b: [2.0] * 40 + [6.0],  # small office: +4 acts is below min_abs_deviation
        c: normal + [21.0],  # an ordinary day
    }, end=dt.date(2024, 5, 31))
    wh = f.small_warehouse(tmp_path, {"ind_office_daily": daily})
    results = validate(wh, "office_daily_volume", persist=False)
    [hit] = _failed(results, "daily_volume_outlier")
    assert hit.severity == "warn"
    assert hit.unexpected_count == 1
    assert hit.sample_keys == [f"{a}|2024-05-31"]
    z = hit.observed_value.removeprefix("modified_z=")
    assert float(z) > 3.5 and len(z.partition(".")[2]) <= 2  # shown as judged: two decimals at most


def test_daily_volume_without_enough_history_is_not_judged(tmp_path: Path) -> None:
    a = f.OFFICES[0]
    wh = f.small_warehouse(tmp_path, {"ind_office_daily": _daily({a: [20.0] * 10 + [90.0]}, end=dt.date(2024, 5, 31))})
    results = validate(wh, "office_daily_volume", persist=False)
    assert all(r.success for r in results)


def test_missing_working_days_count_as_zero(tmp_path: Path) -> None:
    """An office whose rows stop (no registrations) is judged on the zeros it implies."""
    a, b = f.OFFICES[:2]
    daily = _daily({a: [30.0] * 40 + [None], b: [30.0] * 41}, end=dt.date(2024, 5, 31))  # a: no row on the 31st
    wh = f.small_warehouse(tmp_path, {"ind_office_daily": daily})
    [hit] = _failed(validate(wh, "office_daily_volume", persist=False), "daily_volume_outlier")
    assert hit.sample_keys == [f"{a}|2024-05-31"]
    assert hit.observed_value == "modified_z=-99"


# ----------------------------------------------------------------------------- age heaping
def _deaths_with_ages(ages_by_region: dict[str, list[int]]) -> pd.DataFrame:
    parts = []
    for region, ages in ages_by_region.items():
        d = f.deaths(len(ages))
        d["region_code"], d["age_years"] = region, ages
        d["event_date"], d["registration_date"] = dt.date(2024, 3, 1), dt.date(2024, 3, 2)
        d["birth_date"] = None
        parts.append(d)
    out = pd.concat(parts, ignore_index=True)
    out["act_id"] = range(1, len(out) + 1)
    out["act_number"] = out["act_id"]
    return out


def test_age_heaping_flagged_when_whipple_exceeds_threshold(tmp_path: Path) -> None:
    heaped = [a for a in range(25, 61, 5) for _ in range(60)] + list(range(23, 63)) * 5  # 480 + 200
    smooth = list(range(23, 63)) * 15  # Whipple = 100 exactly
    d = _deaths_with_ages({"01": heaped, "02": smooth})
    expected_01 = 500 * (480 + 8 * 5) / 680
    ind = f.ind_age_heaping_rows()
    ind.loc[(ind["region_code"] == "01") & (ind["measure"] == "age_at_death"), "whipple_index"] = expected_01
    ind.loc[(ind["region_code"] == "02") & (ind["measure"] == "age_at_death"), "whipple_index"] = 100.0
    ind["year"] = 2024
    wh = f.small_warehouse(tmp_path, {"fct_death": d, "fct_birth": f.births(), "ind_age_heaping": ind})
    results = validate(wh, "age_heaping", persist=False)
    [hit] = _failed(results, "age_heaping_whipple")
    assert hit.unexpected_count == 1 and hit.element_count == 2  # births' ages: too few to judge
    assert hit.sample_keys == ["01|2024|age_at_death"]
    assert hit.observed_value == f"whipple_index={expected_01}"
    assert not _failed(results, "whipple_indicator_agrees")


def test_indicator_disagreeing_with_the_facts_is_reported(tmp_path: Path) -> None:
    d = _deaths_with_ages({"02": list(range(23, 63)) * 15})
    ind = f.ind_age_heaping_rows()  # says 110 for every cell; the facts say 100
    wh = f.small_warehouse(tmp_path, {"fct_death": d, "fct_birth": f.births(), "ind_age_heaping": ind})
    results = validate(wh, "age_heaping", persist=False)
    assert not _failed(results, "age_heaping_whipple")
    [hit] = _failed(results, "whipple_indicator_agrees")
    assert hit.sample_keys == ["02|2024|age_at_death"] and hit.unexpected_count == 1


# ----------------------------------------------------------------------------- freshness
MONDAY_11_LOCAL = dt.datetime(2024, 6, 3, 10, 0, tzinfo=dt.UTC)  # Africa/Casablanca is UTC+1 in June


@pytest.mark.parametrize(("now", "judged"), [
    (MONDAY_11_LOCAL, True),
    (dt.datetime(2024, 6, 3, 7, 40, tzinfo=dt.UTC), False),  # 08:40 local: inside the first N minutes
    (dt.datetime(2024, 6, 3, 15, 45, tzinfo=dt.UTC), False),  # 16:45 local: closed
    (dt.datetime(2024, 6, 1, 10, 0, tzinfo=dt.UTC), False),  # Saturday
    (dt.datetime(2024, 7, 30, 10, 0, tzinfo=dt.UTC), False),  # Fête du Trône
    (dt.datetime(2024, 3, 11, 10, 0, tzinfo=dt.UTC), True),  # Ramadan: Casablanca at UTC+0, 10:00 local
])
def test_office_hours(now: dt.datetime, judged: bool) -> None:
    assert judged_now(now, default_config()) is judged


def _raw_newest_at(at: dt.datetime) -> pd.DataFrame:
    raw = f.raw_changes()
    raw.loc[raw.index[-1], "changed_at"] = at
    raw.loc[raw.index[-1], "landed_at"] = at + dt.timedelta(minutes=1)
    return raw


def test_stale_landing_in_office_hours_is_flagged(tmp_path: Path) -> None:
    wh = f.small_warehouse(tmp_path, raw=_raw_newest_at(MONDAY_11_LOCAL - dt.timedelta(minutes=45)))
    [hit] = _failed(validate(wh, "landing_freshness", persist=False, now=MONDAY_11_LOCAL), "landing_freshness")
    assert hit.severity == "warn" and hit.unexpected_count == 1
    assert hit.observed_value == "lag_minutes=45"


def test_fresh_landing_passes_and_stale_data_outside_hours_is_not_judged(tmp_path: Path) -> None:
    wh = f.small_warehouse(tmp_path, raw=_raw_newest_at(MONDAY_11_LOCAL - dt.timedelta(minutes=10)))
    assert all(r.success for r in validate(wh, "landing_freshness", persist=False, now=MONDAY_11_LOCAL))
    assert all(r.success for r in validate(wh, "landing_freshness", persist=False, now=QUIET_NOW))
