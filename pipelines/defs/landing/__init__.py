"""Landing domain: the registry change log into ``raw``, and the sensor that triggers micro-batches."""

import dagster as dg

from pipelines.defs.landing.assets import land_registry
from pipelines.defs.landing.sensors import registry_changes_sensor

defs = dg.Definitions(assets=[land_registry], sensors=[registry_changes_sensor])
