"""Curated dataset releases; ``pipelines/definitions.py`` merges ``defs`` (resources come from
the shared ``warehouse`` and ``registry`` keys defined there).

The pipeline's jobs select their own groups, not ``datasets``: releasing is a separate step
(``datasets_job``, ``civstat datasets release``) so a missing pseudonym key or a blocked quality
gate never fails the landing/dbt/publish run that keeps the dashboards fresh."""

import dagster as dg

from pipelines.defs.datasets.assets import GROUP, dataset_key, dataset_releases, dataset_specs

datasets_job = dg.define_asset_job(
    name="datasets_job",
    selection=dg.AssetSelection.groups(GROUP),
    description="Release every curated dataset from the current published warehouse.",
)

defs = dg.Definitions(assets=[dataset_releases], jobs=[datasets_job])

__all__ = ["dataset_key", "dataset_releases", "dataset_specs", "datasets_job", "defs"]
