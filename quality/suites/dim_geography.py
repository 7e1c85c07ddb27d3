"""``dim_geography``: one row per office with its commune, province and region."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import OFFICE_KINDS, Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "dim_geography"
KEY = ("office_code",)
COLUMNS: dict[str, str] = {
    "office_code": "text", "office_kind": "text", "office_name_fr": "text", "office_name_ar": "text",
    "commune_code": "text", "commune_name_fr": "text", "commune_name_ar": "text",
    "province_code": "text", "province_name_fr": "text", "province_name_ar": "text",
    "region_code": "text", "region_name_fr": "text", "region_name_ar": "text",
    "country_code": "text", "live_since": "date", "population_2024": "integer",
}


def build_dim_geography_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["office_code", "office_kind", "office_name_fr", "office_name_ar", "country_code"])
    b.unique(["office_code"], "one_row_per_office")
    b.geography(inputs, {"office_code": "office", "commune_code": "commune",
                         "province_code": "province", "region_code": "region"})
    b.in_set("office_kind", OFFICE_KINDS, "valid_code")
    b.between("population_2024", "population_valid", "error", min_value=0)
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_dim_geography_suite, KEY))
