"""``dim_date``: the calendar, with the offices' working days."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "dim_date"
KEY = ("date_day",)
COLUMNS: dict[str, str] = {
    "date_day": "date", "year": "integer", "month": "integer", "month_start": "date",
    "day_of_week": "integer", "is_working_day": "boolean",
}


def build_dim_date_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["date_day", "year", "month", "month_start", "is_working_day"])
    b.unique(["date_day"], "one_row_per_day")
    b.between("month", "calendar_valid", "error", min_value=1, max_value=12)
    b.between("day_of_week", "calendar_valid", "error", min_value=0, max_value=7)
    b.ordered("month_start", "date_day", "calendar_valid", "error")
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_dim_date_suite, KEY))
