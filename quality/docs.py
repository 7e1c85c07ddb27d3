"""GX Data Docs for civstat, rendered to ``DATA_DIR/quality_docs/`` (``civstat quality docs``).

Validation results are kept as GX JSON under ``DATA_DIR/quality/validations/`` (a filesystem
validation-results store) so every process that runs checks, including parallel Dagster steps,
adds to the same history; the site is rebuilt from that store. Expectation suites are built
from code each time (they are versioned in the repo, not in a GX project). The last
``docs_keep_runs`` results per suite are kept: ``quality_results`` is the long history.
A file lock serialises rendering between processes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

SITE = "civstat"


def docs_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "quality_docs"


def results_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "quality" / "validations"


def context(data_dir: Path) -> Any:
    """An ephemeral GX context (analytics off, no progress bars) whose validation results and
    Data Docs live under ``data_dir``."""
    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    cfg = DataContextConfig(store_backend_defaults=defaults, analytics_enabled=False)
    cfg.stores[defaults.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(results_dir(data_dir))},
    }
    cfg.data_docs_sites = {SITE: {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir(data_dir))},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }}
    ctx = gx.get_context(mode="ephemeral", project_config=cfg)
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return ctx


@contextmanager
def _lock(data_dir: Path) -> Iterator[None]:
    path = Path(data_dir) / "quality" / "docs.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _prune(data_dir: Path, suites: list[str], keep: int) -> None:
    """Keep the newest ``keep`` runs of each suite in the store (directories are run names)."""
    root = results_dir(data_dir)
    for suite in suites:
        folder = root / suite
        if not folder.is_dir():
            continue
        runs = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in runs[keep:]:
            shutil.rmtree(old, ignore_errors=True)
            html = docs_dir(data_dir) / "validations" / suite / old.name
            shutil.rmtree(html, ignore_errors=True)


def render(
    data_dir: Path, run_id: str, validations: Mapping[str, ExpectationSuiteValidationResult],
    suites: Mapping[str, gx.ExpectationSuite], keep: int = 5,
) -> Path:
    """Store this run's validation results and rebuild the site; returns its index.html."""
    with _lock(data_dir):
        ctx = context(data_dir)
        for suite in suites.values():
            ctx.suites.add_or_update(gx.ExpectationSuite(name=suite.name, expectations=[e.copy() for e in suite.expectations]))
        run = RunIdentifier(run_name=_safe(run_id))
        keys: list[Any] = []
        for name, result in validations.items():
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=name), run_id=run,
                batch_identifier=name,
            )
            result.meta = {**(result.meta or {}), "run_id": run, "civstat_run_id": run_id}
            ctx.validation_results_store.set(key, result)
            keys += [key, ExpectationSuiteIdentifier(name=name)]
        _prune(data_dir, list(validations), keep)
        # only this run's pages (and the index): a check in a Dagster run renders its own suites
        ctx.build_data_docs(site_names=[SITE], resource_identifiers=keys)
    return docs_dir(data_dir) / "index.html"


def _safe(run_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)
