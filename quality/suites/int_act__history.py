"""``int_act__history``: every version of every act (SCD2), exactly one of them current."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "int_act__history"
KEY = ("act_id", "valid_from")
COLUMNS: dict[str, str] = {"act_id": "integer", "valid_from": "timestamp", "valid_to": "timestamp"}


def build_int_act__history_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["act_id", "valid_from"])
    # one current row per act: among rows with valid_to null, act_id is unique
    b.unique(["current_act_id"], "one_current_row_per_act")
    b.unique(["act_id", "valid_from"], "one_version_per_instant")
    b.add(gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="valid_to", column_B="valid_from", or_equal=False, ignore_row_if="either_value_is_missing"),
        "validity_interval_ordered", "error")
    return b.suite


SUITES = (
    schema_spec(MODEL, COLUMNS),
    table_spec(MODEL, build_int_act__history_suite, KEY,
               derived={"current_act_id": "case when valid_to is null then act_id end"}),
)
