"""A contract-shaped published warehouse built directly, for tests and the benchmark.

Why not the real pipeline: the dataset tests must not depend on the landing, dbt and quality
parts being finished, and the benchmark needs 10 million acts in seconds. This writes the marts
the catalog reads (contracts §3, exact column names) into a working DuckDB file with the real
geography, then publishes it with ``pipelines.lib.publish.publish_duckdb`` exactly as the
pipeline does. Optionally it registers the death acts in a registry database (same act ids) so
the electoral-roll extract can join national IDs. Same seed → same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from datasets.cubes import AGE_GROUPS
from pipelines.lib.publish import publish_duckdb
from pipelines.lib.warehouse import Warehouse

# deaths by age group (shares, roughly Morocco's pattern) and the age span of each group
_DEATH_AGE_SHARE = np.array([0.07, 0.015, 0.015, 0.03, 0.035, 0.045, 0.07, 0.12, 0.19, 0.24, 0.17])
_AGE_SPAN = [(0, 0), (1, 4), (5, 14), (15, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 74), (75, 84), (85, 99)]


@dataclass(frozen=True)
class SyntheticSpec:
    births: int = 5_000
    deaths: int = 2_000
    marriages: int = 1_000
    divorces: int = 300
    first_year: int = 2023
    years: int = 2
    regions: tuple[str, ...] | None = None  # None: the whole country
    abroad_share: float = 0.01  # events registered by consulates (no Moroccan geography)
    seed: int = 7
    run_id: str = "synthetic-run-1"


def _geography(regions: tuple[str, ...] | None) -> dict[str, list[dict[str, Any]]]:
    from registry_api.services.geography import geography

    g = geography()
    keep = (lambda r: r in regions) if regions else (lambda r: True)  # noqa: E731
    return {
        "regions": [r for r in g["regions"] if keep(r["region_code"])],
        "provinces": [p for p in g["provinces"] if keep(p["region_code"])],
        "communes": [c for c in g["communes"] if keep(c["region_code"])],
        "offices": [o for o in g["offices"] if o["region_code"] is None or keep(o["region_code"])],
    }


def _dim_geography(g: dict[str, list[dict[str, Any]]]) -> pa.Table:
    communes = {c["commune_code"]: c for c in g["communes"]}
    provinces = {p["province_code"]: p for p in g["provinces"]}
    regions = {r["region_code"]: r for r in g["regions"]}
    rows = []
    for o in g["offices"]:
        c = communes.get(o["commune_code"] or "")
        p = provinces.get(o["province_code"] or "")
        r = regions.get(o["region_code"] or "")
        rows.append({
            "office_code": o["office_code"], "office_kind": o["office_kind"],
            "office_name_fr": o["name_fr"], "office_name_ar": o["name_ar"],
            "commune_code": o["commune_code"], "commune_name_fr": c and c["name_fr"], "commune_name_ar": c and c["name_ar"],
            "province_code": o["province_code"], "province_name_fr": p and p["name_fr"], "province_name_ar": p and p["name_ar"],
            "region_code": o["region_code"], "region_name_fr": r and r["name_fr"], "region_name_ar": r and r["name_ar"],
            "country_code": o["country_code"], "live_since": o.get("live_since"), "population_2024": o.get("population_2024"),
        })
    return pa.Table.from_pylist(rows)


def _places(rng: np.random.Generator, g: dict[str, list[dict[str, Any]]], n: int, abroad_share: float) -> tuple[np.ndarray, list[str]]:
    """Office index per event: communal offices by population, a few consular ones."""
    offices = g["offices"]
    codes = [o["office_code"] for o in offices]
    weights = np.array([float(o["population_2024"] or 0) if o["office_kind"] != "consular" else 0.0 for o in offices])
    consular = np.array([o["office_kind"] == "consular" for o in offices])
    p = weights / weights.sum() * (1 - abroad_share)
    if consular.any():
        p = p + consular * (abroad_share / consular.sum())
    p = p / p.sum()
    return rng.choice(len(offices), size=n, p=p), codes


def _dates(rng: np.random.Generator, n: int, first_year: int, years: int) -> np.ndarray:
    start = np.datetime64(f"{first_year}-01-01")
    days = (np.datetime64(f"{first_year + years}-01-01") - start).astype(int)
    return start + rng.integers(0, days, size=n).astype("timedelta64[D]")


def _registration(rng: np.random.Generator, event: np.ndarray, last_day: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    delay = np.minimum(rng.exponential(9.0, event.size), 3000).astype(int)
    late = rng.random(event.size) < 0.03
    delay = np.where(late, delay + rng.integers(31, 800, event.size), delay)
    reg = np.minimum(event + delay.astype("timedelta64[D]"), np.maximum(event, last_day))
    return reg, (reg - event).astype(int)


def build_marts(con: duckdb.DuckDBPyConnection, spec: SyntheticSpec) -> dict[str, Any]:
    """Create the marts in ``con`` (schema main). Returns the death acts to register."""
    rng = np.random.default_rng(spec.seed)
    g = _geography(spec.regions)
    con.register("_dim_geography", _dim_geography(g))
    con.execute("create or replace table dim_geography as select * from _dim_geography order by office_code")
    con.register("_regions", pa.Table.from_pylist(g["regions"]))
    con.execute(
        "create or replace table dim_region as select region_code, name_fr as region_name_fr, name_ar as region_name_ar, "
        "population_2014, population_2024 from _regions order by region_code"
    )
    last_day = np.datetime64(f"{spec.first_year + spec.years}-03-31")

    # births
    n = spec.births
    office, codes = _places(rng, g, n, spec.abroad_share)
    event = _dates(rng, n, spec.first_year, spec.years)
    reg, delay = _registration(rng, event, last_day)
    mother = np.clip(rng.normal(29, 6, n).round(), 15, 49).astype(np.int64)
    births = pa.table({
        "act_id": np.arange(1, n + 1, dtype=np.int64),
        "office_code": pa.DictionaryArray.from_arrays(office.astype(np.int32), codes),
        "event_date": event, "registration_date": reg, "delay": delay,
        "sex": np.where(rng.random(n) < 0.512, "M", "F"),
        "mother_age": mother,
        "father_age": mother + rng.integers(0, 12, n),
        "plurality": np.where(rng.random(n) < 0.015, 2, 1),
        "place": np.where(rng.random(n) < 0.87, "health_facility", "home"),
        "cancel": rng.random(n) < 0.003,
        "corrections": (rng.random(n) < 0.01).astype(np.int64),
        "minute": rng.integers(8 * 60, 16 * 60, n),
    })
    con.register("_births", births)
    con.execute(f"create or replace table fct_birth as {_fct_sql('_births', 'birth')}")

    # deaths
    m = spec.deaths
    office, codes = _places(rng, g, m, spec.abroad_share)
    event = _dates(rng, m, spec.first_year, spec.years)
    reg, delay = _registration(rng, event, last_day)
    group = rng.choice(len(AGE_GROUPS), size=m, p=_DEATH_AGE_SHARE / _DEATH_AGE_SHARE.sum())
    lo = np.array([s[0] for s in _AGE_SPAN])[group]
    hi = np.array([s[1] for s in _AGE_SPAN])[group]
    age = lo + (rng.random(m) * (hi - lo + 1)).astype(np.int64)
    unknown_age = rng.random(m) < 0.005
    has_id = (age >= 18) & (rng.random(m) < 0.92)
    deaths = pa.table({
        "act_id": np.arange(n + 1, n + m + 1, dtype=np.int64),
        "office_code": pa.DictionaryArray.from_arrays(office.astype(np.int32), codes),
        "event_date": event, "registration_date": reg, "delay": delay,
        "sex": np.where(rng.random(m) < 0.55, "M", "F"),
        "age_years": pa.array(age, mask=unknown_age),
        "has_id": has_id & ~unknown_age,
        "place": np.where(rng.random(m) < 0.55, "health_facility", "home"),
        "cancel": rng.random(m) < 0.004,
        "corrections": (rng.random(m) < 0.01).astype(np.int64),
        "minute": rng.integers(8 * 60, 16 * 60, m),
    })
    con.register("_deaths", deaths)
    con.execute(f"create or replace table fct_death as {_fct_sql('_deaths', 'death')}")

    # marriages and divorces (by the court's province)
    provinces = [p["province_code"] for p in g["provinces"]]
    pweights = np.array([float(p["population_2024"]) for p in g["provinces"]])
    for table, k in (("fct_marriage", spec.marriages), ("fct_divorce", spec.divorces)):
        prov = rng.choice(len(provinces), size=k, p=pweights / pweights.sum())
        wife = np.clip(rng.normal(26, 5, k).round(), 18, 70).astype(np.int64)
        t = pa.table({
            "family_event_id": np.arange(1, k + 1, dtype=np.int64),
            "event_date": _dates(rng, k, spec.first_year, spec.years),
            "court_province_code": pa.DictionaryArray.from_arrays(prov.astype(np.int32), provinces),
            "husband_age": wife + rng.integers(0, 12, k), "wife_age": wife,
            "divorce_kind": rng.choice(["talaq", "tatliq", "mutual_consent"], size=k),
        })
        con.register(f"_{table}", t)
        extra = ", divorce_kind" if table == "fct_divorce" else ""
        con.execute(f"""
            create or replace table {table} as
            select
                family_event_id, event_date, cast(date_trunc('month', event_date) as date) as event_month,
                cast(court_province_code as varchar) as court_province_code,
                split_part(cast(court_province_code as varchar), '.', 1) as region_code,
                husband_age, wife_age{extra}, 1 as notes_applied, 1 as notes_expected,
            from _{table} order by family_event_id
        """)
    _indicator(con, spec)
    return {"deaths": con.sql(
        "select act_id, office_code, register_year, act_number, event_date, registration_date, registered_at, sex, "
        "age_years, is_cancelled, national_id_present from fct_death order by act_id"
    ).to_arrow_table()}


def _fct_sql(src: str, kind: str) -> str:
    common = """
        b.act_id,
        cast(b.office_code as varchar) as office_code,
        g.commune_code, g.province_code, g.region_code,
        year(b.registration_date) as register_year,
        cast(row_number() over (partition by b.office_code, year(b.registration_date) order by b.registration_date, b.act_id)
            as integer) as act_number,
        cast(b.event_date as date) as event_date,
        cast(date_trunc('month', b.event_date) as date) as event_month,
        cast(b.registration_date as date) as registration_date,
        cast(b.registration_date as timestamp) + to_minutes(b.minute) as registered_at,
        b.delay as registration_delay_days,
        case when b.delay <= 30 then 'on_time' when b.delay <= 365 then 'late' else 'delayed' end as timeliness_class,
        case when b.delay > 30 then 'declaratory_judgment' else 'declaration' end as registration_basis,
        b.sex,
        b.cancel as is_cancelled,
        b.corrections > 0 as is_corrected,
        b.corrections as correction_count,
        1 + b.corrections + cast(b.cancel as integer) as version,"""
    if kind == "birth":
        specific = """
        b.mother_age, b.father_age, b.plurality,
        'MA' as mother_nationality, 'MA' as father_nationality,
        case when g.country_code <> 'MA' then 'abroad' else b.place end as event_place_kind,"""
    else:
        groups = " ".join(
            f"when b.age_years between {lo} and {hi} then '{name}'" for name, (lo, hi) in zip(AGE_GROUPS, _AGE_SPAN, strict=True)
        )
        specific = f"""
        b.age_years,
        case {groups} end as age_group,
        coalesce(b.age_years < 1, false) as is_infant,
        b.has_id as national_id_present,
        cast(b.event_date - to_years(coalesce(b.age_years, 0)) as date) as birth_date,
        case when g.country_code <> 'MA' then 'abroad' else b.place end as event_place_kind,"""
    return f"""
        select {common}{specific}
        from {src} as b
        left join dim_geography as g on g.office_code = cast(b.office_code as varchar)
        order by b.act_id
    """


def _indicator(con: duckdb.DuckDBPyConnection, spec: SyntheticSpec) -> None:
    """ind_vital_region_month with the contract's columns (the datasets read its population)."""
    con.execute(f"""
        create or replace table ind_vital_region_month as
        with months as (
            select cast(range as date) as month_start
            from range(date '{spec.first_year}-01-01', date '{spec.first_year + spec.years}-01-01', interval 1 month)
        ),
        grid as (select r.*, m.month_start from dim_region as r cross join months as m),
        b as (
            select region_code, event_month as month_start, count(*) as births,
                count(*) filter (where sex = 'M') as births_male, count(*) filter (where sex = 'F') as births_female,
                avg(mother_age) as mean_mother_age
            from fct_birth where not is_cancelled group by all
        ),
        d as (
            select region_code, event_month as month_start, count(*) as deaths,
                count(*) filter (where sex = 'M') as deaths_male, count(*) filter (where sex = 'F') as deaths_female,
                count(*) filter (where is_infant) as infant_deaths
            from fct_death where not is_cancelled group by all
        ),
        mar as (select region_code, event_month as month_start, count(*) as marriages from fct_marriage group by all),
        dv as (select region_code, event_month as month_start, count(*) as divorces from fct_divorce group by all),
        joined as (
            select
                g.region_code, g.region_name_fr, g.region_name_ar, g.month_start,
                year(g.month_start) as year, month(g.month_start) as month,
                coalesce(b.births, 0) as births, coalesce(b.births_male, 0) as births_male,
                coalesce(b.births_female, 0) as births_female,
                coalesce(d.deaths, 0) as deaths, coalesce(d.deaths_male, 0) as deaths_male,
                coalesce(d.deaths_female, 0) as deaths_female, coalesce(d.infant_deaths, 0) as infant_deaths,
                coalesce(mar.marriages, 0) as marriages, coalesce(dv.divorces, 0) as divorces,
                cast(round(g.population_2014 * power(g.population_2024 / g.population_2014,
                    (year(g.month_start) + (month(g.month_start) - 0.5) / 12 - 2014.7) / 10)) as bigint) as population,
                b.mean_mother_age,
            from grid as g
            left join b using (region_code, month_start)
            left join d using (region_code, month_start)
            left join mar using (region_code, month_start)
            left join dv using (region_code, month_start)
        )
        select
            region_code, region_name_fr, region_name_ar, month_start, year, month, births, births_male, births_female,
            deaths, deaths_male, deaths_female, infant_deaths, marriages, divorces, population,
            12000.0 * births / population as crude_birth_rate,
            12000.0 * deaths / population as crude_death_rate,
            100.0 * births_male / nullif(births_female, 0) as sex_ratio_at_birth,
            mean_mother_age,
            1000.0 * infant_deaths / nullif(births, 0) as infant_deaths_per_1000_births,
        from joined
        order by region_code, month_start
    """)


def quality_results(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Write ``quality_results`` as the quality part persists it (run_id, severity, success...)."""
    con.register("_quality", pa.Table.from_pylist(rows))
    con.execute("create or replace table quality_results as select * from _quality")


def register_deaths(registry_url: str, deaths: pa.Table, *, seed: int = 7, chunk: int = 50_000) -> int:
    """Insert the warehouse's death acts into a migrated registry (same act ids), with a
    synthetic national ID for those that have one. Returns the number of acts inserted."""
    from sqlalchemy import insert

    from registry_api.core.db import make_engine
    from registry_api.models import Act

    rng = np.random.default_rng(seed + 1)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    engine = make_engine(registry_url)
    inserted = 0
    try:
        with engine.begin() as conn:
            for batch in deaths.filter(pa.compute.is_valid(deaths["office_code"])).to_batches(max_chunksize=chunk):
                rows = batch.to_pylist()
                prefixes = rng.choice(letters, size=(len(rows), 2))
                payload = [
                    {
                        "act_id": r["act_id"], "act_type": "death", "office_code": r["office_code"],
                        "register_year": r["register_year"], "act_number": r["act_number"],
                        "status": "cancelled" if r["is_cancelled"] else "active", "version": 1,
                        "registration_basis": "declaration", "event_date": r["event_date"], "event_place_kind": "home",
                        "event_country_code": "MA", "registered_at": r["registered_at"].replace(tzinfo=dt.UTC),
                        "registration_date": r["registration_date"], "given_name_ar": "س", "given_name_lat": "X",
                        "family_name_ar": "ع", "family_name_lat": "Y", "sex": r["sex"], "age_years": r["age_years"],
                        "nationality": "MA",
                        "national_id": "".join(p) + f"{r['act_id']:08d}" if r["national_id_present"] else None,
                        "plurality": 1, "declarant_relation": "child", "created_at": now, "updated_at": now,
                    }
                    for r, p in zip(rows, prefixes, strict=True)
                ]
                conn.execute(insert(Act), payload)
                inserted += len(payload)
    finally:
        engine.dispose()
    return inserted


def build_published_warehouse(data_dir: Path, spec: SyntheticSpec = SyntheticSpec(), *,
                              registry_url: str | None = None, quality: list[dict[str, Any]] | None = None) -> Warehouse:
    """Working warehouse with the marts → published copy (``published/CURRENT``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    wh = Warehouse(str(data_dir / "warehouse.duckdb"), data_dir)
    con = duckdb.connect(str(wh.duckdb_path))
    try:
        out = build_marts(con, spec)
        if quality is not None:
            quality_results(con, quality)
        if registry_url:
            register_deaths(registry_url, out["deaths"], seed=spec.seed)
        as_of = con.execute("select max(registered_at) from (select registered_at from fct_birth union all "
                            "select registered_at from fct_death)").fetchone()[0]  # type: ignore[index]
        publish_duckdb(con, wh, meta={"data_as_of": as_of, "run_id": spec.run_id})
    finally:
        con.close()
    return wh
