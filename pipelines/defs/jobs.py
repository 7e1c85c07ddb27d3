"""The two jobs. They select by group, so the selection resolves against whatever the domains
contribute (quality checks on the selected assets run with them).

In-process executor: every step writes or reads the single-writer DuckDB working file, so
parallel steps would only queue on its lock. On PostgreSQL (docs/scaling.md) the executor can
be switched to the multiprocess or Kubernetes executor with CIVSTAT_DAGSTER_EXECUTOR.
"""

from __future__ import annotations

import os

import dagster as dg

DBT_OP = "civstat_dbt_assets"
PIPELINE_GROUPS = ("landing", "staging", "intermediate", "marts", "indicators", "seeds", "snapshots", "quality", "publish")
PIPELINE_SELECTION = dg.AssetSelection.groups(*PIPELINE_GROUPS)
TAGS = {"civstat/warehouse": "writer"}  # dagster.yaml limits runs with this tag to one at a time


def _executor() -> dg.ExecutorDefinition:
    kind = os.environ.get("CIVSTAT_DAGSTER_EXECUTOR", "in_process")
    return dg.multiprocess_executor if kind == "multiprocess" else dg.in_process_executor


def full_refresh_config(full_refresh: bool) -> dict:
    return {"ops": {DBT_OP: {"config": {"full_refresh": full_refresh}}}}


def build_jobs(quality_checks: list[dg.AssetChecksDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    """``microbatch_job`` runs dbt tests (blocking: dbt build fails on an error) but not the
    slower statistical quality suites, which ``full_build_job`` (nightly) and ``quality_job``
    run; dataset releases are gated on the quality results either way. See docs/scaling.md."""
    micro = PIPELINE_SELECTION
    if quality_checks:
        micro = PIPELINE_SELECTION - dg.AssetSelection.checks(*quality_checks)
    jobs = [
        dg.define_asset_job(
            name="microbatch_job",
            selection=micro,
            executor_def=_executor(),
            tags=TAGS,
            description="Land new registry changes, incremental dbt build (dbt tests as checks), publish.",
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
                selection=dg.AssetSelection.checks(*quality_checks),
                executor_def=_executor(),
                tags=TAGS,
                description="The quality suites on the current working warehouse (no rebuild).",
            )
        )
    return jobs


def build_quality_schedule() -> dg.ScheduleDefinition:
    """Quality suites every 15 minutes on the working warehouse; their result tables reach
    readers with the next publish."""
    return dg.ScheduleDefinition(
        name="quality_schedule",
        job_name="quality_job",
        cron_schedule="*/15 * * * *",
        execution_timezone="Africa/Casablanca",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
