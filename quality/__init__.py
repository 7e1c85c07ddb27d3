"""Data quality for civstat: GX expectation suites, run as Dagster asset checks.

Importing the package turns GX's usage analytics off before ``great_expectations`` is ever
imported: the platform runs offline and reports to no one.
"""

from __future__ import annotations

import os

# Forced, not setdefault: an inherited GX_ANALYTICS_ENABLED=True must not make us phone home.
os.environ["GX_ANALYTICS_ENABLED"] = "False"
