"""``ind_completeness``: registered births/deaths against the expected number, by region and year."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import ACT_TYPES, SEXES, Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "ind_completeness"
KEY = ("region_code", "year", "sex", "event_type")
COLUMNS: dict[str, str] = {
    "region_code": "text", "year": "integer", "sex": "text", "event_type": "text", "expected": "number",
    "registered_within_deadline": "integer", "registered_within_1y": "integer",
    "registered_within_5y": "integer", "completeness_deadline": "number", "completeness_1y": "number",
    "completeness_5y": "number",
}


def build_ind_completeness_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["year", "event_type"])
    b.unique(list(KEY), "one_row_per_grain")
    b.geography(inputs, {"region_code": "region"})
    b.in_set("event_type", ACT_TYPES, "valid_code")
    b.in_set("sex", SEXES, "valid_sex")
    for c in ("expected", "registered_within_deadline", "completeness_deadline", "completeness_1y", "completeness_5y"):
        b.between(c, "non_negative", "error", min_value=0)
    # a longer window can only hold more registrations
    b.ordered("registered_within_deadline", "registered_within_1y", "windows_nested", "error")
    b.ordered("registered_within_1y", "registered_within_5y", "windows_nested", "error")
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_ind_completeness_suite, KEY))
