"""Age heaping: Whipple's index of declared ages, by region, year and measure.

Whipple's index = 500 * (ages 25, 30, ..., 60) / (ages 23 to 62): 100 when ages ending in 0 or
5 are as common as they should be, 500 when every age ends in 0 or 5. Heaping is a sign that
ages were guessed rather than read from a document. Computed here from the facts' ages (deaths'
``age_years``, births' ``mother_age`` and ``father_age``, cancelled acts left out) so the check
does not trust the indicator it audits; where ``ind_age_heaping`` has the same cell, the two
must agree within ``indicator_tolerance``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import great_expectations as gx

from quality.suites._base import Frame, Inputs, SuiteBuilder, SuiteSpec

if TYPE_CHECKING:
    from quality.db import QualityDB

MODEL = "ind_age_heaping"
KEY = ("region_code", "year", "measure")


def build_age_heaping_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    c = inputs.config
    b = SuiteBuilder("age_heaping", inputs)
    b.between("whipple_index", "age_heaping_whipple", "warn", max_value=c.whipple_max)
    b.between("indicator_diff", "whipple_indicator_agrees", "warn", max_value=c.whipple_tolerance)
    return b.suite


def frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    year = "cast(extract(year from event_date) as integer)"
    birth, death = db.qualified("fct_birth"), db.qualified("fct_death")
    ages = f"""
        select region_code, {year} as year, 'age_at_death' as measure, age_years as age
        from {death} where not is_cancelled
        union all
        select region_code, {year} as year, 'mother_age' as measure, mother_age as age
        from {birth} where not is_cancelled
        union all
        select region_code, {year} as year, 'father_age' as measure, father_age as age
        from {birth} where not is_cancelled
    """
    w = f"""
        select region_code, year, measure,
               count(*) filter (where age between 23 and 62) as n_ages_23_62,
               count(*) filter (where age between 25 and 60 and age % 5 = 0) as n_ages_0_5
        from ({ages}) a where region_code is not null and age is not null
        group by region_code, year, measure
    """
    schema, _, table = db.qualified(MODEL).rpartition(".")
    has_indicator = db.table_exists(schema, table)
    indicator = (f"left join {db.qualified(MODEL)} i on i.region_code = w.region_code and i.year = w.year"
                 " and i.measure = w.measure") if has_indicator else ""
    ind_col = "i.whipple_index" if has_indicator else "cast(null as double precision)"
    sql = f"""
        select w.region_code, w.year, w.measure, w.n_ages_23_62, w.n_ages_0_5,
               500.0 * w.n_ages_0_5 / w.n_ages_23_62 as whipple_index,
               {ind_col} as indicator_whipple_index,
               abs(500.0 * w.n_ages_0_5 / w.n_ages_23_62 - {ind_col}) as indicator_diff
        from ({w}) w {indicator}
        where w.n_ages_23_62 >= ?
        order by w.region_code, w.year, w.measure
    """
    return Frame(key=KEY, sql=sql, params=(inputs.config.whipple_min_ages,),
                 info={"indicator_compared": has_indicator})


SUITES = (SuiteSpec("age_heaping", MODEL, build_age_heaping_suite, frame, requires=("fct_birth", "fct_death"), key=KEY),)
