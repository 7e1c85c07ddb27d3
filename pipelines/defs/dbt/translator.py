"""Groups follow the dbt folders (staging, intermediate, marts, indicators); keys stay the
dagster-dbt defaults (``[model]``, ``[source, table]``) so the landing assets connect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster_dbt import DagsterDbtTranslator


class CivstatDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type in ("seed", "snapshot"):
            return f"{resource_type}s"
        fqn = dbt_resource_props.get("fqn") or []
        # fqn = [project, folder, ..., name]: the first folder under models/
        return fqn[1] if len(fqn) > 2 else "dbt"
