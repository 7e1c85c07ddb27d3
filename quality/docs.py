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
import re
import shutil
import time
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
        started = time.time()
        ctx.build_data_docs(site_names=[SITE], resource_identifiers=keys)
        make_offline(docs_dir(data_dir), since=started - 1)
    return docs_dir(data_dir) / "index.html"


# ----------------------------------------------------------------------------- offline
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
_VENDOR_URL = "static/vendor/"
# the CDN files GX 1.24's templates ask for -> the copies in quality/static/vendor (SOURCES.md)
_LOCAL = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker.min.css",
}
_GX_LOGO = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
_TAG = re.compile(r'<(?P<name>script|link|img)\b(?P<attrs>[^>]*?)(?:/>|>(?:\s*</script>)?)', re.S)
_URL = re.compile(r'\s(?:src|href)="(?P<url>https?://[^"]*)"')
_SRI = re.compile(r'\s(?:integrity|crossorigin)="[^"]*"')
_NEWSLETTER = re.compile(r'<p>[^<]*newsletter\s*<a [^>]*>[^<]*</a></p>', re.S)


def offline_html(html: str, root: str) -> str:
    """A Data Docs page with nothing to fetch from the Internet: CDN scripts and stylesheets point
    at the vendored copies (``root`` is the relative path from the page to the site's root), the
    S3 logo at the site's own, unused libraries (dark theme, vega) and any other
    external script, stylesheet or image are dropped, and so is the newsletter footer."""

    def tag(m: re.Match[str]) -> str:
        found = _URL.search(m.group("attrs"))
        if found is None:
            return m.group(0)
        url = found.group("url")
        if url in _LOCAL:
            return _SRI.sub("", m.group(0)).replace(url, f"{root}{_VENDOR_URL}{_LOCAL[url]}")
        if url.startswith(_GX_LOGO):
            return m.group(0).replace(url, f"{root}static/images/logo-long.png")
        if m.group("name") == "link" and 'rel="stylesheet"' not in m.group("attrs"):
            return m.group(0)  # a plain link, e.g. a hyperlink-like <link rel="help">: nothing is fetched
        return ""

    return _NEWSLETTER.sub("", _TAG.sub(tag, html))


def make_offline(site: Path, since: float = 0.0) -> int:
    """Rewrite the site's pages written since ``since`` (``offline_html``) and put the vendored
    files next to them; returns how many pages were rewritten."""
    target = site / _VENDOR_URL
    if not (target / "SOURCES.md").exists() or (target / "SOURCES.md").read_bytes() != (VENDOR / "SOURCES.md").read_bytes():
        shutil.copytree(VENDOR, target, dirs_exist_ok=True)
    n = 0
    for page in site.rglob("*.html"):
        if page.stat().st_mtime < since or _VENDOR_URL in page.as_posix():
            continue
        root = os.path.relpath(site, page.parent).replace(os.sep, "/")
        html = page.read_text(encoding="utf-8")
        new = offline_html(html, "" if root == "." else root + "/")
        if new != html:
            page.write_text(new, encoding="utf-8")
            n += 1
    return n


def _safe(run_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)
