"""Quality benchmark: every check on an N-act warehouse, as a ratio to the dbt build of that warehouse.

Target (issue 5): the checks on the 10M-act warehouse take at most as long as the dbt build.
Both are measured in the same run on the same file:

1. a raw layer of ``--acts`` birth and death acts (3:1) is generated in DuckDB SQL (the real
   geography: 1,588 offices; ~``--years`` of registrations; registration delays, late
   registrations by judgment, ~3% amended and 0.3% cancelled acts, some heaped death ages);
   generation is not timed against anything;
2. ``dbt build`` (models + the project's data tests) is timed: the baseline;
3. ``quality.runner.run_all`` (every suite, full: the landed acts too) is timed;
4. a second, steady-state run (nothing new landed: the incremental suites skip) is timed;
5. the two engines are compared on one suite (``fct_birth``, ``--gx-rows`` rows): GX on a
   pandas frame vs the same expectations compiled to SQL.

    python -m benchmarks.quality --acts 200000            # minutes
    python -m benchmarks.quality --acts 10000000          # the target scale (an hour or more here)

Writes benchmarks/results/quality.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

for _k, _v in {"DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DAGSTER_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
               "GX_ANALYTICS_ENABLED": "False"}.items():
    os.environ.setdefault(_k, _v)

import duckdb  # noqa: E402

from benchmarks._common import ROOT, print_table, write_results  # noqa: E402

DBT_DIR = ROOT / "dbt_project"

_REFERENCE_DDL = {
    "registry_regions": "region_code text primary key, name_fr text, name_ar text, population_2014 bigint,"
                        " population_2024 bigint",
    "registry_provinces": "province_code text primary key, region_code text, province_kind text, name_fr text,"
                          " name_ar text, population_2014 bigint, population_2024 bigint",
    "registry_communes": "commune_code text primary key, province_code text, region_code text, commune_kind text,"
                         " name_fr text, name_ar text, population_2014 bigint, population_2024 bigint",
    "registry_offices": "office_code text primary key, office_kind text, name_fr text, name_ar text,"
                        " commune_code text, province_code text, region_code text, country_code text,"
                        " population_2024 bigint, live_since date",
    "registry_settings": "setting text primary key, value text",
}

# Deterministic pseudo-random numbers in SQL: u(k, 'tag') in [0, 1).
_U = "((hash(k, '{tag}') % 1000003) / 1000003.0)"


def u(tag: str) -> str:
    return _U.format(tag=tag)


def generate(path: Path, acts: int, years: float) -> dict[str, Any]:
    """The raw layer of a registry with ``acts`` acts, written straight into DuckDB."""
    import pandas as pd

    from registry_api.services.geography import geography

    t0 = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema raw")
    geo = geography()
    for table, ddl in _REFERENCE_DDL.items():
        con.execute(f"create table raw.{table} ({ddl})")
        cols = [c.split()[0] for c in ddl.split(", ")]
        if table not in ("registry_regions", "registry_provinces", "registry_communes", "registry_offices"):
            continue  # registry_settings: a real registry's (no synthetic_scale)
        df = pd.DataFrame(geo[table.removeprefix("registry_")])[cols]
        con.register("_ref", df)
        con.execute(f"insert into raw.{table} select * from _ref")
        con.unregister("_ref")
    con.execute("""
        create table raw.registry_changes (
            change_id bigint primary key, txid bigint not null, entity_type text not null,
            entity_id bigint not null, act_id bigint, office_code text, change_kind text not null,
            version integer not null, after_image json not null, actor text not null, reason text,
            legal_basis text, changed_at timestamptz not null, landed_at timestamptz not null,
            landing_run_id text not null)""")
    con.execute("create table raw.landing_state (source text primary key, cursor text, landed_rows bigint,"
                " updated_at timestamptz)")
    days = int(years * 365)
    start = dt.date(2025, 1, 1) - dt.timedelta(days=days)
    # live offices only (a consulate or commune registers from its live_since day on)
    con.execute("create temp table offices as select office_code, office_kind, row_number() over (order by office_code) - 1"
                " as i from raw.registry_offices")
    n_off = con.execute("select count(*) from offices").fetchone()[0]  # type: ignore[index]
    con.execute(f"""
        create temp table acts as
        with base as (
            select range as k from range({acts})
        ),
        g as (
            select k, k + 1 as act_id,
                   case when {u('type')} < 0.25 then 'death' else 'birth' end as act_type,
                   cast(hash(k, 'office') % {n_off} as bigint) as office_i,
                   date '{start}' + cast(floor(k * {days}.0 / {acts}) as integer) as registration_date,
                   case when {u('delay')} < 0.88 then cast(floor({u('d1')} * 28) as integer)
                        when {u('delay')} < 0.96 then 31 + cast(floor({u('d2')} * 330) as integer)
                        else 400 + cast(floor({u('d3')} * 2000) as integer) end as delay,
                   case when {u('sex')} < 0.512 then 'M' else 'F' end as sex,
                   17 + cast(floor(({u('m1')} + {u('m2')} + {u('m3')}) * 8) as integer) as mother_age,
                   3 + cast(floor({u('f1')} * 9) as integer) as father_gap,
                   case when {u('infant')} < 0.03 then 0 else 1 + cast(floor(99 * sqrt({u('age')})) as integer) end
                       as raw_age,
                   {u('heap')} < 0.12 as heaped,
                   {u('nid')} < 0.8 as has_nid,
                   cast(floor({u('hour')} * 7 * 3600) as integer) as second_of_day
            from base
        )
        select g.*, o.office_code, o.office_kind,
               registration_date - delay as event_date,
               year(registration_date) as register_year,
               case when heaped and raw_age > 20 then cast(round(raw_age / 5.0) * 5 as integer) else raw_age end
                   as age_years,
               row_number() over (partition by o.office_code, year(registration_date), act_type order by act_id)
                   as act_number,
               timestamptz '{start} 09:00:00+00' + to_days(cast(registration_date - date '{start}' as integer))
                   + to_seconds(second_of_day) as registered_at
        from g join offices o on o.i = g.office_i
    """)
    image = """
        json_object(
            'act_id', act_id, 'act_type', act_type, 'office_code', office_code, 'register_year', register_year,
            'act_number', act_number, 'status', status, 'version', version,
            'registration_basis', case when delay > 30 then 'declaratory_judgment' else 'declaration' end,
            'court_name', case when delay > 30 then 'Tribunal de première instance' end,
            'judgment_reference', case when delay > 30 then 'J-' || act_id end,
            'judgment_date', case when delay > 30 then cast(registration_date - 1 as varchar) end,
            'declaration_id', null, 'event_date', cast(event_date as varchar), 'event_time', '10:30',
            'event_place_kind', case when act_id % 5 = 0 then 'home' else 'health_facility' end,
            'event_commune_code', case when office_kind = 'consular' then null else office_code end,
            'event_country_code', case when office_kind = 'consular' then 'FR' else 'MA' end,
            'registered_at', strftime(registered_at, '%Y-%m-%dT%H:%M:%SZ'),
            'registration_date', cast(registration_date as varchar),
            'given_name_ar', 'اسم', 'given_name_lat', given_name_lat, 'given_name_tfng', null,
            'family_name_ar', 'عائلة', 'family_name_lat', 'Famille', 'family_name_tfng', null, 'sex', sex,
            'birth_date', case when act_type = 'birth' then cast(event_date as varchar)
                               else cast(event_date - (age_years * 365 + 100) as varchar) end,
            'age_years', case when act_type = 'death' then age_years end, 'nationality', 'MA',
            'national_id', case when act_type = 'death' and age_years >= 18 and has_nid
                                then 'AB' || lpad(cast(act_id % 1000000 as varchar), 6, '0') end,
            'marital_status', null, 'birth_act_id', null, 'birth_office_code', null, 'plurality', 1,
            'father_name_ar', case when act_type = 'birth' then 'أب' end,
            'father_name_lat', case when act_type = 'birth' then 'Pere' end,
            'mother_name_ar', case when act_type = 'birth' then 'أم' end,
            'mother_name_lat', case when act_type = 'birth' then 'Mere' end,
            'father_age', case when act_type = 'birth' then mother_age + father_gap end,
            'mother_age', case when act_type = 'birth' then mother_age end,
            'father_nationality', case when act_type = 'birth' then 'MA' end,
            'mother_nationality', case when act_type = 'birth' then 'MA' end,
            'declarant_relation', case when act_type = 'birth' then 'father' else 'child' end,
            'cancel_reason', case when status = 'cancelled' then 'duplicate registration' end,
            'created_at', strftime(registered_at, '%Y-%m-%dT%H:%M:%SZ'),
            'updated_at', strftime(changed_at, '%Y-%m-%dT%H:%M:%SZ'),
            'marginal_notes', json('[]'))
    """
    changes = f"""
        select act_id, 1 as version, 'create' as change_kind, 'active' as status, 'Prenom' as given_name_lat,
               registered_at as changed_at, act_id as change_id from acts
        union all
        select act_id, 2, 'amend', 'active', 'Prenom2', registered_at + interval 30 day, {acts} + act_id
        from acts where act_id % 33 = 0
        union all
        select act_id, 3, 'cancel', 'cancelled', 'Prenom2', registered_at + interval 60 day, 2 * {acts} + act_id
        from acts where act_id % 330 = 0
    """
    con.execute(f"""
        insert into raw.registry_changes
        select c.change_id, c.change_id as txid, 'act', a.act_id, a.act_id, a.office_code, c.change_kind, c.version,
               {image.replace('status, ', 'c.status, ').replace("'version', version", "'version', c.version")
                     .replace('given_name_lat,', 'c.given_name_lat,').replace('(changed_at,', '(c.changed_at,')},
               'officer#1', null, null, c.changed_at, c.changed_at + interval 1 minute, 'bench'
        from ({changes}) c join acts a using (act_id)
    """)
    n_changes, last_tx, last_id = con.execute(
        "select count(*), max(txid), max(change_id) from raw.registry_changes").fetchone()  # type: ignore[misc]
    con.execute("insert into raw.landing_state values ('registry.changes', ?, ?, now())",
                [f"{last_tx}.{last_id}", n_changes])
    con.close()
    return {"acts": acts, "changes": int(n_changes), "years": years, "seconds": round(time.perf_counter() - t0, 1),
            "file_mb": round(path.stat().st_size / 1e6)}


_PROFILE = """civstat:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{path}"
      schema: main
      threads: 2
      settings:
        memory_limit: "{memory}"
        preserve_insertion_order: false
"""


def reset_models(path: Path) -> None:
    """Drop every dbt relation (schema main) so the next ``dbt build`` is a full build."""
    con = duckdb.connect(str(path))
    try:
        for name, kind in con.execute("select table_name, table_type from information_schema.tables"
                                      " where table_schema = 'main'").fetchall():
            con.execute(f'drop {"view" if kind == "VIEW" else "table"} if exists main."{name}"')
    finally:
        con.close()


def dbt_build(path: Path, workdir: Path, memory: str) -> dict[str, Any]:
    """``dbt build`` of the project, on a benchmark-local profile: the project's duckdb output
    plus a DuckDB memory cap (the default, 80% of RAM, gets dbt OOM-killed on a shared 23 GB box
    at 10M acts)."""
    profiles = workdir / "profiles"
    profiles.mkdir(exist_ok=True)
    (profiles / "profiles.yml").write_text(_PROFILE.format(path=path, memory=memory))
    env = {**os.environ, "CIVSTAT_DBT_TARGET": "duckdb", "CIVSTAT_DBT_DUCKDB_PATH": str(path),
           "DBT_TARGET_PATH": str(workdir / "target"), "DBT_LOG_PATH": str(workdir / "logs"),
           "DBT_PROFILES_DIR": str(profiles), "DBT_PROJECT_DIR": str(DBT_DIR)}
    dbt = Path(sys.executable).with_name("dbt")
    t0 = time.perf_counter()
    proc = subprocess.run([str(dbt), "build", "--threads", "2"], cwd=DBT_DIR, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
    if proc.returncode != 0:
        print(tail, file=sys.stderr)
    return {"seconds": round(seconds, 1), "returncode": proc.returncode, "memory_limit": memory,
            "summary": tail.splitlines()[-3:]}


def quality_run(path: Path, workdir: Path, run_id: str) -> dict[str, Any]:
    from pipelines.lib.warehouse import Warehouse
    from quality.runner import run_all

    t0 = time.perf_counter()
    outcomes = run_all(Warehouse(str(path), workdir), run_id=run_id, use_settings_registry=False)
    seconds = time.perf_counter() - t0
    checks = []
    for o in outcomes:
        big = max(o.suites.values(), key=lambda s: s.get("rows", 0) if isinstance(s, dict) else 0)
        checks.append({"check": o.check, "seconds": round(o.seconds, 2), "expectations": len(o.results),
                       "failed": len(o.failed), "blocking": o.blocking,
                       "largest_frame_rows": big.get("rows", 0), "engine": big.get("engine", "-")})
    failures = sorted({f"{r.severity}:{r.suite}:{r.rule}" for o in outcomes for r in o.failed})
    return {"seconds": round(seconds, 1), "docs_s": round(seconds - sum(o.seconds for o in outcomes), 1),
            "checks": checks, "failures": failures}


def engines(path: Path, workdir: Path, rows: int) -> dict[str, Any]:
    """The fct_birth suite on the same ``rows`` rows: GX on pandas vs compiled SQL."""
    from pipelines.lib.warehouse import Warehouse
    from quality.config import default_config
    from quality.db import connect
    from quality.runner import run_suite
    from quality.suites import Inputs, RefCodes
    from quality.suites._base import table_spec
    from quality.suites.fct_birth import KEY, build_fct_birth_suite

    wh = Warehouse(str(path), workdir)
    out: dict[str, Any] = {"suite": "fct_birth", "rows": rows}
    with connect(wh) as db:
        db.execute(f"create or replace table main.bench_engine_sample as select * from main.fct_birth limit {rows}")
        spec = table_spec("bench_engine_sample", build_fct_birth_suite, KEY)
        codes = RefCodes.load(db)
        for name, limit in (("gx_pandas", 10**12), ("sql", -1)):
            inputs = Inputs(config=default_config().replace(gx_max_rows=limit), codes=codes, run_id="bench-engine")
            t0 = time.perf_counter()
            results, outcome, _, _ = run_suite(db, spec, inputs, persist=False)
            out[f"{name}_s"] = round(time.perf_counter() - t0, 2)
            out[f"{name}_failed"] = sorted({r.rule for r in results if r.failed})
            assert outcome is not None and outcome.engine == ("gx" if name == "gx_pandas" else "sql")
        db.execute("drop table main.bench_engine_sample")
    out["expectations"] = len(build_fct_birth_suite(Inputs(codes=codes)).expectations)
    out["sql_speedup"] = round(out["gx_pandas_s"] / max(out["sql_s"], 1e-9), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--acts", type=int, default=10_000_000)
    p.add_argument("--years", type=float, default=None, help="default: acts / 800,000 a year")
    p.add_argument("--gx-rows", type=int, default=1_000_000, help="rows for the GX-vs-SQL engine comparison")
    p.add_argument("--workdir", type=Path, default=None, help="keep the warehouse here (default: a temp dir)")
    p.add_argument("--output", default="quality", help="results file name under benchmarks/results (no .json)")
    p.add_argument("--reuse", action="store_true", help="reuse the raw layer already in --workdir (skip generation)")
    p.add_argument("--dbt-memory", default="8GB", help="DuckDB memory_limit for the dbt build")
    args = p.parse_args(argv)
    years = args.years or max(1.0, round(args.acts / 800_000, 1))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="civstat_bench_quality_"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "warehouse.duckdb"
    try:
        if args.reuse and path.exists():
            reset_models(path)
            with duckdb.connect(str(path), read_only=True) as con:
                n = con.execute("select count(*) from raw.registry_changes").fetchone()[0]  # type: ignore[index]
            gen = {"acts": args.acts, "changes": int(n), "years": years, "reused": True,
                   "file_mb": round(path.stat().st_size / 1e6)}
        else:
            path.unlink(missing_ok=True)
            gen = generate(path, args.acts, years)
        print(f"raw layer: {gen['acts']:,} acts / {gen['changes']:,} changes ({gen['file_mb']} MB)")
        build = dbt_build(path, workdir, args.dbt_memory)
        print(f"dbt build: {build['seconds']}s (exit {build['returncode']})")
        if build["returncode"] != 0:
            print("dbt build failed: not timing the checks on a half-built warehouse", file=sys.stderr)
            return 1
        full = quality_run(path, workdir, "bench-full")
        steady = quality_run(path, workdir, "bench-steady")
        eng = engines(path, workdir, min(args.gx_rows, args.acts))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    ratio_full = round(full["seconds"] / build["seconds"], 3)
    ratio_steady = round(steady["seconds"] / build["seconds"], 3)
    print_table(f"Quality checks vs dbt build, {args.acts:,} acts", [
        {"phase": "dbt build (baseline)", "seconds": build["seconds"], "ratio": 1.0},
        {"phase": "quality, full (all landed acts)", "seconds": full["seconds"], "ratio": ratio_full},
        {"phase": "quality, steady state (nothing new landed)", "seconds": steady["seconds"], "ratio": ratio_steady},
    ])
    print_table("Per check (full run)", full["checks"])
    print_table(f"Engines on fct_birth ({eng['rows']:,} rows, {eng['expectations']} expectations)", [
        {"engine": "GX on pandas", "seconds": eng["gx_pandas_s"]}, {"engine": "compiled SQL", "seconds": eng["sql_s"]}])
    path_out = write_results(args.output, {
        "params": {"acts": args.acts, "years": years, "gx_rows": args.gx_rows},
        "generated": gen, "dbt_build": build, "quality_full": full, "quality_steady": steady, "engines": eng,
        "ratio_full_vs_dbt_build": ratio_full, "ratio_steady_vs_dbt_build": ratio_steady,
        "target": "ratio_full_vs_dbt_build <= 1.0", "target_met": ratio_full <= 1.0,
    })
    print(f"\nratio full/dbt = {ratio_full} (target <= 1.0); steady/dbt = {ratio_steady}; written {path_out}")
    return 0 if build["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
