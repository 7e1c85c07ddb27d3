"""``ind_timeliness``: registrations on time / late / delayed by office, month and event type."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import ACT_TYPES, Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "ind_timeliness"
KEY = ("region_code", "office_code", "registration_month", "event_type")
COLUMNS: dict[str, str] = {
    "region_code": "text", "office_code": "text", "registration_month": "date", "event_type": "text",
    "registrations": "integer", "on_time": "integer", "late": "integer", "delayed": "integer",
    "share_on_time": "number", "share_late": "number", "share_delayed": "number",
}


def build_ind_timeliness_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["office_code", "registration_month", "event_type", "registrations"])
    b.unique(list(KEY), "one_row_per_grain")
    b.geography(inputs, {"office_code": "office", "region_code": "region"})
    b.in_set("event_type", ACT_TYPES, "valid_code")
    for c in ("registrations", "on_time", "late", "delayed"):
        b.between(c, "non_negative", "error", min_value=0)
    for c in ("share_on_time", "share_late", "share_delayed"):
        b.between(c, "share_valid", "error", min_value=0, max_value=1)
    # every registration is in exactly one class
    b.between("classes_minus_total", "parts_sum_to_total", "error", min_value=0, max_value=0)
    return b.suite


SUITES = (
    schema_spec(MODEL, COLUMNS),
    table_spec(MODEL, build_ind_timeliness_suite, KEY, derived={
        "classes_minus_total": "coalesce(on_time, 0) + coalesce(late, 0) + coalesce(delayed, 0) - registrations",
    }),
)
