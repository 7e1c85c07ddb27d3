"""``ind_office_daily``: one row per office and day: registrations, declarations, backlog."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "ind_office_daily"
KEY = ("office_code", "day")
COUNTS = ("births_registered", "deaths_registered", "acts_registered", "declarations_received",
          "declarations_registered", "declarations_rejected", "declarations_expired",
          "backlog_end_of_day", "documents_issued", "notifications_waiting")
COLUMNS: dict[str, str] = {
    "office_code": "text", "province_code": "text", "region_code": "text", "day": "date",
    **dict.fromkeys(COUNTS, "integer"), "p50_days_to_registration": "number",
    "p90_days_to_registration": "number",
}


def build_ind_office_daily_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["office_code", "day", "acts_registered"])
    b.unique(list(KEY), "one_row_per_grain")
    b.geography(inputs, {"office_code": "office", "province_code": "province", "region_code": "region"})
    for c in COUNTS:
        b.between(c, "non_negative", "error", min_value=0)
    b.between("acts_minus_parts", "parts_sum_to_total", "error", min_value=0, max_value=0)
    b.ordered("p50_days_to_registration", "p90_days_to_registration", "percentiles_ordered", "error")
    return b.suite


SUITES = (
    schema_spec(MODEL, COLUMNS),
    table_spec(MODEL, build_ind_office_daily_suite, KEY, derived={
        "acts_minus_parts": "acts_registered - coalesce(births_registered, 0) - coalesce(deaths_registered, 0)",
    }),
)
