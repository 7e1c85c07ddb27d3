"""Releases: immutable, content-addressed folders of Parquet + CSV + a Frictionless descriptor.

Layout: ``DATA_DIR/releases/<name>/<version>/{<name>.parquet, <name>.csv, datapackage.json}``
and ``DATA_DIR/releases/<name>/LATEST`` (the newest version's name, swapped with
``os.replace``). ``version`` is the first 16 hex digits of the SHA-256 of the canonical
descriptor, which holds each file's SHA-256: the same inputs give the same bytes and therefore
the same version; a release that exists already is left untouched (and re-verified).

What makes the bytes reproducible: a fixed row order (every dataset's SQL ends with an
``order by`` on its key), an explicit Arrow schema from the catalog, Parquet written by one
writer with fixed options and no metadata of ours, CSV with fixed quoting and line endings, and
nothing time-dependent in the descriptor: its freshness field is the published data's
``data_as_of`` (an input), not the time of the release. (A different pyarrow version may write
different Parquet bytes; the CSV and the descriptor's data do not depend on it.)

Releases are blocked when the newest quality run in the published warehouse has a failed check
of severity ``error``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from datasets import anonymity, catalog, pseudonyms
from datasets.catalog import DatasetDefinition
from datasets.cubes import CUBES, ProtectedCube, build_cube
from datasets.sources import Snapshot, load_national_ids, open_snapshot
from pipelines.lib.warehouse import Warehouse
from registry_api.core.config import Settings, get_settings

log = logging.getLogger("civstat.datasets")

LATEST = "LATEST"
DESCRIPTOR = "datapackage.json"
VERSION_RE = re.compile(r"^[0-9a-f]{16}$")
FORMATS = {
    "parquet": {"format": "parquet", "mediatype": "application/vnd.apache.parquet"},
    "csv": {"format": "csv", "mediatype": "text/csv", "encoding": "utf-8"},
}
_PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1 << 20,
    "version": "2.6",
    "data_page_version": "1.0",
}
_CSV_OPTIONS = pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed", quoting_header="none")


class ReleaseError(RuntimeError):
    """A dataset could not be released (its SQL, its schema, or its inputs are wrong)."""


class QualityGateError(ReleaseError):
    """The newest quality run failed an error-severity check: nothing is released."""


@dataclass(frozen=True)
class ReleaseResult:
    name: str
    version: str
    path: Path
    rows: int
    created: bool  # False when an identical release already existed
    files: dict[str, str]  # file name -> "sha256:..."
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def releases_root(settings: Settings | None = None) -> Path:
    s = settings or get_settings()
    return Path(s.DATA_DIR).resolve() / "releases"


# ---- quality gate -------------------------------------------------------------------------------

_RUN_ORDER_COLUMNS = ("run_finished_at", "run_at", "run_started_at", "validated_at", "checked_at", "evaluated_at", "created_at")
_LABEL_COLUMNS = ("suite", "model", "table_name", "check_name", "expectation", "expectation_type", "column_name")


def quality_failures(snap: Snapshot) -> tuple[str | None, list[dict[str, Any]]]:
    """(run id, failed error-severity checks) of the newest quality run; ([] when no results)."""
    if not snap.has("quality_results"):
        return None, []
    cols = snap.columns("quality_results")
    if not {"severity", "success"} <= set(cols):
        raise QualityGateError("quality_results has no severity/success columns: cannot tell whether releasing is safe")
    where, params, run_id = "", [], None
    if "run_id" in cols:
        meta_run = snap.meta.get("run_id")
        known = meta_run is not None and snap.con.execute(
            "select count(*) from quality_results where run_id = ?", [str(meta_run)]
        ).fetchone()[0]  # type: ignore[index]
        if known:
            run_id = str(meta_run)
        else:
            order = next((c for c in _RUN_ORDER_COLUMNS if c in cols), None)
            if order is not None:
                row = snap.con.execute(f"select run_id from quality_results order by {order} desc nulls last, run_id desc limit 1").fetchone()
                run_id = None if row is None else str(row[0])
        if run_id is not None:
            where, params = " and cast(run_id as varchar) = ?", [run_id]
    labels = [c for c in _LABEL_COLUMNS if c in cols]
    select = ", ".join(labels) if labels else "severity"
    rows = snap.con.execute(
        f"select {select} from quality_results where lower(severity) = 'error' and success = false{where} "
        f"order by all",
        params,
    ).fetchall()
    rows = [dict(zip(labels or ["severity"], r, strict=True)) for r in rows]
    return run_id, rows


def check_quality(snap: Snapshot) -> None:
    run_id, failed = quality_failures(snap)
    if failed:
        shown = "; ".join(", ".join(str(v) for v in f.values()) for f in failed[:5])
        more = f" (+{len(failed) - 5} more)" if len(failed) > 5 else ""
        raise QualityGateError(
            f"release blocked: {len(failed)} error-severity quality check(s) failed in run {run_id or '?'}: {shown}{more}"
        )


# ---- building a dataset's table -----------------------------------------------------------------

class _Run:
    """What one release run shares between datasets: the snapshot, the cubes, the IDs."""

    def __init__(self, snap: Snapshot, settings: Settings, registry_url: str | None, cache_dir: Path | None) -> None:
        self.snap = snap
        self.settings = settings
        self.registry_url = registry_url
        self.cache_dir = cache_dir
        self.cubes: dict[str, ProtectedCube] = {}
        self.timings: dict[str, float] = {}  # seconds per cube built in this run (not in releases)
        self.ids_loaded = False
        self.qi_groups: anonymity.Assignment | None = None

    def cube(self, name: str) -> ProtectedCube:
        if name not in self.cubes:
            self.cubes[name] = build_cube(CUBES[name], self.snap.con, cache_dir=self.cache_dir)
        return self.cubes[name]

    def national_ids(self) -> None:
        if not self.ids_loaded:
            if not self.registry_url:
                raise ReleaseError("the identified dataset needs the registry (CIVSTAT_REGISTRY_URL) for national IDs")
            self.snap.con.register("registry_national_ids", load_national_ids(self.registry_url))
            self.ids_loaded = True

    def k_anonymous_groups(self) -> anonymity.Assignment:
        """Registers ``qi_groups`` (level-0 key → published quasi-identifiers) once per run."""
        if self.qi_groups is None:
            table, self.qi_groups = anonymity.mapping_table(self.snap.con)
            self.snap.con.register("qi_groups", table)
        return self.qi_groups


def _missing_sources(defn: DatasetDefinition, snap: Snapshot) -> list[str]:
    needed = set(defn.sources) | {m for c in defn.cubes for m in CUBES[c].sources}
    return sorted(n for n in needed if not snap.has(n))


def _safe(defn: DatasetDefinition, exc: BaseException) -> str:
    """An error message fit for logs: engines quote offending values, and for person-level
    datasets a value may be a national ID, so only the error class is kept for those."""
    if defn.disclosure == "aggregate_public":
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return f"{exc.__class__.__name__} (message withheld: person-level dataset)"


def build_table(defn: DatasetDefinition, run: _Run) -> tuple[pa.Table, dict[str, Any]]:
    """Run the dataset's SQL and hold it to its declared schema (names, order, types)."""
    missing = _missing_sources(defn, run.snap)
    if missing:
        raise ReleaseError(f"{defn.name}: the published warehouse has no {', '.join(missing)}")
    extra: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for c in defn.cubes:
        fresh = c not in run.cubes
        started = time.perf_counter()
        cube = run.cube(c)
        if fresh:  # built (counted, protected) while releasing this dataset
            run.timings[c] = round(time.perf_counter() - started, 3)
        extra.setdefault("excluded_events", {})[c] = cube.excluded_events
    if defn.disclosure == "identified":
        run.national_ids()
    if defn.k_anonymous:
        groups = run.k_anonymous_groups()
        extra["k_anonymity"] = {"k": anonymity.K, "rows_per_generalisation_level": groups.rows_per_level()}
    if defn.pseudonym_sector is not None:
        key = pseudonyms.sector_key(run.settings, defn.pseudonym_sector)
        ipad, opad = key.pads()
        params = {"ipad": ipad, "opad": opad}
        extra["pseudonym_key_id"] = key.key_id
    try:
        table = run.snap.con.sql(defn.sql, params=params or None).to_arrow_table()
    except Exception as exc:  # DuckDB errors carry the SQL, never the parameters
        raise ReleaseError(f"{defn.name}: query failed: {_safe(defn, exc)}") from None
    expected = defn.schema()
    if table.column_names != expected.names:
        raise ReleaseError(f"{defn.name}: the query returns columns {table.column_names}, the catalog declares {expected.names}")
    try:
        table = table.cast(expected).replace_schema_metadata(None)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ReleaseError(f"{defn.name}: a column does not fit its declared type: {_safe(defn, exc)}") from None
    if "is_suppressed" in table.column_names:
        extra["suppressed_cells"] = int(pc.sum(table["is_suppressed"]).as_py() or 0)
    elif "has_suppressed" in table.column_names:
        extra["rows_with_suppressed_cells"] = int(pc.sum(table["has_suppressed"]).as_py() or 0)
    return table, extra


# ---- writing a release --------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def definition_hash(defn: DatasetDefinition) -> str:
    """Changes whenever the definition (SQL, columns, texts, access) changes."""
    body = {**defn.metadata(), "sql": " ".join(defn.sql.split()), "sources": list(defn.sources), "cubes": list(defn.cubes)}
    if defn.k_anonymous:
        body["k_anonymity"] = anonymity.scheme_description()
    return hashlib.sha256(_canonical(body)).hexdigest()[:16]


def descriptor(defn: DatasetDefinition, rows: int, files: dict[str, tuple[int, str]], data_as_of: str | None,
               extra: dict[str, Any]) -> dict[str, Any]:
    """The Frictionless Data Package descriptor (without ``version``, which hashes it)."""
    schema = {
        "fields": [c.field() for c in defn.columns],
        "primaryKey": list(defn.primary_key),
        "missingValues": [""],
    }
    resources = []
    for fmt, (size, digest) in files.items():
        res: dict[str, Any] = {
            "name": f"{defn.name}-{fmt}",
            "profile": "tabular-data-resource",
            "path": f"{defn.name}.{fmt}",
            **FORMATS[fmt],
            "bytes": size,
            "hash": f"sha256:{digest}",
            "rows": rows,
            "schema": schema,
        }
        if fmt == "csv":
            res["dialect"] = {"delimiter": ",", "header": True, "quoteChar": '"', "lineTerminator": "\n"}
        resources.append(res)
    marts = sorted(set(defn.sources) | {m for c in defn.cubes for m in CUBES[c].sources})
    return {
        "profile": "tabular-data-package",
        "name": defn.name,
        "title": defn.title_fr,
        "description": defn.description_fr,
        "licenses": [defn.licence.descriptor()],
        "keywords": list(defn.keywords),
        "sources": [{"title": f"civstat — entrepôt publié / المستودع المنشور ({', '.join(marts)})"}],
        "civstat": {
            "title_ar": defn.title_ar,
            "description_ar": defn.description_ar,
            "sectors": list(defn.sectors),
            "disclosure": defn.disclosure,
            "grain": defn.grain,
            "cadence": defn.cadence,
            "data_as_of": data_as_of,
            "rows": rows,
            "definition_hash": definition_hash(defn),
            **({"suppression": "primary 1-4 + hypercube complementary (datasets/disclosure.py)"} if defn.cubes else {}),
            **extra,
        },
        "resources": resources,
    }


def write_release(defn: DatasetDefinition, table: pa.Table, root: Path, *, data_as_of: str | None,
                  extra: dict[str, Any] | None = None) -> ReleaseResult:
    started = time.perf_counter()
    folder = root / defn.name
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        paths = {"parquet": tmp / f"{defn.name}.parquet", "csv": tmp / f"{defn.name}.csv"}
        # a dictionary cannot help a column whose every value is distinct (pseudonyms, IDs)
        unique = {defn.primary_key[0]} if len(defn.primary_key) == 1 else set()
        dictionary = [n for n in table.column_names if n not in unique | {"national_id"}]
        pq.write_table(table, paths["parquet"], **{**_PARQUET_OPTIONS, "use_dictionary": dictionary})
        pacsv.write_csv(table, paths["csv"], _CSV_OPTIONS)
        files = {fmt: (p.stat().st_size, _sha256(p)) for fmt, p in paths.items()}
        desc = descriptor(defn, table.num_rows, files, data_as_of, extra or {})
        version = hashlib.sha256(_canonical(desc)).hexdigest()[:16]
        desc = {**desc, "version": version}
        (tmp / DESCRIPTOR).write_text(json.dumps(desc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        final = folder / version
        created = not final.exists()
        if created:
            for p in tmp.iterdir():
                p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            try:
                os.rename(tmp, final)
            except OSError:  # a concurrent run produced the same version first
                created = False
        if not created:
            verify_release(final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _set_latest(folder, version)
    result = ReleaseResult(
        defn.name, version, final, table.num_rows, created,
        {p.name: f"sha256:{files[fmt][1]}" for fmt, p in paths.items()}, time.perf_counter() - started, extra or {},
    )
    log.info("dataset %s: version %s, %d rows, %s", defn.name, version, table.num_rows, "new" if created else "unchanged")
    return result


def _set_latest(folder: Path, version: str) -> None:
    tmp = folder / f".{LATEST}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(version + "\n")
    os.replace(tmp, folder / LATEST)


def verify_release(path: Path) -> dict[str, Any]:
    """Re-hash every file of a release against its descriptor; the descriptor against its name."""
    desc = json.loads((path / DESCRIPTOR).read_text(encoding="utf-8"))
    body = {k: v for k, v in desc.items() if k != "version"}
    if desc.get("version") != path.name or hashlib.sha256(_canonical(body)).hexdigest()[:16] != path.name:
        raise ReleaseError(f"release {path} does not match its version")
    for res in desc["resources"]:
        f = path / res["path"]
        if f.stat().st_size != res["bytes"] or f"sha256:{_sha256(f)}" != res["hash"]:
            raise ReleaseError(f"release file {f} does not match its descriptor")
    return desc


# ---- reading releases (the API and the CLI) -----------------------------------------------------

def latest_version(root: Path, name: str) -> str | None:
    try:
        v = (root / name / LATEST).read_text().strip()
    except FileNotFoundError:
        return None
    return v if VERSION_RE.match(v) and (root / name / v).is_dir() else None


def read_descriptor(root: Path, name: str, version: str) -> dict[str, Any] | None:
    if name not in catalog.DATASETS or not VERSION_RE.match(version):
        return None
    try:
        return json.loads((root / name / version / DESCRIPTOR).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def list_versions(root: Path, name: str) -> list[dict[str, Any]]:
    """Every release of a dataset, newest data first (ties: version), with the latest marked."""
    folder = root / name
    if name not in catalog.DATASETS or not folder.is_dir():
        return []
    latest = latest_version(root, name)
    out = []
    for p in folder.iterdir():
        if not (p.is_dir() and VERSION_RE.match(p.name)):
            continue
        desc = read_descriptor(root, name, p.name)
        if desc is None:
            continue
        out.append({
            "version": p.name,
            "is_latest": p.name == latest,
            "data_as_of": desc["civstat"].get("data_as_of"),
            "rows": desc["civstat"].get("rows"),
            "definition_hash": desc["civstat"].get("definition_hash"),
            "files": [{"name": r["path"], "format": r["format"], "bytes": r["bytes"], "hash": r["hash"]} for r in desc["resources"]]
            + [{"name": DESCRIPTOR, "format": "json"}],
        })
    out.sort(key=lambda v: (v["data_as_of"] or "", v["version"]), reverse=True)
    return out


def release_file(root: Path, name: str, version: str, file_name: str) -> Path | None:
    """The path of a released file, only if the descriptor lists it (no path can escape)."""
    desc = read_descriptor(root, name, version)
    if desc is None:
        return None
    allowed = {r["path"] for r in desc["resources"]} | {DESCRIPTOR}
    if file_name not in allowed:
        return None
    path = root / name / version / file_name
    return path if path.is_file() else None


# ---- the whole set ------------------------------------------------------------------------------

def release_all(
    wh: Warehouse | None = None,
    *,
    names: Sequence[str] | None = None,
    settings: Settings | None = None,
    registry_url: str | None = None,
    quality_gate: bool = True,
    root: Path | None = None,
    cache: bool = True,
) -> list[ReleaseResult]:
    """Release the named datasets (all by default) from the current published warehouse.

    Fails before writing anything when the quality gate blocks, a pseudonym key is missing, or
    a name is unknown. ``cache`` keeps each cube-year's suppression pattern (a pure function of
    its counts) under ``releases/.cache`` so unchanged years are not recomputed."""
    settings = settings or get_settings()
    wh = wh or Warehouse.from_settings(settings)
    root = root or releases_root(settings)
    defs = [catalog.get(n) for n in (names or list(catalog.DATASETS))]
    for d in defs:  # fail fast on keys, before any work
        if d.pseudonym_sector is not None:
            pseudonyms.sector_key(settings, d.pseudonym_sector)
    registry_url = registry_url or (settings.registry_url if any(d.disclosure == "identified" for d in defs) else None)
    results: list[ReleaseResult] = []
    with open_snapshot(wh, _needed_tables(defs)) as snap:
        if quality_gate:
            check_quality(snap)
        else:
            log.warning("quality gate disabled: releasing %s without checking the last quality run", ", ".join(d.name for d in defs))
        run = _Run(snap, settings, registry_url, (root / ".cache") if cache else None)
        for d in defs:
            started = time.perf_counter()
            table, extra = build_table(d, run)
            built = time.perf_counter() - started
            res = write_release(d, table, root, data_as_of=snap.data_as_of, extra=extra)
            timing = {
                "cube_seconds": {c: run.timings.pop(c) for c in d.cubes if c in run.timings},
                "query_seconds": round(built, 3),  # SQL (+ cubes, IDs, pseudonyms) to an Arrow table
                "write_seconds": round(res.seconds, 3),  # Parquet + CSV + hashes + descriptor
            }
            results.append(ReleaseResult(res.name, res.version, res.path, res.rows, res.created, res.files,
                                         built + res.seconds, {**res.extra, **timing}))
    return results


def _needed_tables(defs: Iterable[DatasetDefinition]) -> set[str]:
    return {t for d in defs for t in (*d.sources, *(m for c in d.cubes for m in CUBES[c].sources))}
