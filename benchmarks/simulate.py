"""Benchmark: bulk history generation + load, against the raw load of the same rows.

For each back end (SQLite, PostgreSQL) the run
1. loads ``--years`` of history at ``--scale`` into a fresh registry with the simulator
   (generation + encoding + load, timed as one figure: the "simulator" rate);
2. writes **the same rows** (every entity table, the counters and the change log, encoded by
   the simulator's own row functions, not timed) to Parquet;
3. loads those Parquet files into another fresh registry the plainest fast way, with the same
   treatment of indexes and foreign keys as the simulator (dropped, then rebuilt/validated in
   the same transaction): PostgreSQL ``COPY`` (text format, bytes written by polars);
   SQLite ``executemany`` of driver tuples, one transaction per table. Reading Parquet and
   converting rows is timed apart from the database work, chunk by chunk with no overlap,
   so ``raw_db_s`` is what the database alone needs for these rows;
and reports acts and rows per second for both. ``simulator / raw db`` below 1 is the share of
the run the database is busy; 1.0 would mean generating the history costs nothing over loading it.

CPU seconds are recorded too (this process; and on PostgreSQL the server processes working
for the benchmark database plus WAL writer / checkpointer / background writer), because the
machine is shared and wall times under load say little about a quiet machine.

    .venv/bin/python benchmarks/simulate.py --scale 0.05 --years 9
    .venv/bin/python benchmarks/simulate.py --scale 0.5 --years 9 --backends postgres --no-baseline

Writes ``benchmarks/results/simulate.json`` (appends to ``runs``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from registry_api.core.db import Registry, make_engine, upgrade  # noqa: E402
from registry_api.services.geography import seed_geography  # noqa: E402
from simulator import history, store  # noqa: E402
from simulator.bulk import load_history  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "simulate.json"
END = dt.date(2026, 11, 20)
TABLE_ORDER = ("acts", "marginal_notes", "declarations", "document_requests", "family_events", "notifications",
               "act_counters", "changes")


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

    def size_mb(self, url: str) -> int:
        """On-disk size of a loaded registry (PostgreSQL database; SQLite file and WAL)."""
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                size = conn.execute("select pg_database_size(%s)", (url.rpartition("/")[2],)).fetchone()[0]  # type: ignore[index]
        else:
            path = url.removeprefix("sqlite:///")
            size = sum(Path(path + s).stat().st_size for s in ("", "-wal") if Path(path + s).exists())
        return int(size) >> 20

    def drop(self, url: str) -> None:
        """Free the disk of a registry as soon as it is measured (the runs are large)."""
        if self.kind == "postgres":
            import psycopg

            name = url.rpartition("/")[2]
            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{name}" with (force)')
        else:
            path = url.removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        for name in self.made:
            self.drop(f"sqlite:///{name}" if self.kind == "sqlite" else f"{self.pg_url.rpartition('/')[0]}/{name}")


class ServerCpu:
    """CPU seconds of the PostgreSQL processes serving one database (sampled from /proc while
    they live) plus the shared WAL writer, checkpointer and background writer."""

    SHARED = (b"walwriter", b"checkpointer", b"background writer")

    def __init__(self, database: str) -> None:
        self.tag = f" {database} ".encode()
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = dict(self._read())
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _read(self) -> Iterator[tuple[int, float]]:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                if not cmd.startswith(b"postgres:") or not (self.tag in cmd or any(s in cmd for s in self.SHARED)):
                    continue
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                yield int(entry), (int(fields[11]) + int(fields[12])) / self.tick
            except OSError:
                continue

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.last.update(self._read())

    def __enter__(self) -> ServerCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.last.update(self._read())

    @property
    def seconds(self) -> float:
        return sum(v - self.start.get(pid, 0.0) for pid, v in self.last.items())


def _process_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def write_parquet(args: argparse.Namespace, fmt: store.R.Fmt, outdir: Path) -> int:
    """The rows the simulator writes (its own encoders), one Parquet file per chunk."""
    h = history.generate(history.Config(years=args.years, scale=args.scale, seed=args.seed, end_date=END,
                                        cutoff_ts=history.default_cutoff(END)))
    n = 0
    for table, cols, make, rows in store.tables(h, fmt):
        for k, off in enumerate(range(0, rows, store.CHUNK)):
            make(off, store.CHUNK).select(cols).write_parquet(outdir / f"{table}.{k:05d}.parquet")
    for k, chunk in enumerate(store.change_chunks(h, fmt)):
        chunk.write_parquet(outdir / f"changes.{k:05d}.parquet")
        n += chunk.height
    return n


def _parquet_files(indir: Path) -> Iterator[tuple[str, Path]]:
    for table in TABLE_ORDER:
        for path in sorted(indir.glob(f"{table}.*.parquet")):
            yield table, path


def raw_load(url: str, indir: Path) -> dict[str, float]:
    """Load the Parquet files into an empty registry; returns seconds spent reading and
    converting (``convert_s``) and in the database (``db_s``), sequentially."""
    convert = db = 0.0
    if url.startswith("sqlite"):
        engine = make_engine(url)
        raw = engine.raw_connection()
        con = raw.driver_connection
        t = time.perf_counter()
        con.execute("pragma synchronous=off")
        con.execute("pragma foreign_keys=off")
        indexes = store._sqlite_secondary_indexes(con)
        for name, _ in indexes:
            con.execute(f'drop index "{name}"')
        db += time.perf_counter() - t
        for table, path in _parquet_files(indir):
            t = time.perf_counter()
            df = pl.read_parquet(path)
            rows = store._sqlite_rows(df)
            t1 = time.perf_counter()
            con.execute("begin immediate")
            con.executemany(f"insert into {table} ({', '.join(df.columns)}) values ({store._sqlite_values(df.columns)})", rows)
            con.execute("commit")
            convert, db = convert + t1 - t, db + time.perf_counter() - t1
        t = time.perf_counter()
        con.execute("begin immediate")
        for table in TABLE_ORDER:
            assert not con.execute(f"pragma foreign_key_check({table})").fetchone()
        store._sqlite_create_indexes(con, indexes)
        con.execute("commit")
        con.execute("pragma foreign_keys=on")
        db += time.perf_counter() - t
        raw.close()
        engine.dispose()
    else:
        import psycopg

        with psycopg.connect(url) as conn, conn.cursor() as cur:
            t = time.perf_counter()
            cur.execute("set local synchronous_commit = off")
            indexes = store._drop_secondary_indexes(cur)
            foreign_keys = store._drop_foreign_keys(cur)
            db += time.perf_counter() - t
            for table, path in _parquet_files(indir):
                t = time.perf_counter()
                df = pl.read_parquet(path)
                data = store.copy_text(df, df.columns)
                t1 = time.perf_counter()
                with cur.copy(f"copy {table} ({', '.join(df.columns)}) from stdin") as cp:
                    cp.write(data)
                convert, db = convert + t1 - t, db + time.perf_counter() - t1
            t = time.perf_counter()
            for table, name, definition in foreign_keys:
                cur.execute(f'alter table {table} add constraint "{name}" {definition}')
            cur.execute("set local maintenance_work_mem = '256MB'")
            for definition in indexes:
                cur.execute(definition)
            conn.commit()
            db += time.perf_counter() - t
    return {"convert_s": convert, "db_s": db}


def run_backend(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    backend = Backend(kind, args.pg_url, workdir)
    try:
        url = backend.new()
        load0 = os.getloadavg()[0]
        cpu0 = _process_cpu()
        server = ServerCpu(url.rpartition("/")[2]) if kind == "postgres" else None
        t0 = time.perf_counter()
        if server:
            with server:
                summary = load_history(url, years=args.years, scale=args.scale, seed=args.seed, end_date=END,
                                       progress=not args.quiet)
        else:
            summary = load_history(url, years=args.years, scale=args.scale, seed=args.seed, end_date=END, progress=not args.quiet)
        simulator_s = time.perf_counter() - t0
        result: dict[str, Any] = {
            "backend": kind, "scale": args.scale, "years": args.years, "acts": summary["acts"], "changes": summary["changes"],
            "rows": summary["rows"], "load_average_start": round(load0, 2), "load_average_end": round(os.getloadavg()[0], 2),
            "simulator_s": round(simulator_s, 2), "generate_s": summary["generate_s"], "load_s": summary["load_s"],
            **{k: summary.get(k) for k in ("entity_tables_s", "changes_s", "constraints_s", "indexes_s", "commit_s")},
            "simulator_acts_per_s": round(summary["acts"] / simulator_s), "simulator_rows_per_s": round(summary["rows"] / simulator_s),
            "simulator_process_cpu_s": round(_process_cpu() - cpu0, 1),
            "simulator_server_cpu_s": round(server.seconds, 1) if server else None,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "database_mb": backend.size_mb(url),
        }
        backend.drop(url)
        if not args.no_baseline:
            parquet = workdir / f"parquet-{kind}"
            parquet.mkdir(exist_ok=True)
            changes = write_parquet(args, "pg" if kind == "postgres" else "sqlite", parquet)
            assert changes == summary["changes"], (changes, summary["changes"])
            raw_url = backend.new()
            cpu0 = _process_cpu()
            server = ServerCpu(raw_url.rpartition("/")[2]) if kind == "postgres" else None
            if server:
                with server:
                    raw = raw_load(raw_url, parquet)
            else:
                raw = raw_load(raw_url, parquet)
            raw_s = raw["convert_s"] + raw["db_s"]
            result.update({
                "raw_load_s": round(raw_s, 2), "raw_convert_s": round(raw["convert_s"], 2), "raw_db_s": round(raw["db_s"], 2),
                "raw_acts_per_s": round(summary["acts"] / raw_s), "raw_db_acts_per_s": round(summary["acts"] / raw["db_s"]),
                "raw_db_rows_per_s": round(summary["rows"] / raw["db_s"]),
                "raw_process_cpu_s": round(_process_cpu() - cpu0, 1),
                "raw_server_cpu_s": round(server.seconds, 1) if server else None,
                "simulator_vs_raw_db": round(raw["db_s"] / simulator_s, 3),
                "load_average_end": round(os.getloadavg()[0], 2),
            })
            backend.drop(raw_url)
            shutil.rmtree(parquet)
        return result
    finally:
        backend.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--years", type=float, default=9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("CIVSTAT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the raw-load baseline (for the very large runs)")
    parser.add_argument("--workdir", type=Path, default=None, help="where SQLite files and Parquet go (default: a temp dir)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="civstat-bench-", dir=args.workdir) as tmp:
        for kind in args.backends.split(","):
            runs.append(run_backend(kind.strip(), args, Path(tmp)))
    header = ("backend", "acts", "rows", "load avg", "simulator s", "acts/s", "rows/s", "raw load s", "raw db s", "raw db acts/s",
              "simulator / raw db")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for r in runs:
        print(" | ".join(str(x) for x in (
            r["backend"], r["acts"], r["rows"], f'{r["load_average_start"]}-{r["load_average_end"]}', r["simulator_s"],
            r["simulator_acts_per_s"], r["simulator_rows_per_s"], r.get("raw_load_s", "-"), r.get("raw_db_s", "-"),
            r.get("raw_db_acts_per_s", "-"), r.get("simulator_vs_raw_db", "-"))))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    stamp = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": platform.machine(),
             "cpus": os.cpu_count(), "python": platform.python_version()}
    previous["runs"].extend({**stamp, **r} for r in runs)
    RESULTS.write_text(json.dumps(previous, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
