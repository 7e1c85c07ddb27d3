"""The one ``dg.Definitions`` of civstat: ``defs``.

Each domain under ``pipelines/defs/`` exposes its own ``defs`` (landing, dbt, and, when they
are installed, quality and datasets); they are merged here with the shared resources
(``registry``, ``warehouse``, ``dbt``) and the publish asset, whose upstreams are every dbt
model plus every quality/datasets asset that does not itself read the published warehouse.

``build_defs(registry_url, warehouse)`` builds the same thing for other databases
(``civstat pipeline --registry/--warehouse``, tests). The dbt manifest must have been
prepared (see ``pipelines.defs.dbt.project``).
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any

import dagster as dg

from pipelines.lib.warehouse import Warehouse

log = logging.getLogger(__name__)

OPTIONAL_DOMAINS = ("pipelines.defs.quality", "pipelines.defs.datasets")


# Optional domains that failed to load, with the reason (shown in the run summary).
SKIPPED_DOMAINS: dict[str, str] = {}


def _optional_domain(module: str) -> dg.Definitions | None:
    """A downstream domain (quality, datasets) that fails to import is skipped with a loud
    warning rather than taking landing, dbt and publishing down with it: fresh data keeps
    flowing while its owner fixes it. ``CIVSTAT_STRICT_DEFS=1`` (their tests, CI) raises."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None  # that domain is not in this checkout
        if os.environ.get("CIVSTAT_STRICT_DEFS") == "1":
            raise
        SKIPPED_DOMAINS[module] = f"{exc.__class__.__name__}: {exc}"
        log.warning("skipping %s: %s", module, SKIPPED_DOMAINS[module])
        return None
    except Exception as exc:
        if os.environ.get("CIVSTAT_STRICT_DEFS") == "1":
            raise
        SKIPPED_DOMAINS[module] = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        log.warning("skipping %s: %s", module, SKIPPED_DOMAINS[module])
        return None
    return getattr(mod, "defs", None)


def _asset_keys_of(defs: dg.Definitions) -> list[dg.AssetKey]:
    """Keys of the assets a domain makes that publishing must wait for (not those that read it)."""
    from pipelines.defs.publish.assets import PUBLISH_KEY

    keys: list[dg.AssetKey] = []
    for item in defs.assets or []:
        if isinstance(item, dg.AssetsDefinition):
            specs = list(item.specs)
        elif isinstance(item, dg.AssetSpec):
            continue  # external/observable spec: nothing to wait for
        else:
            continue
        for spec in specs:
            if all(dep.asset_key != PUBLISH_KEY for dep in spec.deps):
                keys.append(spec.key)
    return keys


# Fields a domain resource may leave unset (None) to mean "the pipeline's registry/warehouse".
_LOCATION_FIELDS = ("warehouse", "data_dir", "registry_url")


def _bind_locations(resource: Any, url: str, wh: Warehouse) -> Any:
    """Point a domain's resource at this Definitions' registry and warehouse when it left
    them unset, so ``build_defs(url, wh)`` moves every domain, not only landing and dbt."""
    if not isinstance(resource, dg.ConfigurableResource):
        return resource
    fields = {k: getattr(resource, k) for k in type(resource).model_fields}
    values = {"warehouse": wh.target, "data_dir": str(wh.data_dir), "registry_url": url}
    unset = {k: values[k] for k in _LOCATION_FIELDS if k in fields and fields[k] is None}
    return type(resource)(**{**fields, **unset}) if unset else resource


def build_defs(registry_url: str | None = None, warehouse: str | Warehouse | None = None) -> dg.Definitions:
    from pipelines.defs import dbt as dbt_domain
    from pipelines.defs import landing as landing_domain
    from pipelines.defs.dbt.assets import civstat_dbt_assets
    from pipelines.defs.jobs import build_jobs, build_quality_schedule
    from pipelines.defs.landing.sensors import build_registry_changes_sensor
    from pipelines.defs.publish.assets import build_publish_asset
    from pipelines.defs.resources import build_resources, resolve

    url, wh = resolve(registry_url, warehouse)
    domains = [landing_domain.defs, dbt_domain.defs]
    upstream = list(civstat_dbt_assets.keys)
    quality_checks: list[dg.AssetChecksDefinition] = []
    for module in OPTIONAL_DOMAINS:
        extra = _optional_domain(module)
        if extra is not None:
            domains.append(extra)
            upstream += _asset_keys_of(extra)
            if module.endswith("quality"):
                quality_checks += [c for c in extra.asset_checks or [] if isinstance(c, dg.AssetChecksDefinition)]
    shared = build_resources(url, wh)
    resources: dict[str, Any] = {}
    for d in domains:
        for key, res in (d.resources or {}).items():
            if key in shared:
                raise ValueError(f"a domain defines the shared resource key {key!r}; use the shared one")
            resources[key] = _bind_locations(res, url, wh)
    stripped = [
        dg.Definitions(assets=d.assets, asset_checks=d.asset_checks, schedules=d.schedules, sensors=d.sensors, jobs=d.jobs)
        for d in domains
    ]
    jobs = build_jobs(quality_checks)
    return dg.Definitions.merge(
        *stripped,
        dg.Definitions(
            assets=[build_publish_asset(upstream)],
            jobs=jobs,
            sensors=[build_registry_changes_sensor(jobs)],
            schedules=[build_quality_schedule()] if quality_checks else [],
            resources={**resources, **shared},
        ),
    )


defs = build_defs()
