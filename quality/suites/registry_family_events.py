"""Family events as landed: each spouse's birth act must be a birth act of the right sex.

A marriage or divorce is noted on the husband's and the wife's birth acts; a husband's
reference pointing at a girl's birth act means the note lands on the wrong person's record.
No published figure counts these notes by sex, so the rule warns rather than blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import great_expectations as gx
import great_expectations.expectations as gxe

from quality.suites._base import Frame, Inputs, SuiteBuilder, SuiteSpec
from quality.suites.registry_acts import latest_images_sql

if TYPE_CHECKING:
    from quality.db import QualityDB

MODEL = "raw.registry_changes"
KEY = ("family_event_id", "role")


def build_registry_family_events_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder("registry_family_events", inputs)
    b.add(gxe.ExpectColumnPairValuesToBeEqual(column_A="sex", column_B="expected_sex",
                                              ignore_row_if="either_value_is_missing"),
          "sex_matches_role", "warn")
    b.in_set("act_type", ["birth"], "spouse_reference_is_birth_act", "warn")
    return b.suite


def frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    incremental = inputs.landed_after is not None and not inputs.full
    fe = latest_images_sql(db, "family_event", "entity_id", incremental)
    sql = f"""
        with fe as (select entity_id as family_event_id, after_image from ({fe}) l where rn = 1),
        roles as (
            select family_event_id, 'husband' as role, 'M' as expected_sex,
                   cast(after_image->>'husband_birth_act_id' as bigint) as birth_act_id from fe
            union all
            select family_event_id, 'wife' as role, 'F' as expected_sex,
                   cast(after_image->>'wife_birth_act_id' as bigint) as birth_act_id from fe
        ),
        acts as (
            select act_id, after_image->>'sex' as sex, after_image->>'act_type' as act_type,
                   row_number() over (partition by act_id order by version desc, change_id desc) as rn
            from {db.raw}.registry_changes
            where entity_type = 'act' and act_id in (select birth_act_id from roles)
        )
        select r.family_event_id, r.role, r.birth_act_id, r.expected_sex, a.sex, a.act_type
        from roles r left join acts a on a.act_id = r.birth_act_id and a.rn = 1
        where r.birth_act_id is not null
    """
    return Frame(key=KEY, sql=sql, params=(inputs.landed_after,) if incremental else ())


SUITES = (SuiteSpec("registry_family_events", MODEL, build_registry_family_events_suite, frame,
                    requires=(MODEL,), incremental=True, key=KEY),)
