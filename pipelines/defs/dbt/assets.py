"""Every dbt model as an asset (dbt tests as asset checks, dagster-dbt 0.29's default).

``dbt build`` runs under the warehouse build lock: on DuckDB the dbt subprocess needs the
working file for itself; on PostgreSQL two builds must not race on the same relations.
"""


from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines.defs.dbt.project import civstat_dbt_project
from pipelines.defs.dbt.translator import CivstatDbtTranslator
from pipelines.defs.resources import WarehouseResource, dbt_environment
from pipelines.defs.retry import TRANSIENT_RETRY, transient_only
from pipelines.lib.writer import build_lock


class DbtBuildConfig(dg.Config):
    """``full_refresh`` rebuilds incremental models from scratch (the nightly safety net)."""

    full_refresh: bool = False


if not civstat_dbt_project.manifest_path.exists():
    raise FileNotFoundError(
        f"dbt manifest missing at {civstat_dbt_project.manifest_path}: prepare it first "
        "(`civstat pipeline` does, or pipelines.defs.dbt.project.prepare_dbt_project())"
    )


@dbt_assets(
    manifest=civstat_dbt_project.manifest_path,
    project=civstat_dbt_project,
    # source tests become checks on the landing assets (registry/changes, ...), where they belong
    dagster_dbt_translator=CivstatDbtTranslator(DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)),
    retry_policy=TRANSIENT_RETRY,
)
def civstat_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtBuildConfig
) -> Iterator[Any]:
    wh = warehouse.get()
    args = ["build", *(["--full-refresh"] if config.full_refresh else [])]
    with transient_only("dbt build"), build_lock(wh), dbt_environment(wh):
        yield from dbt.cli(args, context=context).stream()
