"""``ind_notification_lag``: how long notifications take between regions, by event type."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import NOTIFICATION_EVENTS, Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "ind_notification_lag"
KEY = ("from_region_code", "to_region_code", "event_type")
COLUMNS: dict[str, str] = {
    "from_region_code": "text", "to_region_code": "text", "event_type": "text",
    "notifications": "integer", "applied": "integer", "p50_hours": "number", "p95_hours": "number",
}


def build_ind_notification_lag_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["event_type", "notifications"])
    b.unique(list(KEY), "one_row_per_grain")
    b.geography(inputs, {"from_region_code": "region", "to_region_code": "region"})
    b.in_set("event_type", NOTIFICATION_EVENTS, "valid_code")
    for c in ("notifications", "applied", "p50_hours"):
        b.between(c, "non_negative", "error", min_value=0)
    b.ordered("applied", "notifications", "parts_within_total", "error")
    b.ordered("p50_hours", "p95_hours", "percentiles_ordered", "error")
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_ind_notification_lag_suite, KEY))
