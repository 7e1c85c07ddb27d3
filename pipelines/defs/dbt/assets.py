"""Every dbt model as an asset (dbt tests as asset checks, dagster-dbt 0.29's default).

``dbt build`` runs under the warehouse build lock: on DuckDB the dbt process needs the
working file for itself; on PostgreSQL two builds must not race on the same relations.
Full builds run dbt as dagster-dbt's subprocess (events streamed while it runs); the
micro-batch runs it in this process with the parsed project kept in memory
(``DbtBuildConfig.in_process``, ``pipelines.defs.dbt.inprocess``).
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
    # run dbt in the Dagster process with the manifest parsed once per process (micro-batches)
    in_process: bool = False


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
    if config.in_process:
        yield from _build_in_process(context, args, wh)
        return
    with transient_only("dbt build"), build_lock(wh), dbt_environment(wh):
        yield from dbt.cli(args, context=context).stream()


def _build_in_process(context: dg.AssetExecutionContext, args: list[str], wh: Any) -> Iterator[Any]:
    import json

    from pipelines.defs.dbt import inprocess

    manifest = json.loads(civstat_dbt_project.manifest_path.read_text())
    key_by_uid = {str(spec.metadata["dagster_dbt/unique_id"]): spec.key for spec in context.assets_def.specs
                  if "dagster_dbt/unique_id" in spec.metadata}
    select, checks = inprocess.selection_args(context, manifest, key_by_uid)
    with transient_only("dbt build"), build_lock(wh), dbt_environment(wh):
        res = inprocess.invoke([*args, *select], project_dir=civstat_dbt_project.project_dir,
                               target_path=civstat_dbt_project.project_dir / civstat_dbt_project.target_path / "inprocess",
                               target=wh.kind, stamp=civstat_dbt_project.manifest_path)
        if res.exception is not None and res.result is None:
            raise res.exception
    yield from inprocess.events(res.result, key_by_uid, checks, set(context.selected_asset_keys))
    failed = inprocess.failures(res.result)
    if failed or not res.success:
        raise dg.Failure(description="dbt build failed: " + "; ".join(failed[:10] or [str(res.exception)]),
                         allow_retries=False)
