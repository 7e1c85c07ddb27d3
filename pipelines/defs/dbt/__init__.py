"""dbt domain: the dbt models as assets, and the nightly full rebuild.

``defs`` is resolved lazily (PEP 562) so that ``pipelines.defs.dbt.project`` can be imported
to prepare the manifest before ``@dbt_assets`` needs it.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "defs":
        raise AttributeError(name)
    import dagster as dg

    from pipelines.defs.dbt.assets import civstat_dbt_assets
    from pipelines.defs.dbt.schedules import nightly_full_build_schedule

    defs = dg.Definitions(assets=[civstat_dbt_assets], schedules=[nightly_full_build_schedule])
    globals()["defs"] = defs
    return defs
