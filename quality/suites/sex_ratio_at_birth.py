"""Sex ratio at birth (boys per 100 girls) by region and year of birth, from ``fct_birth``.

Human populations sit near 105 boys per 100 girls. A region-year is flagged when its boys'
share is too far from that to be chance: the binomial z-score
``(boys - n p0) / sqrt(n p0 (1 - p0))`` with ``p0 = expected / (100 + expected)`` must stay
within ``±z_max`` (3.29: a two-sided 0.1% test, so a hundred region-years give about one
false alarm in ten runs). A fixed band would not do: with 1,000 births the ratio's standard
error is about 6.6, so a [100, 110] band flags almost half of all honest region-years, while at
national volumes (50,000 births) it misses a 4-point shift that is 4 standard errors. Policy
values are in ``quality/config.toml [sex_ratio]``. Cancelled acts are left out, as in every
published count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import great_expectations as gx

from quality.suites._base import Frame, Inputs, SuiteBuilder, SuiteSpec

if TYPE_CHECKING:
    from quality.db import QualityDB

MODEL = "fct_birth"
KEY = ("region_code", "year")


def build_sex_ratio_at_birth_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    c = inputs.config
    b = SuiteBuilder("sex_ratio_at_birth", inputs)
    b.between("sex_ratio_z", "sex_ratio_at_birth", "warn", min_value=-c.sex_ratio_z_max, max_value=c.sex_ratio_z_max)
    return b.suite


def frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    p0 = inputs.config.sex_ratio_expected / (100.0 + inputs.config.sex_ratio_expected)
    sql = f"""
        select region_code, year, births, boys, girls,
               case when girls > 0 then round(100.0 * boys / girls, 1) end as sex_ratio,
               round((boys - births * {p0!r}) / sqrt(births * {p0!r} * (1 - {p0!r})), 2) as sex_ratio_z
        from (
            select region_code, cast(extract(year from event_date) as integer) as year, count(*) as births,
                   count(*) filter (where sex = 'M') as boys, count(*) filter (where sex = 'F') as girls
            from {db.qualified(MODEL)}
            where not is_cancelled and region_code is not null
            group by region_code, cast(extract(year from event_date) as integer)
        ) t
        where births >= ?
        order by region_code, year
    """
    return Frame(key=KEY, sql=sql, params=(inputs.config.sex_ratio_min_births,))


SUITES = (SuiteSpec("sex_ratio_at_birth", MODEL, build_sex_ratio_at_birth_suite, frame, requires=(MODEL,), key=KEY),)
