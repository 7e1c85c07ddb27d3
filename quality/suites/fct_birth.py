"""``fct_birth``: one row per birth act (current state)."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._acts import ACT_COLUMNS, act_fact_expectations
from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "fct_birth"
KEY = ("act_id",)
COLUMNS: dict[str, str] = {
    **ACT_COLUMNS, "mother_age": "integer", "father_age": "integer", "plurality": "integer",
    "mother_nationality": "text", "father_nationality": "text",
}


def build_fct_birth_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    p = inputs.config.plausible
    b = SuiteBuilder(MODEL, inputs)
    act_fact_expectations(b, inputs)
    b.between("plurality", "plurality_positive", "error", min_value=1)
    # consistency: a parent is born before the child (age in completed years >= 1)
    b.between("mother_age", "parents_born_before_child", "error", min_value=0, strict_min=True)
    b.between("father_age", "parents_born_before_child", "error", min_value=0, strict_min=True)
    # plausibility: ranges from registry_api/reference/rules.toml [plausible]
    b.between("mother_age", "mother_age_plausible", "warn", min_value=p.mother_age_min, max_value=p.mother_age_max)
    b.between("father_age", "father_age_plausible", "warn", min_value=p.father_age_min, max_value=p.father_age_max)
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_fct_birth_suite, KEY))
