"""``fct_marriage``: one row per marriage (a family event, noted on both spouses' birth acts)."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec
from quality.suites._family import FAMILY_COLUMNS, family_expectations

MODEL = "fct_marriage"
KEY = ("family_event_id",)
COLUMNS = dict(FAMILY_COLUMNS)


def build_fct_marriage_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    family_expectations(b, inputs)
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_fct_marriage_suite, KEY))
