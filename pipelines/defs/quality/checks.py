"""Quality suites as Dagster asset checks, attached to the assets they judge.

(No ``from __future__ import annotations`` here: Dagster inspects the check functions' raw
annotations to find the context and resource parameters.)

One ``@dg.asset_check`` per ``quality.suites.CHECKS`` entry, all ``blocking=True``: a check
whose failed expectations include an *error*-severity one reports
``AssetCheckSeverity.ERROR`` and Dagster does not materialize anything downstream of the asset
in that run (so a publish step after the marts does not run); a check whose failures are all
*warn* reports ``WARN`` and the run goes on. Results, quarantine and Data Docs are written by
``quality.runner`` whatever the outcome.

dbt models are keyed by model name (``["fct_birth"]``) and the landing asset by
``["registry", "changes"]``, as dagster-dbt and ``pipelines/defs/landing`` name them.
Note: a blocking check on a dbt model stops *other steps* downstream (publishing, datasets);
models built in the same ``dbt build`` step are already built by the time the check runs.
"""


import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetCheckExecutionContext

from pipelines.lib.warehouse import Warehouse
from quality.runner import CheckOutcome, run_check
from quality.suites import CHECKS, CheckSpec

# Jobs where a check must be cheap (the micro-batch, which runs landed_changes_quality before
# dbt): validated by the compiled SQL engine, no Data Docs rendering (quality_results and
# quarantine are written as always; the next full or quality run renders the docs).
FAST_JOBS = frozenset({"microbatch_job"})


class QualityResource(dg.ConfigurableResource):
    """Where the checks read and write. Empty fields fall back to the ``CIVSTAT_*`` settings."""

    warehouse: str | None = None  # DuckDB file path or PostgreSQL URL
    data_dir: str | None = None  # Data Docs go to <data_dir>/quality_docs
    registry_url: str | None = None  # for reconciliation; default: the registry of the settings
    config_path: str | None = None  # a quality/config.toml variant
    render_docs: bool = True  # GX Data Docs per check (~1 s each); quality_results is written regardless

    def target(self) -> Warehouse:
        base = Warehouse.from_settings()
        return Warehouse(self.warehouse or base.target, Path(self.data_dir).resolve() if self.data_dir else base.data_dir)

    def config(self) -> Any:
        from quality.config import default_config, load_config

        return load_config(self.config_path) if self.config_path else default_config()


def _metadata(outcome: CheckOutcome) -> dict[str, Any]:
    s = outcome.summary()
    failed = [
        {"suite": r.suite, "rule": r.rule, "severity": r.severity, "column": r.column,
         "unexpected": r.unexpected_count, "observed": (r.observed_value or "")[:200], "sample_keys": r.sample_keys[:5]}
        for r in outcome.failed
    ]
    md: dict[str, Any] = {
        "expectations": s["expectations"],
        "failed_error_rules": ", ".join(s["failed_error"]) or "none",
        "failed_warn_rules": ", ".join(s["failed_warn"]) or "none",
        "unexpected_rows": s["unexpected_rows"],
        "failures": dg.MetadataValue.json(failed[:50]),
        "suites": dg.MetadataValue.json(s["suites"]),
        "seconds": s["seconds"],
        "quality_run_id": outcome.run_id,
    }
    if outcome.docs_index:
        md["data_docs"] = dg.MetadataValue.path(str(outcome.docs_index))
    return md


def to_check_result(outcome: CheckOutcome) -> dg.AssetCheckResult:
    """ERROR when an error-severity expectation failed (blocks downstream), else WARN."""
    severity = dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(passed=outcome.passed, severity=severity, metadata=_metadata(outcome))


def build_check(spec: CheckSpec, asset_key: dg.AssetKey | None = None) -> dg.AssetChecksDefinition:
    """The asset check for ``spec`` (``asset_key`` re-targets it, e.g. in tests)."""

    @dg.asset_check(
        asset=asset_key or dg.AssetKey(list(spec.asset_key)),
        name=spec.name,
        description=spec.description,
        blocking=True,
        additional_deps=[dg.AssetKey(list(d)) for d in spec.additional_deps] or None,
        metadata={"suites": ", ".join(s.name for s in spec.suites)},
    )
    def _check(context: AssetCheckExecutionContext, quality: QualityResource) -> dg.AssetCheckResult:
        config = quality.config()
        fast = context.run.job_name in FAST_JOBS
        if fast:  # the compiled SQL engine whatever the frame's size (same verdicts, no GX planning)
            config = config.replace(gx_max_rows=-1)
        outcome = run_check(
            spec, quality.target(), run_id=context.run.run_id, config=config,
            registry_url=quality.registry_url, use_settings_registry=quality.registry_url is None,
            render_docs=quality.render_docs and not fast,
        )
        context.log.info(f"{spec.name}: {len(outcome.failed)} failed of {len(outcome.results)} expectations"
                         f" in {outcome.seconds:.1f}s")
        return to_check_result(outcome)

    return _check


def build_checks(asset_keys: Iterable[dg.AssetKey] | None = None) -> list[dg.AssetChecksDefinition]:
    """Every check, or only those whose asset (and extra deps) are in ``asset_keys``."""
    keys = set(asset_keys) if asset_keys is not None else None
    out = []
    for spec in CHECKS:
        needed = {dg.AssetKey(list(spec.asset_key)), *(dg.AssetKey(list(d)) for d in spec.additional_deps)}
        if keys is None or needed <= keys:
            out.append(build_check(spec))
    return out


# Telemetry stays off whichever entry point imported us first.
os.environ["GX_ANALYTICS_ENABLED"] = "False"

quality_checks = build_checks()
defs = dg.Definitions(asset_checks=quality_checks, resources={"quality": QualityResource()})
