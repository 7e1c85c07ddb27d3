"""``ind_age_heaping``: Whipple's index by region, year and measure (structure only here; the
heaping threshold itself is judged by ``age_heaping`` on the facts' ages)."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "ind_age_heaping"
KEY = ("region_code", "year", "measure")
MEASURES = ("age_at_death", "mother_age", "father_age")
COLUMNS: dict[str, str] = {
    "region_code": "text", "year": "integer", "measure": "text", "n_ages_23_62": "integer",
    "whipple_index": "number",
}


def build_ind_age_heaping_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["year", "measure", "n_ages_23_62"])
    b.unique(list(KEY), "one_row_per_grain")
    b.geography(inputs, {"region_code": "region"})
    b.in_set("measure", MEASURES, "valid_code")
    b.between("n_ages_23_62", "non_negative", "error", min_value=0)
    # by construction Whipple's index lies in [0, 500]
    b.between("whipple_index", "whipple_range", "error", min_value=0, max_value=500)
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_ind_age_heaping_suite, KEY))
