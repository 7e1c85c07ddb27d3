"""``dim_region``: the 12 regions with their census populations."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "dim_region"
KEY = ("region_code",)
COLUMNS: dict[str, str] = {
    "region_code": "text", "region_name_fr": "text", "region_name_ar": "text",
    "population_2014": "integer", "population_2024": "integer",
}


def build_dim_region_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["region_code", "region_name_fr", "region_name_ar", "population_2024"])
    b.unique(["region_code"], "one_row_per_region")
    b.geography(inputs, {"region_code": "region"})
    b.between("population_2014", "population_valid", "error", min_value=1)
    b.between("population_2024", "population_valid", "error", min_value=1)
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_dim_region_suite, KEY))
