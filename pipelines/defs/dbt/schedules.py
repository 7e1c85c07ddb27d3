"""The nightly full rebuild: the safety net behind incremental models, not their correctness."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.jobs import full_refresh_config

nightly_full_build_schedule = dg.ScheduleDefinition(
    name="nightly_full_build_schedule",
    job_name="full_build_job",
    cron_schedule="30 2 * * *",
    execution_timezone="Africa/Casablanca",
    run_config=full_refresh_config(True),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:30 Casablanca time: land, dbt build --full-refresh, publish.",
)
