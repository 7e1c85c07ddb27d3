"""The full set of dataset releases on a large warehouse, against a raw DuckDB ``COPY … TO``.

    .venv/bin/python benchmarks/datasets.py [--acts 10000000] [--data-dir DIR] [--source synthetic|published]

``synthetic`` (default) builds, once per ``--data-dir``, a contract-shaped published warehouse
with ``--acts`` birth + death acts (3:1, about 800,000 a year like Morocco, so 10M acts ≈ 12
years) on the real geography, plus a SQLite registry holding the death acts with national IDs
(``datasets.synthetic``). ``published`` uses the warehouse already published under
``--data-dir`` (e.g. after ``civstat pipeline`` on a ``simulator.bulk.load_history`` registry;
set CIVSTAT_REGISTRY_URL to that registry).

Measured in one run, on the same rows:
1. cold: ``release_all`` with an empty suppression cache — SQL over the marts, protecting the
   cubes, pseudonyms, Parquet + CSV + descriptor + SHA-256 of each file;
2. warm: the same again (monthly refresh with unchanged years: cache hits, releases unchanged);
2b. cold with one worker (``CIVSTAT_DATASETS_WORKERS=1``, into another empty folder): the
   suppression of the years in one process, as before they were protected in parallel; its
   versions must equal the parallel run's (same bytes);
3. baseline: each released table loaded into DuckDB (not timed), then ``COPY t TO … (FORMAT
   parquet)`` and ``COPY t TO … (HEADER)``: the cost of writing the same rows and nothing else.

Prints a table and writes ``benchmarks/results/datasets.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# this file is named like the package it measures: keep its own folder off the import path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
KEYS = "health=benchmark-key-health-01,social_protection=benchmark-key-social-02"  # bench-only secrets


def build(data_dir: Path, acts: int, seed: int) -> dict[str, Any]:
    from datasets.synthetic import SyntheticSpec, build_published_warehouse
    from registry_api.core.db import Registry, upgrade
    from registry_api.services.geography import seed_geography

    years = max(1, round(acts / 800_000))
    births = round(acts * 0.75)
    spec = SyntheticSpec(
        births=births, deaths=acts - births, marriages=round(acts * 0.3), divorces=round(acts * 0.03),
        first_year=2025 - years, years=years, seed=seed, run_id="benchmark",
    )
    registry_url = f"sqlite:///{data_dir / 'registry.sqlite'}"
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    reg = Registry(registry_url)
    try:
        upgrade(reg.engine)
        with reg.session() as s:
            seed_geography(s)
    finally:
        reg.dispose()
    build_published_warehouse(data_dir, spec, registry_url=registry_url)
    info = {"acts": acts, "years": years, "births": births, "deaths": acts - births, "registry_url": registry_url,
            "build_seconds": round(time.perf_counter() - started, 1)}
    (data_dir / "benchmark.json").write_text(json.dumps(info))
    return info


def release(data_dir: Path, registry_url: str, root: Path) -> tuple[float, list[Any]]:
    from datasets.release import release_all
    from pipelines.lib.warehouse import Warehouse
    from registry_api.core.config import Settings

    settings = Settings(DATA_DIR=data_dir, REGISTRY_URL=registry_url,
                        PSEUDONYM_KEYS=os.environ.get("CIVSTAT_PSEUDONYM_KEYS") or KEYS)
    started = time.perf_counter()
    results = release_all(Warehouse.from_settings(settings), settings=settings, root=root)
    return time.perf_counter() - started, results


def baseline(results: list[Any], scratch: Path) -> dict[str, float]:
    """Seconds to COPY each released table (already in DuckDB) to Parquet and to CSV."""
    import duckdb

    con = duckdb.connect()
    out: dict[str, float] = {}
    for r in results:
        con.execute(f"create or replace table t as select * from read_parquet('{r.path / (r.name + '.parquet')}')")
        started = time.perf_counter()
        con.execute(f"copy t to '{scratch / (r.name + '.parquet')}' (format parquet)")
        con.execute(f"copy t to '{scratch / (r.name + '.csv')}' (header)")
        out[r.name] = time.perf_counter() - started
    con.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--acts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--source", choices=("synthetic", "published"), default="synthetic")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    parser.add_argument("--no-one-worker", action="store_true", help="skip the cold run with one worker")
    args = parser.parse_args()

    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="civstat-bench-datasets-"))
        data_dir = tmp / "data"
    try:
        if args.source == "published":
            info = {"acts": None, "source": "published", "registry_url": os.environ.get("CIVSTAT_REGISTRY_URL")
                    or f"sqlite:///{(data_dir / 'registry.sqlite').resolve()}"}
        elif (data_dir / "benchmark.json").exists():
            info = json.loads((data_dir / "benchmark.json").read_text())
            if info["acts"] != args.acts:
                raise SystemExit(f"{data_dir} holds a {info['acts']:,}-act warehouse; use another --data-dir")
        else:
            print(f"building a {args.acts:,}-act warehouse in {data_dir} …", flush=True)
            info = build(data_dir, args.acts, args.seed)
        root = data_dir / "bench-releases"
        shutil.rmtree(root, ignore_errors=True)
        load_before = os.getloadavg()
        cold_s, cold = release(data_dir, info["registry_url"], root)
        warm_s, warm = release(data_dir, info["registry_url"], root)
        assert [r.version for r in cold] == [r.version for r in warm], "same inputs must give the same versions"
        from datasets.disclosure import workers_default

        workers = workers_default()
        one_s = None
        if not args.no_one_worker:
            saved = os.environ.get("CIVSTAT_DATASETS_WORKERS")
            os.environ["CIVSTAT_DATASETS_WORKERS"] = "1"
            try:
                shutil.rmtree(data_dir / "bench-releases-1", ignore_errors=True)
                one_s, one = release(data_dir, info["registry_url"], data_dir / "bench-releases-1")
            finally:
                if saved is None:
                    os.environ.pop("CIVSTAT_DATASETS_WORKERS", None)
                else:
                    os.environ["CIVSTAT_DATASETS_WORKERS"] = saved
            assert [r.version for r in one] == [r.version for r in cold], "workers must not change the bytes"
        scratch = data_dir / "bench-copy"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        copy = baseline(cold, scratch)
        copy_s = sum(copy.values())
        rows = sum(r.rows for r in cold)
        report = {
            "benchmark": "datasets",
            "machine": {
                "python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                # the machine is shared: the 1-minute load average before and after tells how busy it was
                "load_average_before_after": [round(load_before[0], 1), round(os.getloadavg()[0], 1)],
            },
            "warehouse": {k: v for k, v in info.items() if k != "registry_url"},
            "releases": [
                {
                    "name": r.name, "rows": r.rows, "seconds": round(r.seconds, 3), "rows_per_s": round(r.rows / r.seconds),
                    "bytes": sum((r.path / f).stat().st_size for f in r.files),
                    "copy_seconds": round(copy[r.name], 3),
                    "cube_seconds": r.extra.get("cube_seconds", {}),
                    "query_seconds": r.extra.get("query_seconds"),
                    "write_seconds": r.extra.get("write_seconds"),
                }
                for r in cold
            ],
            "total": {
                "rows": rows,
                "cold_seconds": round(cold_s, 2), "cold_rows_per_s": round(rows / cold_s),
                "warm_seconds": round(warm_s, 2), "warm_rows_per_s": round(rows / warm_s),
                "copy_seconds": round(copy_s, 2), "copy_rows_per_s": round(rows / copy_s),
                "cold_vs_copy": round(cold_s / copy_s, 2), "warm_vs_copy": round(warm_s / copy_s, 2),
                "suppression_workers": workers,
                "cold_one_worker_seconds": None if one_s is None else round(one_s, 2),
                "cold_one_worker_vs_copy": None if one_s is None else round(one_s / copy_s, 2),
            },
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "datasets.json").write_text(json.dumps(report, indent=2) + "\n")
        _print(report)
    finally:
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _print(report: dict[str, Any]) -> None:
    w = report["warehouse"]
    print(f"\nwarehouse: {w}")
    print(f"{'dataset':<40} {'rows':>11} {'release s':>10} {'rows/s':>11} {'COPY s':>8} {'MB':>8}")
    for r in report["releases"]:
        print(f"{r['name']:<40} {r['rows']:>11,} {r['seconds']:>10.2f} {r['rows_per_s']:>11,} {r['copy_seconds']:>8.2f} "
              f"{r['bytes'] / 1e6:>8.1f}")
    t = report["total"]
    print(f"{'all releases, cold (empty cache)':<40} {t['rows']:>11,} {t['cold_seconds']:>10.2f} {t['cold_rows_per_s']:>11,} "
          f"{t['copy_seconds']:>8.2f}   ×{t['cold_vs_copy']} vs COPY")
    print(f"{'all releases, warm (cache, unchanged)':<40} {t['rows']:>11,} {t['warm_seconds']:>10.2f} {t['warm_rows_per_s']:>11,} "
          f"{'':>8}   ×{t['warm_vs_copy']} vs COPY")
    if t.get("cold_one_worker_seconds"):
        print(f"{'cold, suppression in one process':<40} {t['rows']:>11,} {t['cold_one_worker_seconds']:>10.2f} "
              f"{round(t['rows'] / t['cold_one_worker_seconds']):>11,} {'':>8}   ×{t['cold_one_worker_vs_copy']} vs COPY "
              f"(parallel: {t['suppression_workers']} workers)")
    print(f"{'raw DuckDB COPY TO parquet + csv':<40} {t['rows']:>11,} {t['copy_seconds']:>10.2f} {t['copy_rows_per_s']:>11,}")


if __name__ == "__main__":
    sys.exit(main())
