"""Generated aggregates match the reference figures within stated tolerances.

Tolerances: counts are compared with their expectation allowing 8% (registration losses at the
end of the history, rounding of rates) plus three Poisson standard deviations.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from registry_api.core.db import Registry
from registry_api.services import rules
from simulator import calibration as cal
from simulator import events as E
from simulator.bulk import load_history
from simulator.timeline import build, day_number
from tests.conftest import fresh_registry_url

END = dt.date(2026, 6, 30)
SCALE = 0.02


@pytest.fixture(scope="module")
def reg(_templates: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    urls = fresh_registry_url("sqlite", _templates, Path(tmp_path_factory.mktemp("calibration")))
    url = next(urls)
    load_history(url, years=2, scale=SCALE, seed=11, end_date=END, progress=False)
    r = Registry(url)
    yield r
    r.dispose()
    urls.close()


def _rows(reg: Registry, sql: str) -> list:  # type: ignore[type-arg]
    with reg.session(write=False) as s:
        return list(s.execute(text(sql)).all())


def _close(observed: float, expected: float) -> bool:
    return abs(observed - expected) <= 0.08 * expected + 3 * math.sqrt(expected)


def test_crude_birth_rate_per_region_matches_the_reference(reg: Registry) -> None:
    births = dict(_rows(reg, "select o.region_code, count(*) from acts a join offices o on o.office_code = a.office_code "
                             "where a.act_type = 'birth' and a.event_date between '2025-01-01' and '2025-12-31' group by 1"))
    tfr = {}
    for region in cal.offices().region_codes:
        expected = cal.expected_births(region, 2025) * SCALE
        assert _close(births.get(region, 0), expected), (region, births.get(region), expected)
        tfr[region] = cal.tfr(region, "total", 2024)
    national = sum(births.values()) / (sum(cal.region_population(r, 2025) for r in tfr) * SCALE) * 1000
    assert 16.0 <= national <= 19.5  # WDI 2019: 18.5, fertility down since (RGPH 2014 -> 2024)
    rates = [births[r] / cal.region_population(r, 2025) for r in tfr]
    assert np.corrcoef(rates, list(tfr.values()))[0, 1] > 0.6  # regions with more children per woman, more births


def test_sex_ratio_at_birth_is_about_105() -> None:
    tl = build(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    n = 400_000
    rng = np.random.default_rng(3)
    office = E.pick_offices(rng, n)
    births = E.births(rng, tl, office, np.full(n, day_number(dt.date(2025, 6, 1)), dtype=np.int32))
    males = int((births["sex"] == 0).sum())
    assert 103 <= 100 * males / (n - males) <= 107


def test_registry_sex_ratio_mother_age_and_mortality_are_plausible(reg: Registry) -> None:
    (m, f, mean_mother), = _rows(reg, "select sum(sex = 'M'), sum(sex = 'F'), avg(mother_age) from acts where act_type = 'birth'")
    assert 100 <= 100 * m / f <= 110
    assert 28.5 <= mean_mother <= 31.5
    (births,), = _rows(reg, "select count(*) from acts where act_type = 'birth' and event_date between '2025-01-01' and '2025-12-31'")
    (deaths, infants, men), = _rows(reg, "select count(*), sum(age_years = 0), sum(sex = 'M') from acts "
                                         "where act_type = 'death' and event_date between '2025-01-01' and '2025-12-31'")
    population = sum(cal.region_population(r, 2025) for r in cal.offices().region_codes) * SCALE
    assert 4.8 <= deaths / population * 1000 <= 6.8  # ENDPR 2009-10: 5.7 (urban 4.7, rural 7.4)
    assert 8 <= infants / births * 1000 <= 25  # UN IGME 2017: 20, falling
    assert 0.52 <= men / deaths <= 0.60  # ENDPR: men 6.5, women 5.1 per 1,000


def test_most_acts_are_registered_within_the_legal_deadline(reg: Registry) -> None:
    rows = _rows(reg, "select a.act_type, a.event_date, a.registration_date, o.office_kind from acts a "
                      "join offices o on o.office_code = a.office_code where a.event_date between '2024-07-01' and '2025-03-31'")
    classes = [rules.timeliness_class(dt.date.fromisoformat(str(e)), dt.date.fromisoformat(str(r)), t, abroad=k == "consular")
               for t, e, r, k in rows]
    share = {c: classes.count(c) / len(classes) for c in ("on_time", "late", "delayed")}
    assert 0.90 <= share["on_time"] <= 0.985
    assert 0.01 <= share["late"] <= 0.07
    assert 0.001 <= share["delayed"] <= 0.03


def test_marriages_and_divorces_per_year_and_their_season(reg: Registry) -> None:
    rows = _rows(reg, "select event_type, cast(substr(event_date, 6, 2) as integer), count(*), avg(husband_age), avg(wife_age) "
                      "from family_events where event_date between '2025-01-01' and '2025-12-31' group by 1, 2")
    marriages = {month: n for kind, month, n, _, _ in rows if kind == "marriage"}
    divorces = sum(n for kind, _, n, _, _ in rows if kind == "divorce")
    assert _close(sum(marriages.values()), cal.interpolate(cal.marriages_per_year(), 2025.5) * SCALE)
    assert _close(divorces, cal.interpolate(cal.divorces_per_year(), 2025.5) * SCALE)
    assert (marriages[7] + marriages[8]) / 2 > 1.3 * sum(marriages.values()) / 12  # summer peak
    husband, wife = next((h, w) for t, m, n, h, w in rows if t == "marriage" and m == 6)
    assert 29 <= husband <= 36 and 23 <= wife <= 29  # RGPH 2024 SMAM: men 32.4, women 24.6


def test_portal_share_grows_and_corrections_are_about_one_and_a_half_percent(reg: Registry) -> None:
    (acts, declared), = _rows(reg, "select count(*), count(declaration_id) from acts where registration_date >= '2025-07-01'")
    (early_acts, early_declared), = _rows(reg, "select count(*), count(declaration_id) from acts where registration_date < '2024-10-01'")
    assert 0.40 <= declared / acts <= 0.70 and declared / acts > early_declared / early_acts
    (corrected,), = _rows(reg, "select count(distinct act_id) from changes where entity_type = 'act' and change_kind in ('amend', 'correct')")
    (total,), = _rows(reg, "select count(*) from acts")
    assert 0.006 <= corrected / total <= 0.025  # ~1.5%, fewer for acts registered near the end


def test_document_requests_follow_the_stock_of_acts(reg: Registry) -> None:
    rows = _rows(reg, "select substr(requested_at, 1, 4), count(*) from document_requests group by 1 order by 1")
    per_year = dict(rows)
    assert int(per_year["2025"]) > int(per_year["2024"])  # more acts in the registry, more copies
    (issued, pending), = _rows(reg, "select sum(status = 'issued'), sum(status = 'requested') from document_requests")
    assert issued > 20 * max(pending, 1)  # counter copies are issued at once, portal ones within days
