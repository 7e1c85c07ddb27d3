"""dbt in the Dagster process, with the parsed project kept in memory between runs.

The micro-batch's dbt step costs mostly fixed overhead when dagster-dbt runs ``dbt`` as a
subprocess: the process start and dbt's imports, reading the project back from the
partial-parse file, dagster-dbt's own set-up (an in-process adapter and a ``dbt --version``
call), then streaming JSON logs. Measured on the 2-core machine (load 4-5, 20k acts + 1,000
new): ~25 s for the micro-batch selection that dbt itself builds in ~4-5 s. Here dbt runs
through ``dbtRunner`` with the ``Manifest`` parsed once per process (``dbtRunner(manifest=...)``
skips parsing), and the step yields the Dagster events itself from dbt's node results:
``MaterializeResult`` per built model, ``AssetCheckResult`` per test.

Used by ``microbatch_job`` (``DbtBuildConfig.in_process``); the full builds keep dagster-dbt's
subprocess, which streams events while dbt runs. dbt is not re-entrant: one in-process
invocation at a time per process (a lock), and the warehouse build lock is held around it as
for the subprocess. dbt-duckdb closes its DuckDB handle when the invocation ends, so the
publish step can open the working file in the same process afterwards (tested).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

_LOCK = threading.Lock()
_MANIFESTS: dict[tuple[Any, ...], Any] = {}
_FAILED = {"error", "fail", "runtime error"}


def _common_args(project_dir: Path, target_path: Path, target: str) -> list[str]:
    return ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--target-path", str(target_path),
            "--target", target, "--log-path", str(target_path), "--quiet", "--no-use-colors"]


def _manifest(project_dir: Path, target_path: Path, target: str, stamp: Path) -> Any:
    """The parsed project for this target, parsed once per process (re-parsed when the prepared
    manifest ``stamp`` changes, i.e. after ``prepare_dbt_project``)."""
    from dbt.cli.main import dbtRunner

    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("CIVSTAT_DBT_")))
    key = (str(project_dir), str(target_path), target, stamp.stat().st_mtime_ns if stamp.exists() else 0, env)
    if key not in _MANIFESTS:
        res = dbtRunner().invoke(["parse", *_common_args(project_dir, target_path, target)])
        if not res.success:
            raise RuntimeError(f"dbt parse failed: {res.exception}")
        _MANIFESTS.clear()
        _MANIFESTS[key] = res.result
    return _MANIFESTS[key]


def invoke(args: Sequence[str], *, project_dir: Path, target_path: Path, target: str, stamp: Path) -> Any:
    """``dbt <args>`` in this process; returns dbt's ``dbtRunnerResult``."""
    from dbt.cli.main import dbtRunner

    target_path.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        try:
            manifest = _manifest(project_dir, target_path, target, stamp)
            return dbtRunner(manifest=manifest).invoke([*args, *_common_args(project_dir, target_path, target)])
        finally:
            release_connections()


def release_connections() -> None:
    """Close every database handle dbt keeps in this process. dbt-duckdb keeps its DuckDB
    environment (and cursors that outlive the invocation) at class level: left open, the working
    file stays locked by this process and the next dbt *subprocess* (a full build) cannot open it
    (seen in tests/pipelines/test_pipeline_e2e.py before this existed)."""
    import gc

    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        DuckDBConnectionManager = None  # noqa: N806
    if DuckDBConnectionManager is not None:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
        DuckDBConnectionManager.close_all_connections()
    from dbt.adapters.factory import cleanup_connections, reset_adapters

    cleanup_connections()
    reset_adapters()
    gc.collect()


def selection_args(context: dg.AssetExecutionContext, manifest: Mapping[str, Any],
                   key_by_unique_id: Mapping[str, dg.AssetKey]) -> tuple[list[str], dict[str, dg.AssetCheckKey]]:
    """``--select`` for exactly the models and tests this step was asked for, and the check key
    of each selected test by its dbt unique id (tests are never selected indirectly)."""
    selected_keys = context.selected_asset_keys
    checks: dict[str, dg.AssetCheckKey] = {}
    for spec in context.assets_def.check_specs:
        uid = spec.metadata.get("dagster_dbt/unique_id")
        if uid and spec.key in context.selected_asset_check_keys:
            checks[str(uid)] = spec.key
    names = []
    for uid, key in key_by_unique_id.items():
        if key in selected_keys:
            names.append(manifest["nodes"][uid]["name"])
    names += [manifest["nodes"][uid]["name"] for uid in checks]
    return ["--select", " ".join(sorted(names)), "--indirect-selection", "empty"], checks


def events(result: Any, key_by_unique_id: Mapping[str, dg.AssetKey], checks: Mapping[str, dg.AssetCheckKey],
           selected: set[dg.AssetKey]) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Dagster events from dbt's node results (what dagster-dbt derives from the log stream)."""
    for r in getattr(result, "results", None) or []:
        uid = r.node.unique_id
        status = str(getattr(r.status, "value", r.status))
        meta = {"unique_id": uid, "status": status, "execution_duration": round(float(r.execution_time or 0), 3)}
        if uid in checks:
            key = checks[uid]
            severity = str(getattr(r.node.config, "severity", "error") or "error").lower()
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=status in ("pass", "success"),
                severity=dg.AssetCheckSeverity.ERROR if severity == "error" else dg.AssetCheckSeverity.WARN,
                metadata={**meta, "failures": int(r.failures or 0), "message": str(r.message or "")[:500]},
            )
        elif uid in key_by_unique_id and key_by_unique_id[uid] in selected and status == "success":
            yield dg.MaterializeResult(asset_key=key_by_unique_id[uid], metadata={**meta, "message": str(r.message or "")})


def failures(result: Any) -> list[str]:
    """What failed (models and error-severity tests), for the step's failure message."""
    out = []
    for r in getattr(result, "results", None) or []:
        status = str(getattr(r.status, "value", r.status))
        if status in _FAILED:
            out.append(f"{r.node.name}: {status} {str(r.message or '')[:200]}")
    return out
