"""The pipeline jobs. They select by group (and, for the micro-batch, by dbt tag), so the
selection resolves against whatever the domains contribute.

| job | selection | who runs it |
|---|---|---|
| ``microbatch_job`` | landing, the dbt models tagged ``microbatch`` (incremental models, the as-of date, the small tables over the facts), their key-uniqueness tests, the landed-changes quality check (quarantine before dbt), publish | the sensor, ``watch()`` |
| ``pipeline_job`` | everything: every model (incremental), every dbt test, every quality suite, publish after them | ``civstat pipeline``, first build |
| ``full_build_job`` | the same with ``--full-refresh`` | nightly schedule, ``civstat pipeline --full-refresh`` |
| ``quality_job`` | every quality suite, then publish (so readers get the results) | every 15 min |

Why the micro-batch is a subset (docs/scaling.md, "Micro-batch"): its cost is per node, not
per row (dbt's per-model DDL and per-test query, and Dagster's events, each a committed write
to the run storage), so reference models that only change with the reference data, and the
~250 column tests that the full build runs anyway, stay out of it.

In-process executor: every step writes or reads the single-writer DuckDB working file, so
parallel steps would only queue on its lock. On PostgreSQL (docs/scaling.md) the executor can
be switched to the multiprocess or Kubernetes executor with CIVSTAT_DAGSTER_EXECUTOR.
"""

from __future__ import annotations

import json
import os

import dagster as dg

DBT_OP = "civstat_dbt_assets"
PIPELINE_GROUPS = ("landing", "staging", "intermediate", "marts", "indicators", "seeds", "snapshots", "quality", "publish")
PIPELINE_SELECTION = dg.AssetSelection.groups(*PIPELINE_GROUPS)
TAGS = {"civstat/warehouse": "writer"}  # dagster.yaml limits runs with this tag to one at a time
MICROBATCH_TAG = "microbatch"  # dbt tag of the models a micro-batch refreshes (dbt_project.yml)
# dbt tests a micro-batch runs: the grain of every model it rebuilds (not of views: a view stores
# nothing a batch could corrupt, and stg_registry__changes' key is raw.registry_changes' primary
# key, enforced at landing; the full builds still test it). A delete+insert bug shows first as a
# duplicate key, and a duplicate would be carried into every later micro-batch.
MICROBATCH_TESTS = ("unique", "unique_combination_of_columns")
# quality checks a micro-batch runs: the landed acts are quarantined *before* dbt builds the
# facts, so a defective act never reaches fct_* (docs/quality.md, "Quarantine, exclusion").
MICROBATCH_QUALITY_CHECKS = ("landed_changes_quality",)


def _executor() -> dg.ExecutorDefinition:
    kind = os.environ.get("CIVSTAT_DAGSTER_EXECUTOR", "in_process")
    return dg.multiprocess_executor if kind == "multiprocess" else dg.in_process_executor


def full_refresh_config(full_refresh: bool, in_process: bool = False) -> dict:
    """Run config of the dbt step: ``--full-refresh`` or not; dbt in-process (micro-batch) or as
    dagster-dbt's subprocess."""
    return {"ops": {DBT_OP: {"config": {"full_refresh": full_refresh, "in_process": in_process}}}}


def microbatch_dbt_selection() -> dg.AssetSelection:
    """The dbt models tagged ``microbatch`` and, as checks, only their uniqueness tests."""
    from dagster_dbt import build_dbt_asset_selection

    from pipelines.defs.dbt.assets import civstat_dbt_assets
    from pipelines.defs.dbt.project import civstat_dbt_project

    manifest = json.loads(civstat_dbt_project.manifest_path.read_text())
    nodes = manifest["nodes"]
    models = {uid for uid, n in nodes.items() if n["resource_type"] == "model" and MICROBATCH_TAG in n["config"].get("tags", [])}
    checks = []
    for spec in civstat_dbt_assets.check_specs:
        test = nodes.get(str(spec.metadata.get("dagster_dbt/unique_id")))
        if not test:
            continue
        attached = nodes.get(str(test.get("attached_node")), {})
        if ((test.get("test_metadata") or {}).get("name") in MICROBATCH_TESTS and attached.get("unique_id") in models
                and attached.get("config", {}).get("materialized") != "view"):
            checks.append(spec.key)
    selected = build_dbt_asset_selection([civstat_dbt_assets], dbt_select=f"tag:{MICROBATCH_TAG}").without_checks()
    return selected | dg.AssetSelection.checks(*checks)


def build_jobs(quality_checks: list[dg.AssetChecksDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    from pipelines.defs.landing.assets import LANDING_GROUP
    from pipelines.defs.publish.assets import PUBLISH_GROUP

    micro = (
        dg.AssetSelection.groups(LANDING_GROUP).without_checks()
        | microbatch_dbt_selection()
        | dg.AssetSelection.groups(PUBLISH_GROUP).without_checks()
    )
    landing_quality = [c for c in quality_checks if any(k.name in MICROBATCH_QUALITY_CHECKS for k in c.check_keys)]
    if landing_quality:
        micro = micro | dg.AssetSelection.checks(*landing_quality)
    jobs = [
        dg.define_asset_job(
            name="microbatch_job",
            selection=micro,
            executor_def=_executor(),
            tags=TAGS,
            config=full_refresh_config(False, in_process=True),
            description="Land new registry changes, quarantine bad acts, incremental dbt build of the "
                        "micro-batch models (key tests as checks), publish.",
        ),
        dg.define_asset_job(
            name="pipeline_job",
            selection=PIPELINE_SELECTION,
            executor_def=_executor(),
            tags=TAGS,
            config=full_refresh_config(False),
            description="Land, incremental dbt build of every model with every test, the quality suites, "
                        "publish after them (civstat pipeline).",
        ),
        dg.define_asset_job(
            name="full_build_job",
            selection=PIPELINE_SELECTION,
            executor_def=_executor(),
            tags=TAGS,
            config=full_refresh_config(True),
            description="Land, rebuild every dbt model (--full-refresh), all checks incl. quality suites, publish.",
        ),
    ]
    if quality_checks:
        jobs.append(
            dg.define_asset_job(
                name="quality_job",
                selection=dg.AssetSelection.checks(*quality_checks) | dg.AssetSelection.groups(PUBLISH_GROUP).without_checks(),
                executor_def=_executor(),
                tags=TAGS,
                description="The quality suites on the current working warehouse (no rebuild), then publish "
                            "so readers (release gate, dashboards) see their results.",
            )
        )
    return jobs


def build_quality_schedule() -> dg.ScheduleDefinition:
    """Quality suites every 15 minutes on the working warehouse; the job publishes after them."""
    return dg.ScheduleDefinition(
        name="quality_schedule",
        job_name="quality_job",
        cron_schedule="*/15 * * * *",
        execution_timezone="Africa/Casablanca",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
