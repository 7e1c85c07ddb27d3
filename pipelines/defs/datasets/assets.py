"""One Dagster asset per curated dataset (key ``["datasets", <name>]``), all made by one
subsettable multi-asset so the protected cubes they share are computed once per run.

They read the *published* warehouse (never the working one), so each depends on the publish
asset as well as on the marts it uses; ``pipelines/definitions.py`` therefore does not make
publishing wait for them. Resources are the shared ``warehouse`` and ``registry`` (the latter
only for the national IDs of the electoral-roll extract); pseudonym keys come from the
environment (``CIVSTAT_PSEUDONYM_KEYS``), never from run config, which Dagster records. (No
``from __future__ import annotations`` here: Dagster reads the context annotation at runtime.)
"""


from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from datasets import catalog
from datasets.cubes import CUBES
from pipelines.defs.resources import RegistryResource, WarehouseResource

try:
    from pipelines.defs.publish.assets import PUBLISH_KEY
except ModuleNotFoundError:  # pragma: no cover - a checkout without the publish domain
    PUBLISH_KEY = dg.AssetKey(["published_warehouse"])

GROUP = "datasets"


def dataset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["datasets", name])


def _marts(defn: catalog.DatasetDefinition) -> list[str]:
    return sorted(set(defn.sources) | {m for c in defn.cubes for m in CUBES[c].sources})


def dataset_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=dataset_key(d.name),
            deps=[PUBLISH_KEY, *(dg.AssetKey([m]) for m in _marts(d))],
            group_name=GROUP,
            description=f"{d.title_fr} — {d.title_ar}",
            kinds={"parquet", "csv"},
            metadata={"disclosure": d.disclosure, "sectors": ", ".join(d.sectors), "cadence": d.cadence, "grain": d.grain},
            skippable=True,
        )
        for d in catalog.DATASETS.values()
    ]


@dg.multi_asset(specs=dataset_specs(), can_subset=True, name="dataset_releases")
def dataset_releases(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, registry: RegistryResource
) -> Iterator[dg.MaterializeResult]:
    """Release the selected datasets from the current published warehouse (blocked by an
    error-severity quality failure). Unchanged inputs give the same version, not a new one."""
    from datasets.release import QualityGateError, release_all
    from registry_api.core.config import Settings

    names = [k.path[-1] for k in context.selected_asset_keys]
    wh = warehouse.get()
    try:
        results = release_all(
            wh, names=names, settings=Settings(), registry_url=registry.url, root=Path(wh.data_dir).resolve() / "releases"
        )
    except QualityGateError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    for r in results:
        yield dg.MaterializeResult(
            asset_key=dataset_key(r.name),
            data_version=dg.DataVersion(r.version),
            metadata={
                "version": r.version,
                "rows": dg.MetadataValue.int(r.rows),
                "new_release": r.created,
                "seconds": dg.MetadataValue.float(round(r.seconds, 3)),
                "path": dg.MetadataValue.path(str(r.path)),
                **{f"sha256:{f}": h.removeprefix("sha256:") for f, h in r.files.items()},
                **{k: dg.MetadataValue.json(v) if isinstance(v, dict) else v for k, v in r.extra.items()},
            },
        )
