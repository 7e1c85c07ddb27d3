"""Benchmark: bulk history generation + load, against the raw load of the same rows.

For each back end (SQLite, PostgreSQL) the run
1. loads ``--years`` of history at ``--scale`` into a fresh registry with the simulator
   (generation + load, timed as one figure: the "simulator" rate);
2. exports every row it wrote (entity tables, counters and the change log) to Parquet;
3. loads those Parquet files into another fresh registry the plainest fast way (PostgreSQL:
   ``COPY`` in CSV; SQLite: ``executemany`` in one transaction per table) -- the "raw load"
   baseline, measured in the same run on the same machine;
and reports acts per second for both and their ratio (simulator / raw: 1.0 means generating
the data and building its change log costs nothing over just loading it).

    .venv/bin/python benchmarks/simulate.py --scale 0.02 --years 9
    .venv/bin/python benchmarks/simulate.py --scale 2.2 --years 9 --backends postgres --no-baseline   # ~10M acts

Writes ``benchmarks/results/simulate.json`` (appends to ``runs``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from registry_api.core.db import Registry, make_engine, upgrade  # noqa: E402
from registry_api.services.geography import seed_geography  # noqa: E402
from simulator.bulk import load_history  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "simulate.json"
TABLES = ("acts", "marginal_notes", "declarations", "document_requests", "family_events", "notifications", "act_counters", "changes")
END = dt.date(2026, 11, 20)


def _prepare(url: str) -> None:
    reg = Registry(url)
    upgrade(reg.engine)
    with reg.session() as s:
        seed_geography(s)
    reg.dispose()


class Backend:
    """A fresh registry per call of ``new()``, cleaned up by ``close()``."""

    def __init__(self, kind: str, pg_url: str, workdir: Path) -> None:
        self.kind, self.pg_url, self.workdir = kind, pg_url, workdir
        self.made: list[str] = []
        self._template: Path | None = None

    def new(self) -> str:
        if self.kind == "sqlite":
            if self._template is None:
                self._template = self.workdir / "template.sqlite"
                _prepare(f"sqlite:///{self._template}")
            path = self.workdir / f"registry-{uuid.uuid4().hex[:8]}.sqlite"
            shutil.copyfile(self._template, path)
            self.made.append(str(path))
            return f"sqlite:///{path}"
        import psycopg

        name = f"civstat_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        self.made.append(name)
        url = f"{self.pg_url.rpartition('/')[0]}/{name}"
        _prepare(url)
        return url

    def close(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                for name in self.made:
                    conn.execute(f'drop database if exists "{name}" with (force)')
        else:
            for path in self.made:
                for suffix in ("", "-wal", "-shm"):
                    Path(path + suffix).unlink(missing_ok=True)


def export(url: str, outdir: Path) -> dict[str, int]:
    """Every row the simulator wrote, one Parquet file per table (not timed)."""
    engine = make_engine(url, read_only=True)
    counts = {}
    with engine.connect() as conn:
        for table in TABLES:
            cols = [r[0] for r in conn.exec_driver_sql(f"select * from {table} limit 0").cursor.description]
            select = ", ".join(f"{c}::text as {c}" if (c in ("after_image", "payload") and url.startswith("postgresql")) else c
                               for c in cols if not (c == "txid"))
            df = pl.read_database(f"select {select} from {table}", connection=conn, infer_schema_length=None)
            df.write_parquet(outdir / f"{table}.parquet")
            counts[table] = df.height
    engine.dispose()
    return counts


def raw_load(url: str, indir: Path) -> float:
    """Load the exported Parquet files into an empty registry; returns seconds."""
    start = time.perf_counter()
    if url.startswith("sqlite"):
        engine = make_engine(url)
        raw = engine.raw_connection()
        con = raw.driver_connection
        con.execute("pragma synchronous=off")
        for table in TABLES:
            df = pl.read_parquet(indir / f"{table}.parquet")
            dates = [c for c, t in df.schema.items() if t in (pl.Date, pl.Datetime)]
            df = df.with_columns([pl.col(c).cast(pl.String) for c in dates])
            con.execute("begin immediate")
            con.executemany(f"insert into {table} ({', '.join(df.columns)}) values ({', '.join('?' * df.width)})", df.iter_rows())
            con.execute("commit")
        raw.close()
        engine.dispose()
    else:
        import psycopg

        with psycopg.connect(url) as conn, conn.cursor() as cur:
            cur.execute("set local synchronous_commit = off")
            for table in TABLES:
                df = pl.read_parquet(indir / f"{table}.parquet")
                for off in range(0, df.height, 250_000):
                    chunk = df.slice(off, 250_000)
                    with cur.copy(f"copy {table} ({', '.join(df.columns)}) from stdin (format csv)") as cp:
                        cp.write(chunk.write_csv(include_header=False, null_value=""))
            conn.commit()
    return time.perf_counter() - start


def run_backend(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    backend = Backend(kind, args.pg_url, workdir)
    try:
        url = backend.new()
        t0 = time.perf_counter()
        summary = load_history(url, years=args.years, scale=args.scale, seed=args.seed, end_date=END, progress=not args.quiet)
        simulator_s = time.perf_counter() - t0
        result: dict[str, Any] = {
            "backend": kind, "scale": args.scale, "years": args.years, "acts": summary["acts"], "changes": summary["changes"],
            "rows": summary["rows"], "simulator_s": round(simulator_s, 2), "generate_s": summary["generate_s"],
            "load_s": summary["load_s"], "entity_tables_s": summary.get("entity_tables_s"), "changes_s": summary.get("changes_s"),
            "indexes_s": summary.get("indexes_s"), "simulator_acts_per_s": round(summary["acts"] / simulator_s),
            "simulator_rows_per_s": round(summary["rows"] / simulator_s),
        }
        if not args.no_baseline:
            parquet = workdir / f"parquet-{kind}"
            parquet.mkdir(exist_ok=True)
            export(url, parquet)
            raw_url = backend.new()
            raw_s = raw_load(raw_url, parquet)
            result.update({
                "raw_load_s": round(raw_s, 2), "raw_acts_per_s": round(summary["acts"] / raw_s),
                "ratio_vs_raw": round(raw_s / simulator_s, 3),
            })
        return result
    finally:
        backend.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--years", type=float, default=9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("CIVSTAT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the raw-load baseline (for the very large runs)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="civstat-bench-") as tmp:
        for kind in args.backends.split(","):
            runs.append(run_backend(kind.strip(), args, Path(tmp)))
    header = ("backend", "acts", "changes", "simulator s", "acts/s", "raw load s", "raw acts/s", "simulator / raw")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for r in runs:
        print(" | ".join(str(x) for x in (
            r["backend"], r["acts"], r["changes"], r["simulator_s"], r["simulator_acts_per_s"], r.get("raw_load_s", "-"),
            r.get("raw_acts_per_s", "-"), r.get("ratio_vs_raw", "-"))))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    stamp = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": platform.machine(),
             "cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()[0]}
    previous["runs"].extend({**stamp, **r} for r in runs)
    RESULTS.write_text(json.dumps(previous, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
