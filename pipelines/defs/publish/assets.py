"""Publishing: the last step of a run, after dbt (and the quality assets) succeeded.

Readers (dashboards, ``civstat sql``, datasets) never open the working DuckDB file; this asset
copies the read-facing tables to a new version and swaps ``published/CURRENT``
(``pipelines.lib.publish``). On PostgreSQL it only writes ``analytics.publish_meta``.
Its upstreams are given when the definitions are assembled (``build_publish_asset``), because
they are every asset that writes a table readers see: dbt models, quality results.
"""


from collections.abc import Iterable

import dagster as dg

from pipelines.defs.resources import WarehouseResource
from pipelines.defs.retry import TRANSIENT_RETRY, transient_only
from pipelines.lib.publish import publish

PUBLISH_KEY = dg.AssetKey(["published_warehouse"])
PUBLISH_GROUP = "publish"


def build_publish_asset(upstream: Iterable[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        group_name=PUBLISH_GROUP,
        deps=sorted(set(upstream), key=lambda k: k.to_user_string()),
        retry_policy=TRANSIENT_RETRY,
        description="The read-only warehouse readers use (DuckDB version + CURRENT, or PostgreSQL publish_meta).",
    )
    def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        with transient_only("publish"):
            meta = publish(warehouse.get(), context.run_id)
        return dg.MaterializeResult(
            metadata={
                "version": meta["version"],
                "landed_rows": int(meta["landed_rows"] or 0),
                "total_changes": int(meta["total_changes"] or 0),
                "max_change_id": int(meta["max_change_id"] or 0),
                "max_changed_at": meta["max_changed_at"].isoformat() if meta["max_changed_at"] else "",
                "published_at": meta["published_at"].isoformat(),
            }
        )

    return published_warehouse
