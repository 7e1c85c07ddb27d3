"""Acts as landed: the newest after-image of every act touched since the last quality run.

This is where row-level defects are *quarantined for exclusion*: a bad act is found here, before
dbt builds the marts, so the marts can leave it out (see docs/quality.md). The same invariants are
checked again on ``fct_birth``/``fct_death`` with error severity: if a bad act reaches a mart,
publication stops. Only the national id's format is checked here, because the marts don't keep
the id (``national_id_present``), and it is stored masked (its shape, never the number).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import great_expectations as gx

from quality.suites._base import (
    ACT_STATUSES,
    ACT_TYPES,
    PLACE_KINDS,
    REGISTRATION_BASES,
    SEXES,
    Frame,
    Inputs,
    SuiteBuilder,
    SuiteSpec,
)

if TYPE_CHECKING:
    from quality.db import QualityDB

MODEL = "raw.registry_changes"
KEY = ("act_id",)
_FIELDS = {
    "act_type": "varchar", "status": "varchar", "office_code": "varchar", "register_year": "integer",
    "act_number": "integer", "event_date": "date", "registration_date": "date", "sex": "varchar",
    "birth_date": "date", "age_years": "integer", "mother_age": "integer", "father_age": "integer",
    "national_id": "varchar", "registration_basis": "varchar", "event_place_kind": "varchar",
}


def build_registry_acts_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder("registry_acts", inputs)
    b.not_null(["act_type", "office_code", "event_date", "registration_date", "sex"])
    b.in_set("act_type", ACT_TYPES, "valid_act_type")
    b.in_set("status", ACT_STATUSES, "valid_code")
    b.in_set("sex", SEXES, "valid_sex")
    b.in_set("registration_basis", REGISTRATION_BASES, "valid_code")
    b.in_set("event_place_kind", PLACE_KINDS, "valid_code")
    b.geography(inputs, {"office_code": "office"})
    b.ordered("event_date", "registration_date", "event_before_registration", "warn", exclude=True)
    b.ordered("birth_date", "event_date", "death_after_birth", "warn", exclude=True)
    b.between("age_years", "death_after_birth", "warn", min_value=0, exclude=True)
    b.between("mother_age", "parents_born_before_child", "warn", min_value=0, strict_min=True, exclude=True)
    b.between("father_age", "parents_born_before_child", "warn", min_value=0, strict_min=True, exclude=True)
    b.add(gx.expectations.ExpectColumnValuesToMatchRegex(column="national_id", regex=inputs.config.national_id_pattern),
          "national_id_cnie", "warn")
    return b.suite


def latest_images_sql(db: QualityDB, entity_type: str, id_column: str, incremental: bool) -> str:
    """The newest image of each entity touched by changes landed after ``?`` (or of all)."""
    touched = (f"and {id_column} in (select {id_column} from {db.raw}.registry_changes"
               f" where entity_type = '{entity_type}' and landed_at > ?)") if incremental else ""
    return (
        f"select *, row_number() over (partition by {id_column} order by version desc, change_id desc) as rn"
        f" from {db.raw}.registry_changes where entity_type = '{entity_type}' and {id_column} is not null {touched}"
    )


def frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    incremental = inputs.landed_after is not None and not inputs.full
    fields = ", ".join(f"cast(after_image->>'{k}' as {t}) as {k}" for k, t in _FIELDS.items())
    sql = (f"select act_id, change_id, {fields} from ({latest_images_sql(db, 'act', 'act_id', incremental)}) l"
           " where rn = 1")
    return Frame(key=KEY, sql=sql, params=(inputs.landed_after,) if incremental else (),
                 masked=frozenset({"national_id"}))


SUITES = (SuiteSpec("registry_acts", MODEL, build_registry_acts_suite, frame,
                    requires=(MODEL,), incremental=True, key=KEY, masked=frozenset({"national_id"})),)
