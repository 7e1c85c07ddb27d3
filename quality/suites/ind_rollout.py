"""``ind_rollout``: offices live on the electronic registry and electronic share, by region and month."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "ind_rollout"
KEY = ("region_code", "month_start")
COLUMNS: dict[str, str] = {
    "region_code": "text", "month_start": "date", "offices_total": "integer", "offices_live": "integer",
    "share_offices_live": "number", "events": "integer", "events_electronic": "integer",
    "share_electronic": "number",
}


def build_ind_rollout_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["month_start", "offices_total", "offices_live"])
    b.unique(list(KEY), "one_row_per_grain")
    b.geography(inputs, {"region_code": "region"})
    for c in ("offices_total", "offices_live", "events", "events_electronic"):
        b.between(c, "non_negative", "error", min_value=0)
    for c in ("share_offices_live", "share_electronic"):
        b.between(c, "share_valid", "error", min_value=0, max_value=1)
    b.ordered("offices_live", "offices_total", "parts_within_total", "error")
    b.ordered("events_electronic", "events", "parts_within_total", "error")
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_ind_rollout_suite, KEY))
