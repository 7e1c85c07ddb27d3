"""``fct_divorce``: one row per divorce (talaq, tatliq, mutual consent, other)."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import DIVORCE_KINDS, Inputs, SuiteBuilder, schema_spec, table_spec
from quality.suites._family import FAMILY_COLUMNS, family_expectations

MODEL = "fct_divorce"
KEY = ("family_event_id",)
COLUMNS = {**FAMILY_COLUMNS, "divorce_kind": "text"}


def build_fct_divorce_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    family_expectations(b, inputs)
    b.in_set("divorce_kind", DIVORCE_KINDS, "valid_code")
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_fct_divorce_suite, KEY))
