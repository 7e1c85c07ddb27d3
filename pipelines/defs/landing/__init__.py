"""Landing domain: the registry change log into ``raw``. Its sensor, which triggers
micro-batches, targets jobs built from every domain, so ``build_defs`` adds it
(``sensors.build_registry_changes_sensor``)."""

import dagster as dg

from pipelines.defs.landing.assets import land_registry

defs = dg.Definitions(assets=[land_registry])
