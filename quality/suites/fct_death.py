"""``fct_death``: one row per death act (current state)."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._acts import ACT_COLUMNS, act_fact_expectations
from quality.suites._base import AGE_GROUPS, Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "fct_death"
KEY = ("act_id",)
COLUMNS: dict[str, str] = {
    **ACT_COLUMNS, "age_years": "integer", "age_group": "text", "is_infant": "boolean",
    "national_id_present": "boolean", "birth_date": "date",
}


def build_fct_death_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    act_fact_expectations(b, inputs)
    b.ordered("birth_date", "event_date", "death_after_birth", "error")
    b.between("age_years", "death_after_birth", "error", min_value=0)
    b.between("age_years", "age_at_death_plausible", "warn", max_value=inputs.config.plausible.max_age)
    b.in_set("age_group", AGE_GROUPS, "valid_code")
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_fct_death_suite, KEY))
