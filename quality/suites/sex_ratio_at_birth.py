"""Sex ratio at birth (boys per 100 girls) by region and year of birth, from ``fct_birth``.

Human populations sit near 105; a region-year outside [low, high] with enough births to be
meaningful points at mis-coded sex or selectively unregistered births. Policy values are in
``quality/config.toml [sex_ratio]``. Cancelled acts are left out, as in every published count.
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
    b.between("sex_ratio", "sex_ratio_at_birth", "warn", min_value=c.sex_ratio_low, max_value=c.sex_ratio_high)
    return b.suite


def frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    sql = f"""
        select region_code, year, births, boys, girls,
               case when girls > 0 then 100.0 * boys / girls end as sex_ratio
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
