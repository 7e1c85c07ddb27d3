"""``ind_vital_region_month``: births, deaths, marriages, divorces and rates by region and month."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import Inputs, SuiteBuilder, schema_spec, table_spec

MODEL = "ind_vital_region_month"
KEY = ("region_code", "month_start")
COUNTS = ("births", "births_male", "births_female", "deaths", "deaths_male", "deaths_female",
          "infant_deaths", "marriages", "divorces")
COLUMNS: dict[str, str] = {
    "region_code": "text", "region_name_fr": "text", "region_name_ar": "text", "month_start": "date",
    "year": "integer", "month": "integer", **dict.fromkeys(COUNTS, "integer"),
    "population": "number",  # interpolated between censuses: may be fractional
    "crude_birth_rate": "number", "crude_death_rate": "number", "sex_ratio_at_birth": "number",
    "mean_mother_age": "number", "infant_deaths_per_1000_births": "number",
}


def build_ind_vital_region_month_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    p = inputs.config.plausible
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["region_code", "month_start", "births", "deaths"])
    b.unique(list(KEY), "one_row_per_grain")
    b.geography(inputs, {"region_code": "region"})
    b.between("month", "calendar_valid", "error", min_value=1, max_value=12)
    for c in (*COUNTS, "crude_birth_rate", "crude_death_rate", "sex_ratio_at_birth"):
        b.between(c, "non_negative", "error", min_value=0)
    # the sexes add up to no more than the total (unknown sex is allowed, extra is not)
    b.ordered("births_by_sex", "births", "parts_within_total", "error")
    b.ordered("deaths_by_sex", "deaths", "parts_within_total", "error")
    b.ordered("infant_deaths", "deaths", "parts_within_total", "error")
    b.between("mean_mother_age", "mother_age_plausible", "warn", min_value=p.mother_age_min, max_value=p.mother_age_max)
    return b.suite


SUITES = (
    schema_spec(MODEL, COLUMNS),
    table_spec(MODEL, build_ind_vital_region_month_suite, KEY, derived={
        "births_by_sex": "coalesce(births_male, 0) + coalesce(births_female, 0)",
        "deaths_by_sex": "coalesce(deaths_male, 0) + coalesce(deaths_female, 0)",
    }),
)
