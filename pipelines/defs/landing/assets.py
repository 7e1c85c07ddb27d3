"""The landing assets: the registry's change log and reference tables, in the warehouse's
``raw`` schema. Keys are dagster-dbt's default source keys (``["registry", <table>]``), so the
dbt models that read ``source('registry', ...)`` hang below them in the lineage graph."""


from collections.abc import Iterator

import dagster as dg

from pipelines.defs.resources import RegistryResource, WarehouseResource
from pipelines.defs.retry import TRANSIENT_RETRY, transient_only
from pipelines.lib.landing import REFERENCE_TABLES, land

LANDING_GROUP = "landing"
CHANGES_KEY = dg.AssetKey(["registry", "changes"])
REFERENCE_KEYS = {name: dg.AssetKey(["registry", name]) for name in REFERENCE_TABLES}

_DESCRIPTIONS = {
    "changes": "raw.registry_changes: the registry change log, landed exactly once (docs/landing.md).",
    "regions": "raw.registry_regions: snapshot of the registry's regions.",
    "provinces": "raw.registry_provinces: snapshot of the registry's provinces and prefectures.",
    "communes": "raw.registry_communes: snapshot of the registry's communes.",
    "offices": "raw.registry_offices: snapshot of the civil-status offices.",
    "settings": "raw.registry_settings: the registry's settings (synthetic_scale for simulated activity).",
}


@dg.multi_asset(
    name="land_registry",
    specs=[
        dg.AssetSpec(CHANGES_KEY, group_name=LANDING_GROUP, description=_DESCRIPTIONS["changes"], kinds={"python"}),
        *(
            dg.AssetSpec(key, group_name=LANDING_GROUP, description=_DESCRIPTIONS[name], kinds={"python"})
            for name, key in REFERENCE_KEYS.items()
        ),
    ],
    retry_policy=TRANSIENT_RETRY,
)
def land_registry(
    context: dg.AssetExecutionContext, registry: RegistryResource, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """One landing run for the change log and the reference tables (one lock, one cursor)."""
    with transient_only("landing"):
        result = land(registry.url, warehouse.get(), run_id=context.run_id)
    yield dg.MaterializeResult(
        asset_key=CHANGES_KEY,
        metadata={
            "landed_rows": result.landed_rows,
            "batches": result.batches,
            "cursor": result.cursor,
            "total_rows": result.total_rows,
            "max_change_id": result.max_change_id or 0,
            "max_changed_at": result.max_changed_at.isoformat() if result.max_changed_at else "",
            "duration_s": round(result.duration_s, 3),
        },
    )
    for name, key in REFERENCE_KEYS.items():
        yield dg.MaterializeResult(asset_key=key, metadata={"replaced": name in result.reference_replaced})
