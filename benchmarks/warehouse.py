"""Warehouse benchmark: landing throughput, full build, micro-batch, freshness under live load.

Every figure is a ratio against a baseline measured in the same run, on the same data:
- landing rows/s vs a raw load of the same rows (DuckDB: ``create table as select`` from the
  Arrow table already in memory; PostgreSQL: a bare ``COPY`` into an unindexed table);
- full build and micro-batch time vs an empty micro-batch (the fixed cost of a run: Dagster,
  dbt start-up, tests, publish);
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
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

for _k, _v in {"DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DAGSTER_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(_k, _v)

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


def bench_builds(url: str, wh: Any) -> dict[str, Any]:
    from pipelines.lib.sample_acts import add_acts
    from pipelines.run import run_pipeline

    out: dict[str, Any] = {}
    full = run_pipeline(url, wh, full_refresh=True, prepare=True)
    out["full_build_s"] = full["duration_s"]
    out["full_build_ok"] = full["success"]
    out["full_build_models"] = full["models_built"]
    out["full_build_checks"] = f"{full['checks_passed']} passed, {full['checks_failed']} failed"
    empty = run_pipeline(url, wh, prepare=False)
    out["empty_microbatch_s"] = empty["duration_s"]
    add_acts(url, 1000, seed=7_000_000, per_tx=100)
    micro = run_pipeline(url, wh, prepare=False)
    out["microbatch_1000_s"] = micro["duration_s"]
    out["microbatch_1000_landed"] = micro["landed_rows"]
    out["microbatch_ok"] = micro["success"]
    out["full_build_vs_empty_microbatch"] = round(full["duration_s"] / empty["duration_s"], 2)
    out["microbatch_1000_vs_empty_microbatch"] = round(micro["duration_s"] / empty["duration_s"], 2)
    if not (full["success"] and micro["success"]):
        out["errors"] = (full["errors"] + micro["errors"])[:5]
    return out


@contextlib.contextmanager
def _live_writer(url: str, rate: float, log: list[tuple[int, float]], stop: threading.Event) -> Iterator[None]:
    """Registers ``rate`` acts/s (1 act per transaction, like the API), logging (act_id, commit time)."""
    from pipelines.lib.sample_acts import add_acts
    from registry_api.core.db import Registry

    reg = Registry(url)

    def loop() -> None:
        k = 0
        next_at = time.monotonic()
        while not stop.is_set():
            ids = add_acts(url, 1, seed=9_000_000 + k, registry=reg)
            log.append((ids[0], time.time()))
            k += 1
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.monotonic()))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(30)
        reg.dispose()


def bench_freshness(url: str, wh: Any, seconds: float, rate: float, interval_s: float, drain_s: float = 900) -> dict[str, Any]:
    """Commit → visible in the published fct_* tables, while watch() runs micro-batches."""
    from pipelines.lib.publish import query
    from pipelines.run import watch

    written: list[tuple[int, float]] = []
    visible_at: dict[int, float] = {}
    stop_writer, stop_watch = threading.Event(), threading.Event()
    runs: list[dict[str, Any]] = []
    watcher = threading.Thread(target=watch, args=(url, wh, interval_s, stop_watch, runs.append), daemon=True)
    watcher.start()
    with _live_writer(url, rate, written, stop_writer):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                top = query("select max(act_id) as m from (select act_id from fct_birth union all select act_id from fct_death)", wh=wh).item()
            except Exception:  # noqa: BLE001 - not published yet
                top = None
            now = time.time()
            for act_id, _ in written:
                if top is not None and act_id <= top and act_id not in visible_at:
                    visible_at[act_id] = now
            time.sleep(0.5)
    # let the last micro-batch finish so every written act can be seen
    drain_end = time.monotonic() + drain_s
    while time.monotonic() < drain_end and len(visible_at) < len(written):
        with contextlib.suppress(Exception):
            top = query("select max(act_id) as m from (select act_id from fct_birth union all select act_id from fct_death)", wh=wh).item()
            now = time.time()
            for act_id, _ in written:
                if top is not None and act_id <= top and act_id not in visible_at:
                    visible_at[act_id] = now
        time.sleep(0.5)
    stop_watch.set()
    watcher.join(600)
    lags = sorted(visible_at[a] - t for a, t in written if a in visible_at)
    if not lags:
        return {"acts_written": len(written), "acts_seen": 0, "microbatches": len(runs),
                "microbatch_s": [r["duration_s"] for r in runs], "note": f"no act visible within {seconds + drain_s:.0f}s"}
    p = statistics.quantiles(lags, n=100) if len(lags) >= 2 else [lags[0]] * 99
    return {
        "acts_written": len(written),
        "acts_seen": len(lags),
        "write_rate_achieved": round(len(written) / seconds, 1),
        "microbatches": len(runs),
        "microbatch_mean_s": round(statistics.mean(r["duration_s"] for r in runs), 1) if runs else None,
        "freshness_p50_s": round(p[49], 1),
        "freshness_p95_s": round(p[94], 1),
        "freshness_max_s": round(lags[-1], 1),
        "target_p95_s": 60,
        "p95_vs_target": round(p[94] / 60, 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--acts", type=int, default=20_000)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--registry", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--warehouse", choices=["duckdb", "postgres"], default="duckdb")
    ap.add_argument("--skip-build", action="store_true", help="landing only")
    ap.add_argument("--live-seconds", type=float, default=0, help="freshness under live load (0 = skip)")
    ap.add_argument("--live-rate", type=float, default=50.0, help="acts/s written during the freshness test")
    ap.add_argument("--interval", type=float, default=5.0, help="watch loop interval (s)")
    ap.add_argument("--drain", type=float, default=900.0, help="after the live load, wait this long for the last acts (s)")
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
                results["builds"] = bench_builds(url, wh)
                print_table("dbt builds (in-process Dagster run: land + dbt build + tests + publish)", [results["builds"]])
            if args.live_seconds > 0 and not args.skip_build:
                results["freshness"] = bench_freshness(url, wh, args.live_seconds, args.live_rate, args.interval, args.drain)
                print_table("freshness under live load", [results["freshness"]])
    path = write_results("warehouse", results)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
