"""Every indicator against values worked out by hand from the fixed change log (fixtures.py).

The story, in short (offices A, B in region 04; C in region 08; P the Paris consulate):
births 1, 2, 3, 9 at A and 4, 7 at B, 6 at C, 8 at P, 20 (1994) at A; act 2 registered as a boy
and corrected to a girl; act 3 registered late (75 days), act 4 delayed (594 days), act 7 on the
32nd day because day 30 was a Saturday; act 5 cancelled; deaths 10 (an infant) at A, 11 at B,
12 at C (its date corrected from December 2023 to January 2024); declaration 103 expired;
a marriage (court of Rabat) and a divorce (court of Errachidia); three notifications.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from tests.dbt_project.fixtures import OFFICE_A, OFFICE_B, OFFICE_C, OFFICE_P, Warehouse

D = dt.date.fromisoformat
CENSUS_2014, CENSUS_2024 = D("2014-09-01"), D("2024-09-01")
AS_OF = D("2024-03-20")
POP = {"04": (4_580_866, 5_132_639, 3_627_178), "08": (1_635_008, 1_655_623, 607_724)}  # 2014, 2024, urban 2024
TFR_2024 = {"04": 1.91, "08": 2.35}
TFR_NATIONAL, CBR_NATIONAL = 1.97, 18.5
CDR_URBAN, CDR_RURAL, CDR_MALE, CDR_FEMALE = 4.7, 7.4, 6.5, 5.1


def geometric(region: str, day: dt.date, extra_days: float = 0.0) -> float:
    p14, p24, _ = POP[region]
    t = ((day - CENSUS_2014).days + extra_days) / (CENSUS_2024 - CENSUS_2014).days
    return p14 * (p24 / p14) ** t


def days_in_month(month_start: dt.date) -> int:
    nxt = (month_start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (nxt - month_start).days


def days_in_year(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def rows_by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in rows}


def approx(value: float | None, rel: float = 1e-9) -> Any:
    return pytest.approx(value, rel=rel) if value is not None else None


# --------------------------------------------------------------------------- vital events
def test_vital_region_month_counts_and_rates(warehouse: Warehouse) -> None:
    rows = rows_by(warehouse.query("select * from ind_vital_region_month"), "region_code", "month_start")
    # every region-month any act version or family event fell in; nothing else (P has no region)
    assert set(rows) == {
        ("04", D("1994-03-01")), ("04", D("2022-06-01")), ("04", D("2024-01-01")), ("04", D("2024-02-01")),
        ("08", D("2023-12-01")), ("08", D("2024-01-01")), ("08", D("2024-02-01")),
    }
    jan = rows[("04", D("2024-01-01"))]
    # births 1 (M), 2 (corrected M -> F), 3 (F, registered late in March), 7 (F, at B), 9 (F)
    assert (jan["births"], jan["births_male"], jan["births_female"]) == (5, 1, 4)
    assert (jan["deaths"], jan["deaths_male"], jan["deaths_female"], jan["infant_deaths"]) == (1, 1, 0, 1)
    assert (jan["marriages"], jan["divorces"]) == (1, 0)
    assert jan["year"] == 2024 and jan["month"] == 1
    assert jan["region_name_fr"] == "Rabat-Salé-Kénitra" and jan["region_name_ar"] == "الرباط-سلا-القنيطرة"
    assert jan["sex_ratio_at_birth"] == approx(100 * 1 / 4)
    assert jan["mean_mother_age"] == approx((25 + 31 + 35 + 40 + 29) / 5)
    assert jan["infant_deaths_per_1000_births"] == approx(1000 * 1 / 5)
    population = geometric("04", D("2024-01-01"), 31 / 2)
    assert jan["population"] == approx(population)
    assert jan["crude_birth_rate"] == approx(5 * 1000 / population * 366 / 31)
    assert jan["crude_death_rate"] == approx(1 * 1000 / population * 366 / 31)

    feb = rows[("04", D("2024-02-01"))]  # act 5 cancelled: no birth; death 11 (F)
    assert (feb["births"], feb["deaths"], feb["deaths_female"]) == (0, 1, 1)
    assert feb["crude_birth_rate"] == 0
    assert feb["sex_ratio_at_birth"] is None and feb["mean_mother_age"] is None
    assert feb["infant_deaths_per_1000_births"] is None
    assert feb["crude_death_rate"] == approx(1000 / geometric("04", D("2024-02-01"), 29 / 2) * 366 / 29)

    old = rows[("04", D("1994-03-01"))]  # extrapolated 20 years before the 2014 census
    assert old["births"] == 1 and old["mean_mother_age"] == 20
    assert old["population"] == approx(geometric("04", D("1994-03-01"), 31 / 2))
    assert old["population"] < POP["04"][0]
    assert old["crude_birth_rate"] == approx(1000 / old["population"] * 365 / 31)

    assert rows[("04", D("2022-06-01"))]["births_male"] == 1  # act 4, registered in 2024
    dec = rows[("08", D("2023-12-01"))]  # act 12 moved out by its correction
    assert (dec["births"], dec["deaths"], dec["crude_death_rate"]) == (0, 0, 0)
    assert (rows[("08", D("2024-01-01"))]["births"], rows[("08", D("2024-01-01"))]["deaths"]) == (1, 1)
    assert (rows[("08", D("2024-02-01"))]["divorces"], rows[("08", D("2024-02-01"))]["marriages"]) == (1, 0)


def test_synthetic_registry_scales_the_population_rates_divide_by(warehouse: Warehouse) -> None:
    """A registry of simulated activity at 2% of the national volume (registry setting
    synthetic_scale, set by the bulk simulator) gets real-looking rates: the population is scaled
    by the same share. Rebuilt here and restored, so the session warehouse stays a real registry's."""
    models = "stg_registry__settings int_region_population__yearly int_region_population__monthly ind_vital_region_month"
    placeholder = "?" if warehouse.kind == "duckdb" else "%s"
    warehouse.execute(f"insert into raw.registry_settings values ({placeholder}, {placeholder})", ["synthetic_scale", "0.02"])
    try:
        warehouse.dbt("run", "--full-refresh", "--select", models)
        jan = rows_by(warehouse.query("select * from ind_vital_region_month"), "region_code", "month_start")[
            ("04", D("2024-01-01"))]
        population = geometric("04", D("2024-01-01"), 31 / 2) * 0.02
        assert jan["population"] == approx(population)
        assert jan["crude_birth_rate"] == approx(5 * 1000 / population * 366 / 31)
        yearly = {(r["region_code"], r["year"]): r["population"]
                  for r in warehouse.query("select region_code, year, population from int_region_population__yearly")}
        assert yearly[("04", 2024)] == approx(geometric("04", D("2024-07-01")) * 0.02)
    finally:
        warehouse.execute("delete from raw.registry_settings")
        warehouse.dbt("run", "--full-refresh", "--select", models)
    again = rows_by(warehouse.query("select * from ind_vital_region_month"), "region_code", "month_start")
    assert again[("04", D("2024-01-01"))]["population"] == approx(geometric("04", D("2024-01-01"), 31 / 2))


# --------------------------------------------------------------------------- timeliness
def test_timeliness_by_office_and_registration_month(warehouse: Warehouse) -> None:
    rows = rows_by(warehouse.query("select * from ind_timeliness"), "office_code", "registration_month", "event_type")
    expected = {  # (office, month, type): (registrations, on_time, late, delayed, region)
        (OFFICE_A, D("1994-03-01"), "birth"): (1, 1, 0, 0, "04"),
        (OFFICE_A, D("2024-01-01"), "birth"): (3, 3, 0, 0, "04"),  # acts 1, 9, 2
        (OFFICE_A, D("2024-01-01"), "death"): (1, 1, 0, 0, "04"),
        (OFFICE_A, D("2024-02-01"), "birth"): (0, 0, 0, 0, "04"),  # act 5 cancelled
        (OFFICE_A, D("2024-03-01"), "birth"): (1, 0, 1, 0, "04"),  # act 3, 75 days
        (OFFICE_B, D("2024-01-01"), "birth"): (1, 0, 0, 1, "04"),  # act 4, 594 days
        (OFFICE_B, D("2024-02-01"), "birth"): (1, 1, 0, 0, "04"),  # act 7, deadline moved to Monday
        (OFFICE_B, D("2024-02-01"), "death"): (1, 1, 0, 0, "04"),
        (OFFICE_C, D("2024-01-01"), "birth"): (1, 1, 0, 0, "08"),
        (OFFICE_C, D("2024-01-01"), "death"): (1, 1, 0, 0, "08"),
        (OFFICE_P, D("2024-01-01"), "birth"): (1, 1, 0, 0, None),  # abroad: 1-year deadline
    }
    assert set(rows) == set(expected)
    for key, (n, on_time, late, delayed, region) in expected.items():
        row = rows[key]
        assert (row["registrations"], row["on_time"], row["late"], row["delayed"], row["region_code"]) == (
            n, on_time, late, delayed, region), key
        if n:
            assert row["share_on_time"] == approx(on_time / n)
            assert row["share_late"] == approx(late / n)
            assert row["share_delayed"] == approx(delayed / n)
        else:
            assert row["share_on_time"] is None


def test_timeliness_of_every_act_follows_the_registry_rule(warehouse: Warehouse) -> None:
    """The SQL deadline (vars + dim_date working days) agrees with registry_api.services.rules."""
    from registry_api.services.rules import legal_deadline, timeliness_class

    acts = warehouse.query(
        "select 'birth' as act_type, act_id, event_date, registration_date, deadline_date, timeliness_class,"
        " registration_delay_days, is_abroad from fct_birth union all "
        "select 'death', act_id, event_date, registration_date, deadline_date, timeliness_class,"
        " registration_delay_days, is_abroad from fct_death"
    )
    assert len(acts) == 13
    for a in acts:
        assert a["deadline_date"] == legal_deadline(a["act_type"], a["event_date"], abroad=a["is_abroad"]), a
        assert a["timeliness_class"] == timeliness_class(
            a["event_date"], a["registration_date"], a["act_type"], abroad=a["is_abroad"]), a
        assert a["registration_delay_days"] == (a["registration_date"] - a["event_date"]).days
    by_id = {a["act_id"]: a for a in acts}
    assert by_id[7]["registration_delay_days"] == 32 and by_id[7]["timeliness_class"] == "on_time"
    assert by_id[3]["timeliness_class"] == "late" and by_id[4]["timeliness_class"] == "delayed"


# --------------------------------------------------------------------------- completeness
def test_completeness_registered_and_expected(warehouse: Warehouse) -> None:
    rows = rows_by(warehouse.query("select * from ind_completeness"), "region_code", "year", "sex", "event_type")
    assert len(rows) == 2 * 31 * 2 * 2  # regions x 1994..2024 x sex x event type
    assert all(r["expected"] > 0 for r in rows.values())

    def expected(region: str, year: int, sex: str, event_type: str) -> float:
        p14, p24, urban = POP[region]
        population = geometric(region, dt.date(year, 7, 1))
        observed = (AS_OF - dt.date(year, 1, 1)).days + 1 if year == AS_OF.year else days_in_year(year)
        if event_type == "birth":
            rate = CBR_NATIONAL * TFR_2024[region] / TFR_NATIONAL
            share = 105 / 205 if sex == "M" else 100 / 205
        else:
            u = urban / p24
            rate = u * CDR_URBAN + (1 - u) * CDR_RURAL
            share = CDR_MALE / (CDR_MALE + CDR_FEMALE) if sex == "M" else CDR_FEMALE / (CDR_MALE + CDR_FEMALE)
        return population * rate / 1000 * observed / 365 * share

    for key in [("04", 2024, "F", "birth"), ("04", 2023, "M", "death"), ("08", 1994, "F", "death"),
                ("08", 2024, "M", "birth"), ("04", 2024, "M", "death")]:
        assert rows[key]["expected"] == approx(expected(*key)), key
    # 80 days of 2024 are observed (to 2024-03-20)
    assert rows[("04", 2024, "F", "birth")]["expected"] == approx(
        geometric("04", D("2024-07-01")) * 18.5 * 1.91 / 1.97 / 1000 * 80 / 365 * 100 / 205)

    def registered(key: tuple[Any, ...]) -> tuple[int, int, int]:
        r = rows[key]
        return r["registered_within_deadline"], r["registered_within_1y"], r["registered_within_5y"]

    assert registered(("04", 2024, "F", "birth")) == (3, 4, 4)  # 2, 7, 9 on time; 3 late
    assert registered(("04", 2024, "M", "birth")) == (1, 1, 1)  # act 1
    assert registered(("04", 2022, "M", "birth")) == (0, 0, 1)  # act 4: 594 days
    assert registered(("04", 1994, "M", "birth")) == (1, 1, 1)  # act 20
    assert registered(("04", 2024, "M", "death")) == (1, 1, 1)  # act 10
    assert registered(("04", 2024, "F", "death")) == (1, 1, 1)  # act 11
    assert registered(("08", 2023, "M", "death")) == (0, 0, 0)  # act 12 moved to 2024
    assert registered(("08", 2024, "M", "death")) == (1, 1, 1)
    assert registered(("04", 2024, "F", "death")) == (1, 1, 1)
    r = rows[("04", 2024, "F", "birth")]
    assert r["completeness_deadline"] == approx(3 / r["expected"])
    assert r["completeness_1y"] == approx(4 / r["expected"])
    assert rows[("04", 2022, "M", "birth")]["completeness_1y"] == 0


# --------------------------------------------------------------------------- office daily
def test_office_daily_activity_backlog_and_lags(warehouse: Warehouse) -> None:
    rows = warehouse.query("select * from ind_office_daily")
    per_office: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        per_office.setdefault(r["office_code"], []).append(r)
    spans = {o: (min(r["day"] for r in rs), max(r["day"] for r in rs), len(rs)) for o, rs in per_office.items()}
    assert spans == {
        OFFICE_A: (D("2018-01-01"), AS_OF, (AS_OF - D("2018-01-01")).days + 1),  # floor: office_daily_start_date
        OFFICE_B: (D("2019-04-01"), AS_OF, (AS_OF - D("2019-04-01")).days + 1),  # live_since
        OFFICE_C: (D("2023-07-03"), AS_OF, (AS_OF - D("2023-07-03")).days + 1),
        OFFICE_P: (D("2022-03-07"), AS_OF, (AS_OF - D("2022-03-07")).days + 1),
    }
    day = rows_by(rows, "office_code", "day")
    cols = ("births_registered", "deaths_registered", "acts_registered", "declarations_received",
            "declarations_registered", "declarations_rejected", "declarations_expired", "backlog_end_of_day",
            "documents_issued", "notifications_waiting")
    expected = {
        (OFFICE_A, "2024-01-04"): (0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (OFFICE_A, "2024-01-05"): (0, 0, 0, 1, 0, 0, 0, 1, 0, 0),
        (OFFICE_A, "2024-01-08"): (0, 0, 0, 1, 0, 0, 0, 2, 0, 0),
        (OFFICE_A, "2024-01-12"): (0, 0, 0, 0, 0, 0, 0, 3, 0, 0),
        (OFFICE_A, "2024-01-15"): (2, 0, 2, 0, 2, 0, 0, 1, 0, 0),
        (OFFICE_A, "2024-01-16"): (0, 0, 0, 0, 0, 0, 0, 1, 0, 1),
        (OFFICE_A, "2024-01-17"): (0, 0, 0, 0, 0, 0, 0, 1, 0, 0),
        (OFFICE_A, "2024-01-19"): (0, 1, 1, 0, 0, 0, 0, 1, 0, 0),
        (OFFICE_A, "2024-01-20"): (0, 0, 0, 0, 0, 0, 0, 1, 1, 0),
        (OFFICE_A, "2024-01-22"): (0, 0, 0, 1, 0, 0, 0, 2, 0, 0),
        (OFFICE_A, "2024-01-25"): (1, 0, 1, 0, 1, 0, 0, 1, 0, 0),
        (OFFICE_A, "2024-02-06"): (0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
        (OFFICE_A, "2024-02-10"): (0, 0, 0, 1, 0, 0, 0, 1, 0, 0),
        (OFFICE_A, "2024-02-12"): (0, 0, 0, 0, 0, 0, 0, 1, 0, 0),  # act 5 (cancelled) not counted
        (OFFICE_A, "2024-03-20"): (1, 0, 1, 0, 0, 0, 0, 1, 0, 0),
        (OFFICE_B, "2024-01-20"): (0, 0, 0, 1, 0, 0, 0, 1, 0, 0),
        (OFFICE_B, "2024-02-01"): (0, 0, 0, 1, 0, 0, 0, 2, 0, 0),
        (OFFICE_B, "2024-02-02"): (0, 0, 0, 0, 0, 1, 0, 1, 0, 0),
        (OFFICE_B, "2024-02-05"): (1, 0, 1, 0, 1, 0, 0, 0, 0, 0),
        (OFFICE_C, "2024-01-15"): (0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (OFFICE_C, "2024-01-16"): (0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
        (OFFICE_C, "2024-02-06"): (0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
        (OFFICE_C, "2024-02-07"): (0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
        (OFFICE_C, "2024-03-20"): (0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    }
    for (office, iso), values in expected.items():
        row = day[(office, D(iso))]
        assert tuple(row[c] for c in cols) == values, (office, iso)
    jan15 = day[(OFFICE_A, D("2024-01-15"))]  # declarations 101 (4 days) and 107 (10 days)
    assert jan15["p50_days_to_registration"] == approx(7.0)
    assert jan15["p90_days_to_registration"] == approx(4 + 0.9 * (10 - 4))
    assert day[(OFFICE_B, D("2024-02-05"))]["p50_days_to_registration"] == approx(16.0)
    assert day[(OFFICE_A, D("2024-01-16"))]["p50_days_to_registration"] is None
    assert (jan15["region_code"], jan15["province_code"]) == ("04", "04.421")
    assert day[(OFFICE_P, D("2024-01-10"))]["births_registered"] == 1
    assert day[(OFFICE_P, D("2024-01-10"))]["region_code"] is None
    assert sum(r["acts_registered"] for r in rows) == 11  # 13 acts - act 5 (cancelled) - act 20 (1994)


# --------------------------------------------------------------------------- notifications
def test_notification_lag(warehouse: Warehouse) -> None:
    rows = rows_by(warehouse.query("select * from ind_notification_lag"), "from_region_code", "to_region_code",
                   "event_type")
    assert set(rows) == {("04", "04", "marriage"), ("04", "08", "marriage"), ("04", "08", "death")}
    assert (rows[("04", "04", "marriage")]["notifications"], rows[("04", "04", "marriage")]["applied"]) == (1, 1)
    assert rows[("04", "04", "marriage")]["p50_hours"] == approx(24.0)
    assert rows[("04", "04", "marriage")]["p95_hours"] == approx(24.0)
    assert (rows[("04", "08", "marriage")]["applied"], rows[("04", "08", "marriage")]["p50_hours"]) == (0, None)
    assert rows[("04", "08", "death")]["p50_hours"] == approx(36.0)
    facts = rows_by(warehouse.query("select * from fct_notification"), "notification_id")
    assert (facts[(1,)]["hours_to_receive"], facts[(1,)]["hours_to_apply"], facts[(1,)]["hours_total"]) == (
        approx(12.0), approx(12.0), approx(24.0))
    assert (facts[(3,)]["hours_to_receive"], facts[(3,)]["hours_to_apply"]) == (approx(23.0), approx(13.0))
    assert facts[(2,)]["hours_total"] is None and facts[(2,)]["status"] == "received"
    assert facts[(3,)]["from_region_code"] == "04" and facts[(1,)]["from_region_code"] == "04"  # court of Rabat


# --------------------------------------------------------------------------- roll-out
def test_rollout_offices_live_and_electronic_share(warehouse: Warehouse, fixture_reference) -> None:
    rows = rows_by(warehouse.query("select * from ind_rollout"), "region_code", "month_start")
    assert len(rows) == 2 * (30 * 12 + 1)  # 1994-03 .. 2024-03, two regions
    offices = [o for o in fixture_reference["registry_offices"] if o["region_code"] in ("04", "08")]

    def live(region: str, month_end: dt.date) -> tuple[int, int]:
        mine = [o for o in offices if o["region_code"] == region]
        return len(mine), sum(o["live_since"] <= month_end for o in mine)

    for region, month, month_end in [("04", D("2019-01-01"), D("2019-01-31")), ("08", D("2023-07-01"), D("2023-07-31")),
                                     ("08", D("2024-01-01"), D("2024-01-31")), ("04", D("2018-02-01"), D("2018-02-28"))]:
        row = rows[(region, month)]
        total, n_live = live(region, month_end)
        assert (row["offices_total"], row["offices_live"]) == (total, n_live), (region, month)
        assert row["share_offices_live"] == approx(n_live / total)
    assert 0 < rows[("08", D("2023-07-01"))]["offices_live"] < rows[("08", D("2023-07-01"))]["offices_total"]
    # registrations by month: 04 Jan 2024 = acts 1, 9, 10, 2, 4; Feb = 7, 11 (5 cancelled); 1994 = act 20 (paper era)
    assert (rows[("04", D("2024-01-01"))]["events"], rows[("04", D("2024-01-01"))]["events_electronic"]) == (5, 5)
    assert rows[("04", D("2024-02-01"))]["events"] == 2
    assert (rows[("04", D("1994-03-01"))]["events"], rows[("04", D("1994-03-01"))]["share_electronic"]) == (1, 0.0)
    assert rows[("04", D("1994-03-01"))]["offices_live"] == 0
    assert (rows[("08", D("2024-01-01"))]["events"], rows[("08", D("2024-01-01"))]["share_electronic"]) == (2, 1.0)
    assert rows[("08", D("2023-12-01"))]["share_electronic"] is None


# --------------------------------------------------------------------------- age heaping
def test_whipple_index(warehouse: Warehouse) -> None:
    rows = rows_by(warehouse.query("select * from ind_age_heaping"), "region_code", "year", "measure")
    expected = {
        # mothers 25, 31, 35, 40, 29 -> 3 of 5 on a multiple of 5: 100 * 3 / (5 / 5)
        ("04", 2024, "mother_age"): (5, 300.0),
        ("04", 2024, "father_age"): (5, 300.0),  # 30, 36, 40, 45, 34
        ("04", 2024, "age_at_death"): (0, None),  # 0 and 70: outside 23-62
        ("04", 2022, "mother_age"): (1, 0.0),
        ("04", 2022, "father_age"): (1, 0.0),
        ("04", 1994, "mother_age"): (0, None),  # 20
        ("04", 1994, "father_age"): (1, 500.0),  # 25
        ("08", 2024, "mother_age"): (0, None),  # 22
        ("08", 2024, "father_age"): (1, 0.0),  # 27
        ("08", 2024, "age_at_death"): (1, 500.0),  # 45
    }
    assert set(rows) == set(expected)
    for key, (n, whipple) in expected.items():
        assert rows[key]["n_ages_23_62"] == n, key
        assert rows[key]["whipple_index"] == (approx(whipple) if whipple is not None else None), key


# --------------------------------------------------------------------------- facts
def test_birth_facts_flags_cancelled_and_corrected(warehouse: Warehouse) -> None:
    births = rows_by(warehouse.query("select * from fct_birth"), "act_id")
    assert set(births) == {(i,) for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 20)}
    assert births[(5,)]["is_cancelled"] is True and births[(1,)]["is_cancelled"] is False
    assert (births[(2,)]["sex"], births[(2,)]["is_corrected"], births[(2,)]["correction_count"], births[(2,)]["version"]) == (
        "F", True, 1, 2)
    assert (births[(6,)]["is_corrected"], births[(6,)]["version"]) == (False, 2)  # an amendment is not a correction
    assert births[(4,)]["registration_basis"] == "declaratory_judgment"
    assert births[(8,)]["region_code"] is None and births[(8,)]["is_abroad"] is True
    assert births[(20,)]["is_electronic"] is False and births[(1,)]["is_electronic"] is True
    assert births[(1,)]["event_month"] == D("2024-01-01") and births[(1,)]["commune_code"] == OFFICE_A
    deaths = rows_by(warehouse.query("select * from fct_death"), "act_id")
    assert (deaths[(10,)]["is_infant"], deaths[(10,)]["age_group"]) == (True, "0")
    assert (deaths[(11,)]["is_infant"], deaths[(11,)]["age_group"], deaths[(11,)]["national_id_present"]) == (
        False, "65-74", True)
    assert (deaths[(12,)]["event_date"], deaths[(12,)]["is_corrected"], deaths[(12,)]["age_group"]) == (
        D("2024-01-25"), True, "45-54")


def test_declaration_document_and_family_facts(warehouse: Warehouse) -> None:
    decl = rows_by(warehouse.query("select * from fct_declaration"), "declaration_id")
    assert {k[0]: v["status"] for k, v in decl.items()} == {
        101: "registered", 102: "registered", 103: "expired", 104: "rejected", 105: "under_review",
        106: "registered", 107: "registered"}
    assert {k[0]: v["days_to_registration"] for k, v in decl.items() if v["status"] == "registered"} == {
        101: 4, 102: 16, 106: 3, 107: 10}
    assert decl[(103,)]["decided_date"] == D("2024-02-06")  # dated by the expire change
    assert (decl[(105,)]["is_pending"], decl[(105,)]["is_overdue"]) == (True, True)  # deadline 03-11 < as-of 03-20
    assert decl[(101,)]["is_pending"] is False and decl[(101,)]["act_id"] == 1
    docs = rows_by(warehouse.query("select * from fct_document_request"), "request_id")
    assert docs[(1,)]["hours_to_issue"] == approx(2.5)
    assert docs[(2,)]["status"] == "refused" and docs[(2,)]["hours_to_issue"] is None
    marriage = warehouse.query("select * from fct_marriage")
    assert [(m["family_event_id"], m["region_code"], m["notes_applied"], m["notes_expected"]) for m in marriage] == [
        (1, "04", 1, 2)]
    divorce = warehouse.query("select * from fct_divorce")
    assert [(d["region_code"], d["divorce_kind"], d["notes_expected"]) for d in divorce] == [("08", "talaq", 0)]
    changes = rows_by(warehouse.query("select * from fct_act_change"), "change_id")
    summary = sorted((v["act_id"], v["change_kind"], v["note_kind"], v["legal_basis_kind"]) for v in changes.values())
    assert summary == [
        (2, "correct", None, "court_judgment"),
        (5, "cancel", None, None),
        (6, "amend", None, None),
        (12, "correct", None, "administrative"),
        (20, "marginal_note", "marriage", None),
    ]
    assert changes[(5,)]["act_id"] == 2  # the late correction kept its low change id


def test_calendar_working_days(warehouse: Warehouse) -> None:
    rows = rows_by(warehouse.query(
        "select * from dim_date where date_day in ('2024-02-03', '2024-05-01', '2024-05-02', '2024-01-11', '2024-01-14')"),
        "date_day")
    assert rows[(D("2024-02-03"),)]["is_working_day"] is False  # Saturday
    assert rows[(D("2024-02-03"),)]["next_working_day"] == D("2024-02-05")
    assert rows[(D("2024-05-01"),)]["is_working_day"] is False  # Fête du travail, a Wednesday
    assert rows[(D("2024-05-01"),)]["next_working_day"] == D("2024-05-02")
    assert rows[(D("2024-05-02"),)]["day_of_week"] == 4 and rows[(D("2024-05-02"),)]["is_working_day"] is True
    assert rows[(D("2024-01-11"),)]["is_working_day"] is False  # a Thursday holiday


def test_dim_geography_and_region(warehouse: Warehouse, fixture_reference) -> None:
    geo = rows_by(warehouse.query("select * from dim_geography"), "office_code")
    assert len(geo) == len(fixture_reference["registry_offices"])
    a = geo[(OFFICE_A,)]
    assert (a["commune_name_fr"], a["province_name_fr"], a["region_name_fr"], a["live_since"]) == (
        "Touarga", "Rabat", "Rabat-Salé-Kénitra", D("2018-02-28"))
    assert a["office_name_ar"] and a["commune_name_ar"] == "التواركة"
    assert geo[(OFFICE_P,)]["region_code"] is None and geo[(OFFICE_P,)]["country_code"] == "FR"
    regions = rows_by(warehouse.query("select * from dim_region"), "region_code")
    assert set(regions) == {("04",), ("08",)}
    assert (regions[("04",)]["population_2014"], regions[("04",)]["population_2024"]) == POP["04"][:2]
    assert regions[("08",)]["cbr_reference"] == approx(18.5 * 2.35 / 1.97)
    u = POP["08"][2] / POP["08"][1]
    assert regions[("08",)]["cdr_reference"] == approx(u * 4.7 + (1 - u) * 7.4)
    assert not math.isclose(regions[("04",)]["cdr_reference"], regions[("08",)]["cdr_reference"])
