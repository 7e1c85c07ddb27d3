"""``fct_act_change``: one row per change of an act (create, amend, correct, note, cancel)."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import (
    ENTITY_CHANGE_KINDS,
    LEGAL_BASIS_KINDS,
    Inputs,
    SuiteBuilder,
    schema_spec,
    table_spec,
)

MODEL = "fct_act_change"
KEY = ("change_id",)
COLUMNS: dict[str, str] = {
    "change_id": "integer", "act_id": "integer", "office_code": "text", "region_code": "text",
    "change_kind": "text", "legal_basis_kind": "text", "changed_at": "timestamp", "changed_date": "date",
}


def build_fct_act_change_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["change_id", "act_id", "change_kind", "changed_at"])
    b.unique(["change_id"], "one_row_per_change")
    b.geography(inputs, {"office_code": "office", "region_code": "region"})
    b.in_set("change_kind", ENTITY_CHANGE_KINDS["act"], "valid_change_kind")
    b.in_set("legal_basis_kind", LEGAL_BASIS_KINDS, "valid_code")
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_fct_act_change_suite, KEY))
