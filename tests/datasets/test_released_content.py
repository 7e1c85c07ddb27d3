"""What the released files say: true counts where published, no count of 1–4 anywhere, and an
attacker holding every released file (commune, province and region tables together) cannot
recompute a withheld count. Plus the electoral-roll extract's exact content."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from datasets.release import release_all
from tests.datasets.attacker import recoverable
from tests.datasets.conftest import Released

AGGREGATES = {
    "births_commune_month_sex": ["births"],
    "deaths_province_month_sex_age": ["deaths"],
    "vital_events_region_year": ["births", "births_male", "births_female", "deaths", "deaths_male", "deaths_female",
                                 "infant_deaths", "marriages", "divorces"],
}


def _rows(r: Released, name: str) -> list[dict]:
    res = r.results[name]
    return pq.read_table(res.path / f"{name}.parquet").to_pylist()


def _published(r: Released) -> duckdb.DuckDBPyConnection:
    path = (r.data_dir / "published" / (r.data_dir / "published" / "CURRENT").read_text().strip())
    return duckdb.connect(str(path), read_only=True)


def test_no_count_of_one_to_four_is_published(released: Released) -> None:
    for name, cols in AGGREGATES.items():
        rows = _rows(released, name)
        for row in rows:
            for c in cols:
                assert row[c] is None or row[c] == 0 or row[c] >= 5, (name, c, row[c])
        if "is_suppressed" in rows[0]:
            assert all((row["is_suppressed"]) == (row[cols[0]] is None) for row in rows)
            assert any(row["is_suppressed"] for row in rows) and not all(row["is_suppressed"] for row in rows)


def test_published_counts_are_the_true_counts(released: Released) -> None:
    con = _published(released)
    try:
        truth = dict(((c, m, s), n) for c, m, s, n in con.execute(
            "select commune_code, event_month, sex, count(*) from fct_birth where not is_cancelled group by all").fetchall())
        deaths = dict(((p, m, s, a), n) for p, m, s, a, n in con.execute(
            "select province_code, event_month, sex, coalesce(age_group, 'unknown'), count(*) from fct_death "
            "where not is_cancelled group by all").fetchall())
        region_births = dict(((y, r), n) for y, r, n in con.execute(
            "select year(event_month), region_code, count(*) from fct_birth where not is_cancelled and commune_code is not null "
            "group by all").fetchall())
    finally:
        con.close()
    checked = 0
    for row in _rows(released, "births_commune_month_sex"):
        if row["births"] is not None and row["sex"] != "T":
            assert row["births"] == truth.get((row["commune_code"], row["month_start"], row["sex"]), 0)
            checked += 1
    for row in _rows(released, "deaths_province_month_sex_age"):
        if row["deaths"] is not None and row["sex"] != "T" and row["age_group"] != "all":
            key = (row["province_code"], row["month_start"], row["sex"], row["age_group"])
            assert row["deaths"] == deaths.get(key, 0)
            checked += 1
    for row in _rows(released, "vital_events_region_year"):
        if row["births"] is not None:
            assert row["births"] == region_births[(row["year"], row["region_code"])]
            assert row["crude_birth_rate"] == pytest.approx(round(1000 * row["births"] / row["population"], 2))
        else:
            assert row["crude_birth_rate"] is None and row["has_suppressed"]
    assert checked > 1000


def _attack(unknowns: dict[tuple, int], equations: list[tuple[dict[tuple, float], float]]) -> set[tuple]:
    """Propagate single-unknown equations, then the exact linear attack per component."""
    known: dict[tuple, float] = {}
    changed = True
    while changed:
        changed = False
        for coefs, rhs in equations:
            free = [k for k in coefs if k in unknowns and k not in known]
            if len(free) == 1:
                k = free[0]
                known[k] = (rhs - sum(c * known.get(j, 0) for j, c in coefs.items() if j != k)) / coefs[k]
                changed = True
    cols = {k: i for i, k in enumerate(unknowns)}
    a = np.zeros((len(equations), len(cols)))
    for e, (coefs, _) in enumerate(equations):
        for k, c in coefs.items():
            if k in cols:
                a[e, cols[k]] += c
    a = a[np.abs(a).sum(axis=1) > 0]
    names = list(cols)
    return set(known) | {names[i] for i in recoverable(a)}


def _births_system(rows: list[dict], region_rows: list[dict], region: str, year: int) -> tuple[dict, list]:
    """Everything an attacker can write about one region-year of births from the two files."""
    cells = {(r["commune_code"], r["month_start"].month, r["sex"]): r for r in rows
             if r["region_code"] == region and r["month_start"].year == year}
    unknowns = {k: 0 for k, r in cells.items() if r["births"] is None}
    equations: list[tuple[dict[tuple, float], float]] = []

    def term(k: tuple, c: float, coefs: dict, rhs: list) -> None:
        if k in unknowns:
            coefs[k] = coefs.get(k, 0) + c
        else:
            rhs[0] -= c * cells[k]["births"]

    for commune, month, _ in {(c, m, 0) for c, m, _ in cells}:
        coefs: dict[tuple, float] = {}
        rhs = [0.0]
        term((commune, month, "T"), 1, coefs, rhs)
        term((commune, month, "M"), -1, coefs, rhs)
        term((commune, month, "F"), -1, coefs, rhs)
        if coefs:
            equations.append((coefs, rhs[0]))
    total = next(r for r in region_rows if r["region_code"] == region and r["year"] == year)
    for sex, col in (("T", "births"), ("M", "births_male"), ("F", "births_female")):
        coefs, rhs = {}, [0.0]
        if total[col] is None:
            unknowns[("region", year, sex)] = 0
            coefs[("region", year, sex)] = 1.0
        else:
            rhs[0] = -float(total[col])
        for k in cells:
            if k[2] == sex:
                term(k, -1, coefs, rhs)
        if coefs:
            equations.append((coefs, rhs[0]))
    return unknowns, equations


def test_attacker_with_every_released_file_recovers_no_withheld_birth_count(released: Released) -> None:
    rows = _rows(released, "births_commune_month_sex")
    region_rows = _rows(released, "vital_events_region_year")
    attacked = 0
    for region in ("11", "12"):
        for year in (2023, 2024):
            unknowns, equations = _births_system(rows, region_rows, region, year)
            assert not _attack(unknowns, equations), (region, year)
            attacked += len(unknowns)
    assert attacked > 300  # the attack had plenty to work on


def _deaths_system(cells: dict[tuple, dict], total: dict) -> tuple[dict, list]:
    """Everything an attacker can write about one region-year of deaths from the two files."""
    unknowns = {k: 0 for k, r in cells.items() if r["deaths"] is None}
    equations: list[tuple[dict[tuple, float], float]] = []

    def add(parts: list[tuple[tuple, float]], rhs: float = 0.0) -> None:
        coefs: dict[tuple, float] = {}
        for k, c in parts:
            if k in unknowns:
                coefs[k] = coefs.get(k, 0) + c
            else:
                rhs -= c * (cells[k]["deaths"] if k in cells else 0)
        if coefs:
            equations.append((coefs, rhs))

    ages = sorted({k[3] for k in cells} - {"all"})
    for p, m in {(k[0], k[1]) for k in cells}:
        for a in [*ages, "all"]:
            add([((p, m, "T", a), 1), ((p, m, "M", a), -1), ((p, m, "F", a), -1)])
        for s in ("T", "M", "F"):
            add([((p, m, s, "all"), 1)] + [((p, m, s, a), -1) for a in ages])
    for col, sex, age in (("deaths", "T", "all"), ("deaths_male", "M", "all"), ("deaths_female", "F", "all"),
                          ("infant_deaths", "T", "0")):
        parts = [(k, -1.0) for k in cells if k[2] == sex and k[3] == age]
        if total[col] is None:
            unknowns[("region", col)] = 0
            add([(("region", col), 1.0), *parts])
        else:
            add(parts, -float(total[col]))
    return unknowns, equations


def test_attacker_with_every_released_file_recovers_no_withheld_death_count(released: Released) -> None:
    rows = [r for r in _rows(released, "deaths_province_month_sex_age") if r["month_start"].year == 2023]
    region_rows = {r["region_code"]: r for r in _rows(released, "vital_events_region_year") if r["year"] == 2023}
    by_region: dict[str, dict[tuple, dict]] = defaultdict(dict)
    for r in rows:
        by_region[r["region_code"]][(r["province_code"], r["month_start"].month, r["sex"], r["age_group"])] = r
    attacked = 0
    for region, cells in by_region.items():
        unknowns, equations = _deaths_system(cells, region_rows[region])
        assert not _attack(unknowns, equations), region
        attacked += len(unknowns)
    assert attacked > 300


def test_withheld_small_counts_keep_a_wide_interval(released: Released) -> None:
    """LP attack (non-negativity included) on one region-year of births: every withheld true
    count of 1–4 could be higher than it is, and at least three integers stay possible."""
    from scipy.optimize import linprog

    con = _published(released)
    try:
        truth = dict(((c, m.month, s), n) for c, m, s, n in con.execute(
            "select commune_code, event_month, sex, count(*) from fct_birth where not is_cancelled "
            "and region_code = '12' and year(event_month) = 2024 group by all").fetchall())
    finally:
        con.close()
    unknowns, equations = _births_system(_rows(released, "births_commune_month_sex"),
                                         _rows(released, "vital_events_region_year"), "12", 2024)
    names = list(unknowns)
    a = np.array([[coefs.get(k, 0.0) for k in names] for coefs, _ in equations])
    b = np.array([rhs for _, rhs in equations])
    small = [k for k in names if k[0] != "region" and k[2] != "T" and 1 <= truth.get(k, 0) <= 4]
    assert len(small) >= 10
    for k in small[:60]:
        c = np.zeros(len(names))
        c[names.index(k)] = 1
        low = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        assert low.status == 0 and high.status in (0, 3)  # 3: unbounded above
        lo, hi = low.fun, (math.inf if high.status == 3 else -high.fun)
        v = truth[k]
        assert hi >= v + 1 - 1e-6, (k, v, lo, hi)  # "at most v" is never learnt
        assert math.isinf(hi) or math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) >= 2, (k, v, lo, hi)


def test_electoral_roll_extract_is_exactly_the_adult_active_deaths_with_an_id(released: Released) -> None:
    import sqlite3

    r = released.results["deceased_adults_national_id"]
    rows = pq.read_table(r.path / f"{r.name}.parquet").to_pylist()
    con = _published(released)
    try:
        adults = {a: (d, rd, f"{o}/{y}/{n}") for a, d, rd, o, y, n in con.execute(
            "select act_id, event_date, registration_date, office_code, register_year, act_number from fct_death "
            "where not is_cancelled and age_years >= 18").fetchall()}
    finally:
        con.close()
    reg = sqlite3.connect(released.registry_url.removeprefix("sqlite:///"))
    ids = dict(reg.execute("select act_id, national_id from acts where act_type = 'death' and status = 'active' "
                           "and national_id is not null").fetchall())
    reg.close()
    expected = sorted((ids[a], *adults[a]) for a in adults if a in ids)
    got = sorted((x["national_id"], x["date_of_death"], x["registration_date"], x["death_act_reference"]) for x in rows)
    assert got == expected and len(got) > 100


def test_electoral_roll_extract_drops_acts_cancelled_since_in_the_registry(fresh_env) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    wh, settings, url = fresh_env
    before = release_all(wh, settings=settings, names=["deceased_adults_national_id"])[0]
    first = pq.read_table(before.path / "deceased_adults_national_id.parquet").to_pylist()[0]
    reg = sqlite3.connect(url.removeprefix("sqlite:///"))
    reg.execute("update acts set status = 'cancelled' where national_id = ?", [first["national_id"]])
    reg.commit()
    reg.close()
    after = release_all(wh, settings=settings, names=["deceased_adults_national_id"])[0]
    assert after.rows == before.rows - 1 and after.version != before.version
    assert first["national_id"] not in Path(after.path / "deceased_adults_national_id.csv").read_text()


def test_logs_carry_no_personal_data(fresh_env, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    import logging

    wh, settings, _ = fresh_env
    with caplog.at_level(logging.DEBUG):
        results = release_all(wh, settings=settings, names=["deceased_adults_national_id", "births_pseudonymized_health"])
    ids = pq.read_table(results[0].path / "deceased_adults_national_id.parquet").column("national_id").to_pylist()
    pseudos = pq.read_table(results[1].path / "births_pseudonymized_health.parquet").column("person_pseudonym").to_pylist()
    assert "deceased_adults_national_id" in caplog.text  # the release was logged...
    assert not any(v in caplog.text for v in ids[:2000] + pseudos[:2000])  # ...without a person in it
    assert "test-key-health" not in caplog.text
