"""Run the pipeline without a daemon: one materialization in-process, or a watch loop.

``run_pipeline`` is what ``civstat pipeline`` and the demo call; ``watch`` is the sensor's
condition in a plain loop (the demo has no Dagster daemon). Runs are recorded in the Dagster
instance under ``DAGSTER_HOME`` (default ``DATA_DIR/dagster``), so ``civstat dagster`` shows
them afterwards; except ``watch()``'s micro-batches, which run on an ephemeral instance by
default (each recorded event is a committed SQLite write; a recorded micro-batch spent most of
its time there: docs/scaling.md).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.lib.warehouse import Warehouse

log = logging.getLogger(__name__)


def dagster_home(data_dir: Path) -> Path:
    """``DAGSTER_HOME`` if set, else ``DATA_DIR/dagster`` with a dagster.yaml written for it."""
    from pipelines.dagster_config import write_dagster_yaml

    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
    else:
        home = data_dir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        write_dagster_yaml(home)
    return home


def _instance(data_dir: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(dagster_home(data_dir)))


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Wall time of each step, from its start event to its success/failure event."""
    start: dict[str, float] = {}
    out: dict[str, float] = {}
    for e in instance.all_logs(run_id):
        ev = e.dagster_event
        if ev is None or not ev.step_key:
            continue
        if ev.event_type_value == "STEP_START":
            start[ev.step_key] = e.timestamp
        elif ev.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and ev.step_key in start:
            out[ev.step_key] = round(e.timestamp - start[ev.step_key], 2)
    return out


def summarize(result: dg.ExecuteInProcessResult, started: float) -> dict[str, Any]:
    """The facts a person wants after a run: rows landed, models built, checks, publish."""
    from pipelines.defs.landing.assets import CHANGES_KEY
    from pipelines.defs.publish.assets import PUBLISH_KEY

    landed = None
    published = None
    models: list[str] = []
    for event in result.all_events:
        if not event.is_step_materialization:
            continue
        mat = event.event_specific_data.materialization  # type: ignore[union-attr]
        meta = {k: _value(v) for k, v in mat.metadata.items()}
        if mat.asset_key == CHANGES_KEY:
            landed = meta
        elif mat.asset_key == PUBLISH_KEY:
            published = meta
        elif mat.asset_key.path[0] != "registry":
            models.append(mat.asset_key.to_user_string())
    checks = result.get_asset_check_evaluations()
    failed = [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks if not c.passed]
    blocking = [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks
                if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    errors = [
        f"{e.step_key}: {step_error_line(e.event_specific_data.error)}"  # type: ignore[union-attr]
        for e in result.all_events
        if e.is_step_failure and e.event_specific_data and getattr(e.event_specific_data, "error", None)
    ]
    return {
        "success": result.success,
        "run_id": result.run_id,
        "landed_rows": int((landed or {}).get("landed_rows", 0)),
        "cursor": (landed or {}).get("cursor"),
        "models_built": len(models),
        "checks_passed": len(checks) - len(failed),
        "checks_failed": len(failed),
        "failed_checks": failed,
        "failed_error_checks": blocking,
        "errors": errors,
        "published_version": (published or {}).get("version"),
        "max_changed_at": (published or {}).get("max_changed_at"),
        "duration_s": round(time.perf_counter() - started, 2),
    }


def step_error_line(error: Any) -> str:
    """One line for a failed step. When its retries ran out, Dagster's own message is "Exceeded
    max_retries of N": say what kept failing instead (the innermost cause), and that it was retried."""
    def first_line(err: Any) -> str:
        return (err.message.strip().splitlines() or [err.cls_name or "error"])[0]

    first = first_line(error)
    if not first.startswith("Exceeded max_retries") or error.cause is None:
        return first
    root = error
    while root.cause is not None:
        root = root.cause
    return f"{first_line(root)} (gave up after {first.rsplit(' ', 1)[-1]} retries)"


def run_pipeline(
    registry_url: str | None = None,
    warehouse: str | Warehouse | None = None,
    full_refresh: bool = False,
    *,
    prepare: bool = True,
    log_level: str = "INFO",
) -> dict[str, Any]:
    """Land → dbt build (incremental, or ``--full-refresh``) → dbt tests and quality suites →
    publish, in-process (``civstat pipeline``, the demo).

    Incremental runs are ``pipeline_job``, full refreshes ``full_build_job``: both run every dbt
    test and every quality suite *before* publishing, so the published snapshot holds this
    run's ``quality_results`` (the dataset release gate and the quality dashboard read them
    there) and an error-severity failure keeps the previous version published. The fast
    ``microbatch_job`` is for the sensor and ``watch()``. Returns the summary dict (``success``
    False on a failed step; nothing raised, so the demo can keep going). ``prepare`` parses the
    dbt project first (needed once per checkout and after dbt changes).
    """
    return run_job("full_build_job" if full_refresh else "pipeline_job", registry_url, warehouse,
                   full_refresh=full_refresh, prepare=prepare, log_level=log_level)


def run_job(
    job_name: str,
    registry_url: str | None = None,
    warehouse: str | Warehouse | None = None,
    *,
    full_refresh: bool = False,
    prepare: bool = True,
    log_level: str = "INFO",
    record: bool = True,
) -> dict[str, Any]:
    """Execute one of the pipeline jobs in-process against the given databases.

    ``record=False`` runs on an ephemeral (in-memory) Dagster instance instead of the one under
    ``DAGSTER_HOME``: the run is not in the UI's history afterwards, but none of its events is a
    committed SQLite write (~50 ms each on a busy disk, ~3 per dbt node; measured in
    docs/scaling.md). ``watch()`` uses it for micro-batches."""
    from pipelines.defs.jobs import full_refresh_config
    from pipelines.defs.resources import resolve

    started = time.perf_counter()
    url, wh = resolve(registry_url, warehouse)
    if prepare:
        from pipelines.defs.dbt.project import prepare_dbt_project

        prepare_dbt_project()
    from pipelines.definitions import SKIPPED_DOMAINS, build_defs

    defs = build_defs(url, wh)
    job = defs.resolve_job_def(job_name)
    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if job_name != "quality_job":
        run_config.update(full_refresh_config(full_refresh, in_process=job_name == "microbatch_job"))
    with (_instance(wh.data_dir) if record else dg.DagsterInstance.ephemeral()) as instance:
        result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False)
        steps = _step_seconds(instance, result.run_id)
    summary = summarize(result, started)
    summary["steps_s"] = steps
    summary["job"] = job_name
    summary["full_refresh"] = full_refresh
    summary["skipped_domains"] = dict(SKIPPED_DOMAINS)
    return summary


def is_built(wh: Warehouse) -> bool:
    """Has a run published this warehouse (so every model, reference ones included, exists)?"""
    from pipelines.lib.publish import NotPublishedError, current_version, data_as_of

    try:
        if wh.is_postgres:
            return bool(data_as_of(wh))
        return current_version(wh).exists()
    except NotPublishedError:
        return False
    except Exception:  # noqa: BLE001 - e.g. publish_meta not created yet on PostgreSQL
        return False


def needs_run(registry_url: str, wh: Warehouse) -> bool:
    """The sensor's condition, plus "never published" (the first build must happen even on an
    empty registry so readers find tables)."""
    from pipelines.lib.landing import pending_changes
    from pipelines.lib.publish import NotPublishedError, current_version, data_as_of

    try:
        if wh.is_postgres:
            if not data_as_of(wh):
                return True
        else:
            current_version(wh)
    except NotPublishedError:
        return True
    except Exception:  # noqa: BLE001 - e.g. publish_meta not created yet on PostgreSQL
        return True
    return pending_changes(registry_url, wh).count > 0


def watch(
    registry_url: str | None = None,
    warehouse: str | Warehouse | None = None,
    interval_s: float = 15,
    stop_event: threading.Event | None = None,
    on_run: Callable[[dict[str, Any]], None] | None = None,
    *,
    quality_every_s: float = 900,
    record_microbatches: bool = False,
) -> None:
    """Run a micro-batch whenever the registry has changes past the landed cursor, until
    ``stop_event`` is set; every ``quality_every_s`` also run the quality suites and publish
    their results (what the daemon's sensor and quality_schedule do). Failures are logged and
    retried next tick. Micro-batches run on an ephemeral Dagster instance unless
    ``record_microbatches`` (their summaries go to the log and ``on_run``)."""
    from pipelines.defs.dbt.project import prepare_dbt_project
    from pipelines.defs.resources import resolve

    stop = stop_event or threading.Event()
    url, wh = resolve(registry_url, warehouse)
    prepare_dbt_project()
    last_quality = time.monotonic()
    while not stop.is_set():
        try:
            if needs_run(url, wh):
                # the micro-batch refreshes only the incremental side; the first build makes everything
                job = "microbatch_job" if is_built(wh) else "pipeline_job"
                summary = run_job(job, url, wh, prepare=False, log_level="WARNING", record=record_microbatches)
                log.info("micro-batch: %s", summary)
                if on_run:
                    on_run(summary)
            if quality_every_s and time.monotonic() - last_quality >= quality_every_s and _has_quality_job(url, wh):
                last_quality = time.monotonic()
                summary = run_job("quality_job", url, wh, prepare=False, log_level="WARNING")
                log.info("quality: %s", summary)
                if on_run:
                    on_run(summary)
        except Exception:  # noqa: BLE001 - the loop must survive a bad tick
            log.exception("pipeline tick failed; retrying in %ss", interval_s)
        stop.wait(interval_s)


def _has_quality_job(url: str, wh: Warehouse) -> bool:
    from pipelines.definitions import build_defs

    return any(j.name == "quality_job" for j in build_defs(url, wh).jobs or [])
