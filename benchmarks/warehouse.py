"""Warehouse benchmark: landing throughput, full build, micro-batch, freshness under live load.

Every figure is a ratio against a baseline measured in the same run, on the same data:
- landing rows/s vs a raw load of the same rows (DuckDB: ``create table as select`` from the
  Arrow table already in memory; PostgreSQL: a bare ``COPY`` into an unindexed table);
- full build vs the same model SQL run once in raw DuckDB (``bench_raw_build``), and vs an
  empty run (the fixed cost: Dagster, dbt start-up, tests, quality suites, publish);
- freshness: seconds from an act's commit in the registry to its row in the published
  ``fct_birth``/``fct_death``, p50/p95, while a writer registers ``--live-rate`` acts/s and
  ``pipelines.run.watch`` runs micro-batches (the demo's loop; the sensor does the same).

    python -m benchmarks.warehouse --acts 20000                 # small, minutes
    python -m benchmarks.warehouse --acts 1000000 --live-seconds 300
    python -m benchmarks.warehouse --acts 10000000 --registry postgres --warehouse postgres

History comes from ``simulator.bulk.load_history`` (scale chosen for ``--acts``); without the
simulator, plain acts from ``pipelines.lib.sample_acts``. Writes benchmarks/results/warehouse.json.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

for _k, _v in {"DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DAGSTER_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(_k, _v)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python benchmarks/warehouse.py` too
from benchmarks._common import print_table, scratch_pg_database, write_results  # noqa: E402

ACTS_PER_YEAR_AT_SCALE_1 = 900_000  # ~ births + deaths registered in Morocco per year


def _registry(kind: str, workdir: Path) -> contextlib.AbstractContextManager[str]:
    if kind == "postgres":
        return scratch_pg_database("civstat_bench_reg")
    return contextlib.nullcontext(f"sqlite:///{workdir / 'registry.sqlite'}")


def _warehouse(kind: str, workdir: Path) -> contextlib.AbstractContextManager[str]:
    if kind == "postgres":
        return scratch_pg_database("civstat_bench_wh")
    return contextlib.nullcontext(str(workdir / "warehouse.duckdb"))


def load_registry(url: str, acts: int, years: float) -> dict[str, Any]:
    t = time.perf_counter()
    try:
        from simulator.bulk import load_history
    except ImportError:
        load_history = None  # type: ignore[assignment]
    if load_history is not None:
        stats = load_history(url, years=years, scale=acts / (years * ACTS_PER_YEAR_AT_SCALE_1), progress=False)
        return {"source": "simulator.bulk.load_history", "acts": stats.get("acts"), "changes": stats.get("changes"),
                "seconds": round(time.perf_counter() - t, 1)}
    from pipelines.lib.sample_acts import add_acts
    from registry_api.core.db import Registry, upgrade
    from registry_api.services.geography import seed_geography

    reg = Registry(url)
    upgrade(reg.engine)
    with reg.session() as s:
        seed_geography(s)
    reg.dispose()
    add_acts(url, acts, per_tx=5000)
    return {"source": "pipelines.lib.sample_acts", "acts": acts, "changes": acts, "seconds": round(time.perf_counter() - t, 1)}


def bench_landing(url: str, wh: Any, workdir: Path) -> dict[str, Any]:
    """Landing (read registry + exactly-once write) vs a raw load of the same Arrow rows."""
    from pipelines.lib.landing import RegistrySource, land
    from registry_api.services.changes import Cursor

    t = time.perf_counter()
    result = land(url, wh)
    landing_s = time.perf_counter() - t
    rows = result.landed_rows

    # baseline: the same rows, already in memory, loaded with no key, no cursor, no transaction care
    with RegistrySource(url) as src:
        t = time.perf_counter()
        frame = src.read_changes(Cursor(), max(rows, 1))
        read_s = time.perf_counter() - t
    if wh.is_postgres:
        import psycopg

        data = frame.write_csv(include_header=False).encode()
        with psycopg.connect(wh.pg_dsn) as conn:
            conn.execute(
                "create unlogged table bench_raw (change_id bigint, txid bigint, entity_type text, entity_id bigint,"
                " act_id bigint, office_code text, change_kind text, version bigint, after_image text, actor text,"
                " reason text, legal_basis text, changed_at text)"
            )
            t = time.perf_counter()
            with conn.cursor().copy("copy bench_raw from stdin with (format csv)") as copy:
                copy.write(data)
            conn.commit()
            raw_s = time.perf_counter() - t
            conn.execute("drop table bench_raw")
            conn.commit()
        baseline = "bare COPY into an unlogged, unindexed table"
    else:
        import duckdb

        con = duckdb.connect(str(workdir / "baseline.duckdb"))
        arrow = frame.to_arrow()  # noqa: F841 - read by DuckDB's replacement scan
        t = time.perf_counter()
        con.execute("create table bench_raw as select * from arrow")
        raw_s = time.perf_counter() - t
        con.close()
        baseline = "DuckDB create table as select from the in-memory Arrow table"
    return {
        "rows": rows,
        "landing_s": round(landing_s, 2),
        "landing_rows_per_s": round(rows / landing_s),
        "registry_read_rows_per_s": round(rows / read_s),
        "baseline": baseline,
        "baseline_rows_per_s": round(rows / raw_s),
        "landing_vs_baseline": round((rows / landing_s) / (rows / raw_s), 3),
    }


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def bench_builds(url: str, wh: Any, micro_acts: int = 1000) -> dict[str, Any]:
    """Full build, an empty ``civstat pipeline`` run, and the micro-batch of ``micro_acts`` new
    acts (``microbatch_job``, as the sensor and ``watch()`` run it: dbt in-process, ephemeral
    Dagster instance), with the 1-minute load average next to each figure."""
    from pipelines.lib.sample_acts import add_acts
    from pipelines.run import run_job, run_pipeline

    out: dict[str, Any] = {}
    full = run_pipeline(url, wh, full_refresh=True, prepare=True)
    out["full_build_s"] = full["duration_s"]
    out["full_build_load"] = _load()
    out["full_build_ok"] = full["success"]
    out["full_build_models"] = full["models_built"]
    out["full_build_checks"] = f"{full['checks_passed']} passed, {full['checks_failed']} failed"
    out["full_build_dbt_s"] = full["steps_s"].get("civstat_dbt_assets")
    empty = run_pipeline(url, wh, prepare=False)
    out["empty_pipeline_run_s"] = empty["duration_s"]
    out["empty_pipeline_run_load"] = _load()
    # warm-up: the first micro-batch of a process parses the dbt project (once per process)
    add_acts(url, 10, seed=6_900_000, per_tx=10)
    warm = run_job("microbatch_job", url, wh, prepare=False, record=False, log_level="WARNING")
    out["microbatch_first_in_process_s"] = warm["duration_s"]
    runs = []
    for i in range(3):
        add_acts(url, micro_acts, seed=7_000_000 + 10_000 * i, per_tx=100)
        load = _load()
        t = time.perf_counter()
        micro = run_job("microbatch_job", url, wh, prepare=False, record=False, log_level="WARNING")
        from pipelines.lib.publish import LAST_PUBLISH

        published_by = list(LAST_PUBLISH.get("tables", {}).values())
        runs.append({"end_to_end_s": round(time.perf_counter() - t, 2), "dbt_s": micro["steps_s"].get("civstat_dbt_assets"),
                     "publish": f"{published_by.count('delta')} tables by delta, {published_by.count('copy')} copied",
                     "steps_s": micro["steps_s"], "landed": micro["landed_rows"], "ok": micro["success"],
                     "models": micro["models_built"], "checks": micro["checks_passed"] + micro["checks_failed"],
                     "load_before": load, "load_after": _load()})
    out["microbatch_runs"] = runs
    best = min(runs, key=lambda r: r["end_to_end_s"])
    out["microbatch_1000_s"] = statistics.median(r["end_to_end_s"] for r in runs)
    out["microbatch_1000_dbt_s"] = statistics.median(r["dbt_s"] or 0 for r in runs)
    out["microbatch_1000_best_s"] = best["end_to_end_s"]
    out["microbatch_1000_best_load"] = best["load_before"]
    out["microbatch_ok"] = all(r["ok"] for r in runs)
    # the same micro-batch recorded in the Dagster instance under DAGSTER_HOME (SQLite storage)
    add_acts(url, micro_acts, seed=7_500_000, per_tx=100)
    rec = run_job("microbatch_job", url, wh, prepare=False, record=True, log_level="WARNING")
    out["microbatch_1000_recorded_s"] = rec["duration_s"]
    out["microbatch_1000_recorded_load"] = _load()
    out["goal_microbatch_s"] = 10
    if not (full["success"] and out["microbatch_ok"]):
        out["errors"] = (full["errors"] + [e for r in runs for e in r.get("errors", [])])[:5]
    return out


def bench_raw_build(wh: Any, workdir: Path) -> dict[str, Any]:
    """The baseline of the full build: the same model SQL, executed once in raw DuckDB.

    A copy of the built warehouse (raw layer + seeds) is compiled with ``dbt compile
    --full-refresh`` (so every incremental model compiles to its full select); then each
    model's compiled select runs as one ``create table … as`` (``create view`` for a view model) in a fresh schema, in dependency
    order, with its upstream models' names pointed at that schema. No dbt, Dagster, tests,
    quality suites or publish: what is left is the SQL itself, the floor a build can reach."""
    import json
    import shutil

    import duckdb
    from dbt.cli.main import dbtRunner

    from pipelines.defs.dbt.project import civstat_dbt_project
    from pipelines.defs.resources import dbt_environment
    from pipelines.lib.warehouse import Warehouse

    if wh.is_postgres:
        return {"skipped": "raw baseline measured on DuckDB only"}
    copy = workdir / "rawbase.duckdb"
    shutil.copyfile(wh.duckdb_path, copy)
    target_path = workdir / "rawbase-target"
    project_dir = Path(civstat_dbt_project.project_dir)
    with dbt_environment(Warehouse(str(copy), wh.data_dir)):  # dbt compiles against the copy
        res = dbtRunner().invoke(["compile", "--full-refresh", "--quiet", "--project-dir", str(project_dir),
                                  "--profiles-dir", str(project_dir), "--target-path", str(target_path),
                                  "--log-path", str(target_path), "--select", "resource_type:model"])
    if not res.success:
        return {"error": f"dbt compile failed: {res.exception}"}
    nodes = {k: n for k, n in json.loads((target_path / "manifest.json").read_text())["nodes"].items()
             if n["resource_type"] == "model"}
    order: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen or key not in nodes:
            return
        seen.add(key)
        for dep in nodes[key]["depends_on"]["nodes"]:
            visit(dep)
        order.append(key)

    for key in sorted(nodes):
        visit(key)
    con = duckdb.connect(str(copy))
    con.execute("set enable_progress_bar = false")
    con.execute("create schema raw_baseline")
    per_model: dict[str, float] = {}
    t = time.perf_counter()
    for key in order:
        node = nodes[key]
        sql = node["compiled_code"]
        for dep in node["depends_on"]["nodes"]:
            if dep in nodes:
                sql = sql.replace(nodes[dep]["relation_name"], f'raw_baseline."{nodes[dep]["name"]}"')
        started = time.perf_counter()
        kind = "view" if node["config"]["materialized"] == "view" else "table"  # as dbt materializes it
        con.execute(f'create {kind} raw_baseline."{node["name"]}" as {sql}')
        per_model[node["name"]] = time.perf_counter() - started
    raw_s = time.perf_counter() - t
    con.close()
    copy.unlink()
    slowest = sorted(per_model.items(), key=lambda kv: -kv[1])[:5]
    return {"raw_models": len(order), "raw_build_s": round(raw_s, 2), "raw_build_load": _load(),
            "raw_slowest_models_s": {name: round(sec, 2) for name, sec in slowest},
            "baseline": "each model's compiled full-refresh SQL, once, as CREATE TABLE AS in raw DuckDB"}


@contextlib.contextmanager
def _api_and_simulator(url: str, workdir: Path, rate: float, seconds: float) -> Iterator[subprocess.Popen]:
    """The registry API (uvicorn) and ``simulator.live`` posting ``rate`` steps/s through it, each
    in its own process (as in production: the API is not the pipeline's process)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CIVSTAT_REGISTRY_URL": url, "CIVSTAT_DATA_DIR": str(workdir)}
    api = subprocess.Popen([sys.executable, "-m", "uvicorn", "registry_api.main:create_app", "--factory",
                            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    sim = None
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("registry API did not start") from None
                time.sleep(0.5)
        code = ("import json, sys\n"
                "from simulator.live import mint_tokens, run_live\n"
                f"tokens = mint_tokens({url!r})\n"
                f"stats = run_live('http://127.0.0.1:{port}', tokens, {rate}, duration_s={seconds})\n"
                "print(json.dumps(stats))\n")
        sim = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        yield sim
    finally:
        if sim is not None and sim.poll() is None:
            sim.wait(timeout=seconds + 120)
        api.terminate()
        api.wait(30)


def _new_acts(url: str, after: int) -> list[tuple[int, int, float]]:
    """(change_id, act_id, capture time as epoch seconds) of act creations after change ``after``."""
    import sqlite3

    con = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    try:
        rows = con.execute("select change_id, entity_id, changed_at from changes where entity_type = 'act'"
                           " and change_kind = 'create' and change_id > ? order by change_id", [after]).fetchall()
    finally:
        con.close()
    import datetime as dt

    out = []
    for cid, aid, at in rows:
        ts = dt.datetime.fromisoformat(str(at))
        ts = ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)
        out.append((int(cid), int(aid), ts.timestamp()))
    return out


def bench_freshness(url: str, wh: Any, workdir: Path, seconds: float, rate: float, interval_s: float,
                    drain_s: float = 300) -> dict[str, Any]:
    """Capture (the act's commit in the registry, ``changes.changed_at``) -> visible in the
    published ``fct_birth``/``fct_death`` and counted in the same snapshot's ``ind_office_daily``,
    while ``simulator.live`` posts ``rate`` steps/s through the API and ``watch()`` runs
    micro-batches. SQLite registry only (the capture times are read from it)."""
    from pipelines.lib.publish import query
    from pipelines.run import watch

    if not url.startswith("sqlite"):
        return {"note": "freshness is measured on a SQLite registry only"}
    head = max((c for c, _, _ in _new_acts(url, 0)), default=0)
    captured: dict[int, float] = {}
    visible: dict[int, float] = {}
    consistent: list[bool] = []
    runs: list[dict[str, Any]] = []
    stop_watch = threading.Event()
    watcher = threading.Thread(target=watch, args=(url, wh, interval_s, stop_watch, runs.append),
                               kwargs={"quality_every_s": 0}, daemon=True)
    loads: list[float] = []
    last_version = None

    def poll() -> None:
        nonlocal head, last_version
        for cid, aid, at in _new_acts(url, head):
            captured[aid] = at
            head = max(head, cid)
        pending = [a for a in captured if a not in visible]
        if not pending:
            return
        try:
            meta = query("select run_id from publish_meta", wh=wh).item()
        except Exception:  # noqa: BLE001 - not published yet
            return
        if meta == last_version:
            return
        last_version = meta
        now = time.time()
        ids = ", ".join(str(a) for a in pending)
        seen = query(f"select act_id from fct_birth where act_id in ({ids}) union all"
                     f" select act_id from fct_death where act_id in ({ids})", wh=wh).to_series().to_list()
        for a in seen:
            visible[a] = now
        # the same snapshot's ind_office_daily counts exactly the acts of the facts it was built with
        check = query("select (select sum(acts_registered) from ind_office_daily) as daily,"
                      " (select count(*) from fct_birth where not is_cancelled and registration_date >= date '2018-01-01')"
                      " + (select count(*) from fct_death where not is_cancelled and registration_date >= date '2018-01-01')"
                      " as facts", wh=wh).row(0, named=True)
        consistent.append(check["daily"] == check["facts"])

    watcher.start()
    with _api_and_simulator(url, workdir, rate, seconds) as sim:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            poll()
            loads.append(os.getloadavg()[0])
            time.sleep(0.5)
        stats_text = sim.stdout.read() if sim.stdout else ""
    drain_end = time.monotonic() + drain_s
    while time.monotonic() < drain_end and len(visible) < len(captured):
        poll()
        time.sleep(0.5)
    stop_watch.set()
    watcher.join(600)
    lags = sorted(visible[a] - captured[a] for a in captured if a in visible)
    out: dict[str, Any] = {
        "steps_per_s_target": rate, "simulator_stats": stats_text.strip()[-500:],
        "acts_captured": len(captured), "acts_seen": len(lags), "microbatches": len(runs),
        "microbatch_mean_s": round(statistics.mean(r["duration_s"] for r in runs), 1) if runs else None,
        "microbatch_max_s": max((r["duration_s"] for r in runs), default=None),
        "ind_office_daily_consistent_with_facts": all(consistent) if consistent else None,
        "snapshots_checked": len(consistent),
        "load_avg_mean": round(statistics.mean(loads), 2) if loads else None, "load_avg_max": round(max(loads), 2) if loads else None,
        "target_p95_s": 60,
    }
    if lags:
        p = statistics.quantiles(lags, n=100) if len(lags) >= 2 else [lags[0]] * 99
        out.update({"freshness_p50_s": round(p[49], 1), "freshness_p95_s": round(p[94], 1),
                    "freshness_max_s": round(lags[-1], 1), "p95_vs_target": round(p[94] / 60, 2)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--acts", type=int, default=20_000)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--registry", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--warehouse", choices=["duckdb", "postgres"], default="duckdb")
    ap.add_argument("--skip-build", action="store_true", help="landing only")
    ap.add_argument("--live-seconds", type=float, default=0, help="freshness under live load (0 = skip)")
    ap.add_argument("--live-rate", type=float, default=50.0, help="simulator steps/s posted through the API during the freshness test")
    ap.add_argument("--interval", type=float, default=2.0, help="watch loop interval (s)")
    ap.add_argument("--drain", type=float, default=300.0, help="after the live load, wait this long for the last acts (s)")
    ap.add_argument("--micro-acts", type=int, default=1000, help="new acts per measured micro-batch")
    args = ap.parse_args(argv)

    from pipelines.lib.warehouse import Warehouse

    results: dict[str, Any] = {"params": vars(args)}
    with tempfile.TemporaryDirectory(prefix="civstat-bench-") as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("DAGSTER_HOME", str(workdir / "dagster"))
        (workdir / "dagster").mkdir(exist_ok=True)
        os.environ.setdefault("CIVSTAT_DBT_TARGET_PATH", str(workdir / "dbt-target"))
        with _registry(args.registry, workdir) as url, _warehouse(args.warehouse, workdir) as target:
            wh = Warehouse(target, workdir)
            print(f"loading {args.acts:,} acts into {args.registry} registry ...", file=sys.stderr)
            results["registry"] = load_registry(url, args.acts, args.years)
            results["landing"] = bench_landing(url, wh, workdir)
            print_table("landing", [results["landing"]])
            if not args.skip_build:
                results["builds"] = bench_builds(url, wh, args.micro_acts)
                raw = bench_raw_build(wh, workdir)
                results["builds"].update(raw)
                if raw.get("raw_build_s"):
                    results["builds"]["full_build_vs_raw"] = round(results["builds"]["full_build_s"] / raw["raw_build_s"], 2)
                    results["builds"]["full_build_dbt_vs_raw"] = round(
                        (results["builds"]["full_build_dbt_s"] or 0) / raw["raw_build_s"], 2)
                print_table("dbt builds (in-process Dagster run: land + dbt build + tests + publish)", [results["builds"]])
            if args.live_seconds > 0 and not args.skip_build:
                results["freshness"] = bench_freshness(url, wh, workdir, args.live_seconds, args.live_rate, args.interval,
                                                       args.drain)
                print_table("freshness under live load", [results["freshness"]])
    path = write_results("warehouse", results)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
