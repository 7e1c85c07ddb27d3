"""One defect, one rule: each dataset below is a clean table with exactly one kind of defect
planted in a known number of rows. The rule must catch exactly those rows, every other rule of
the suite must pass, and the clean table must pass every rule.

Each case also runs through the compiled SQL engine (``gx_max_rows=-1``) and must give the same
unexpected counts and keys as GX: the SQL path is only trusted because of this test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from quality.config import default_config
from quality.runner import validate
from tests.quality import factories as f
from tests.quality.conftest import QUIET_NOW

Mutate = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Case:
    id: str
    suite: str
    table: str  # mart name, or "raw" for raw.registry_changes
    mutate: Mutate
    rule: str
    unexpected: int
    keys: frozenset[str] = field(default_factory=frozenset)
    also: frozenset[str] = field(default_factory=frozenset)  # rules the same defect must also trip


def rows(idx: list[int], **values: object) -> Mutate:
    def m(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for col, v in values.items():
            if col not in df.columns or df[col].dtype != object:
                df[col] = df[col].astype(object)
            for i in idx:
                df.at[i, col] = v
        return df
    return m


def dup(i: int, j: int, *cols: str) -> Mutate:
    """Row j gets row i's values in ``cols``."""
    def m(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for c in cols:
            df.at[j, c] = df.at[i, c]
        return df
    return m


def dup_row(i: int) -> Mutate:
    return lambda df: pd.concat([df, df.iloc[[i]]], ignore_index=True)


def image(change_id: int, **values: object) -> Mutate:
    """Change one landed after-image (JSON) of raw.registry_changes."""
    def m(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        i = df.index[df["change_id"] == change_id][0]
        img = json.loads(df.at[i, "after_image"])
        img.update(values)
        df.at[i, "after_image"] = json.dumps(img)
        return df
    return m


def shift(col: str, idx: list[int], delta: dt.timedelta | pd.Timedelta) -> Mutate:
    def m(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for i in idx:
            df.at[i, col] = df.at[i, col] + delta
        return df
    return m


def base(table: str) -> pd.DataFrame:
    if table == "raw":
        return f.raw_changes()
    return f.MARTS[table][1]()


B, D = "fct_birth", "fct_death"
DAY = dt.timedelta(days=1)
CASES = [
    # ---- fct_birth: structure
    Case("birth_not_null", B, B, rows([2, 5], registration_date=None), "not_null", 2, frozenset({"1002", "1005"})),
    Case("birth_one_row_per_act", B, B, dup(1, 2, "act_id"), "one_row_per_act", 2, frozenset({"1001"})),
    Case("birth_act_number_unique", B, B, rows([3], act_number=1), "act_number_unique", 2,
         frozenset({"1000", "1003"})),
    Case("birth_valid_office", B, B, rows([5], office_code="XX.999.99.9"), "valid_office_code", 1, frozenset({"1005"})),
    Case("birth_valid_commune", B, B, rows([4], commune_code="99.999.99.9"), "valid_commune_code", 1),
    Case("birth_valid_province", B, B, rows([4], province_code="99.999"), "valid_province_code", 1),
    Case("birth_valid_region", B, B, rows([4, 7], region_code="99"), "valid_region_code", 2),
    Case("birth_valid_sex", B, B, rows([0], sex="X"), "valid_sex", 1, frozenset({"1000"})),
    Case("birth_valid_code", B, B, rows([0], timeliness_class="whenever"), "valid_code", 1),
    Case("birth_act_number_positive", B, B, rows([11], act_number=0), "act_number_positive", 1),
    Case("birth_version_positive", B, B, rows([11], version=0), "version_positive", 1),
    Case("birth_correction_count", B, B, rows([1], correction_count=-1), "correction_count_valid", 1),
    Case("birth_plurality", B, B, rows([1], plurality=0), "plurality_positive", 1),
    # ---- fct_birth: consistency and plausibility
    Case("birth_event_after_registration", B, B, shift("registration_date", [3, 4], -5 * DAY),
         "event_before_registration", 2, frozenset({"1003", "1004"})),
    Case("birth_parent_not_born", B, B, rows([6], father_age=0), "parents_born_before_child", 1,
         frozenset({"1006"}), also=frozenset({"father_age_plausible"})),
    Case("birth_mother_age", B, B, rows([2, 9], mother_age=65), "mother_age_plausible", 2, frozenset({"1002", "1009"})),
    Case("birth_mother_too_young", B, B, rows([2], mother_age=11), "mother_age_plausible", 1),
    Case("birth_father_age", B, B, rows([2], father_age=14), "father_age_plausible", 1),
    # ---- fct_death
    Case("death_after_birth", D, D, shift("birth_date", [0], pd.Timedelta(days=365 * 60)), "death_after_birth", 1,
         frozenset({"5000"})),
    Case("death_negative_age", D, D, rows([1], age_years=-1), "death_after_birth", 1, frozenset({"5001"})),
    Case("death_age_plausible", D, D, rows([1], age_years=130), "age_at_death_plausible", 1),
    Case("death_age_group", D, D, rows([1], age_group="200+"), "valid_code", 1),
    Case("death_event_after_registration", D, D, shift("event_date", [2], 3 * DAY), "event_before_registration", 1),
    Case("death_act_number_unique", D, D, rows([4], act_number=1), "act_number_unique", 2),
    # ---- family events
    Case("marriage_age_legal", "fct_marriage", "fct_marriage", rows([3], wife_age=14), "marriage_age_legal", 1,
         frozenset({"103"})),
    Case("marriage_age_old", "fct_marriage", "fct_marriage", rows([3], husband_age=121), "marriage_age_legal", 1),
    Case("marriage_unique", "fct_marriage", "fct_marriage", dup(0, 1, "family_event_id"), "one_row_per_event", 2),
    Case("marriage_notes", "fct_marriage", "fct_marriage", rows([0], notes_applied=3), "notes_not_over_applied", 1),
    Case("divorce_age_legal", "fct_divorce", "fct_divorce", rows([0], husband_age=13), "marriage_age_legal", 1),
    Case("divorce_kind", "fct_divorce", "fct_divorce", rows([0], divorce_kind="repudiation"), "valid_code", 1),
    # ---- declarations, documents, notifications, act changes, history
    Case("declaration_before_event", "fct_declaration", "fct_declaration", shift("submitted_date", [2], -5 * DAY),
         "event_before_declaration", 1, frozenset({"302"})),
    Case("declaration_tracking_unique", "fct_declaration", "fct_declaration", dup(0, 3, "tracking_number"),
         "tracking_number_unique", 2),
    Case("declaration_decided_early", "fct_declaration", "fct_declaration",
         shift("decided_at", [1], pd.Timedelta(days=-5)), "decision_after_submission", 1),
    Case("declaration_status", "fct_declaration", "fct_declaration", rows([1], status="lost"), "valid_code", 1),
    Case("document_issued_early", "fct_document_request", "fct_document_request",
         shift("issued_at", [4], pd.Timedelta(hours=-5)), "issued_after_request", 1, frozenset({"404"})),
    Case("notification_applied_early", "fct_notification", "fct_notification",
         shift("applied_at", [2], pd.Timedelta(hours=-4)), "notification_steps_in_order", 1),
    Case("notification_unknown_office", "fct_notification", "fct_notification", rows([2], to_office_code="ZZ"),
         "valid_office_code", 1),
    Case("act_change_kind", "fct_act_change", "fct_act_change", rows([2], change_kind="submit"), "valid_change_kind", 1),
    Case("history_two_current_rows", "int_act__history", "int_act__history", rows([0], valid_to=None),
         "one_current_row_per_act", 2, frozenset({"1000|2024-01-05 10:00:00+00", "1000|2024-01-06 10:00:00+00"})),
    Case("history_interval", "int_act__history", "int_act__history",
         shift("valid_to", [2], pd.Timedelta(days=-3)), "validity_interval_ordered", 1),
    # ---- dimensions
    Case("geography_unique", "dim_geography", "dim_geography", dup_row(0), "one_row_per_office", 2),
    Case("geography_office_kind", "dim_geography", "dim_geography", rows([1], office_kind="mobile"), "valid_code", 1),
    Case("region_population", "dim_region", "dim_region", rows([1], population_2024=0), "population_valid", 1),
    Case("date_month", "dim_date", "dim_date", rows([3], month=13), "calendar_valid", 1),
    # ---- indicators
    Case("vital_parts", "ind_vital_region_month", "ind_vital_region_month", rows([0], births_male=8),
         "parts_within_total", 1, frozenset({"01|2024-01-01"})),
    Case("vital_negative", "ind_vital_region_month", "ind_vital_region_month", rows([1], crude_birth_rate=-0.1),
         "non_negative", 1),
    Case("vital_mother_age", "ind_vital_region_month", "ind_vital_region_month", rows([1], mean_mother_age=70.0),
         "mother_age_plausible", 1),
    Case("timeliness_classes", "ind_timeliness", "ind_timeliness", rows([0], late=3), "parts_sum_to_total", 1),
    Case("timeliness_share", "ind_timeliness", "ind_timeliness", rows([0], share_on_time=1.2), "share_valid", 1),
    Case("timeliness_grain", "ind_timeliness", "ind_timeliness", dup_row(2), "one_row_per_grain", 2),
    Case("completeness_windows", "ind_completeness", "ind_completeness", rows([0], registered_within_1y=70),
         "windows_nested", 1),
    Case("office_daily_parts", "ind_office_daily", "ind_office_daily", rows([0], acts_registered=5),
         "parts_sum_to_total", 1),
    Case("office_daily_percentiles", "ind_office_daily", "ind_office_daily", rows([0], p90_days_to_registration=0.5),
         "percentiles_ordered", 1),
    Case("notification_lag_parts", "ind_notification_lag", "ind_notification_lag", rows([0], applied=11),
         "parts_within_total", 1),
    Case("rollout_share", "ind_rollout", "ind_rollout", rows([0], share_electronic=1.5), "share_valid", 1),
    Case("age_heaping_range", "ind_age_heaping", "ind_age_heaping", rows([0], whipple_index=600.0), "whipple_range", 1),
    Case("age_heaping_measure", "ind_age_heaping", "ind_age_heaping", rows([0], measure="age_at_marriage"),
         "valid_code", 1),
    # ---- landed change log (raw.registry_changes)
    Case("raw_change_id_unique", "registry_changes", "raw", dup_row(3), "change_id_unique", 2, frozenset({"4"})),
    Case("raw_entity_type", "registry_changes", "raw", rows([0], entity_type="person"), "valid_entity_type", 1,
         also=frozenset({"valid_change_kind"})),
    Case("raw_change_kind", "registry_changes", "raw", rows([1], change_kind="delete"), "valid_change_kind", 1,
         frozenset({"2"})),
    Case("raw_office", "registry_changes", "raw", rows([1], office_code="XX"), "valid_office_code", 1),
    Case("raw_actor_is_a_person", "registry_changes", "raw", rows([1], actor="Fatima Zahra"), "actor_not_a_person", 1),
    Case("raw_landed_before_change", "registry_changes", "raw", shift("landed_at", [5], pd.Timedelta(hours=-2)),
         "landed_after_change", 1),
    # ---- landed acts (newest after-image of each act)
    Case("acts_event_after_registration", "registry_acts", "raw", image(3, registration_date="2023-12-01"),
         "event_before_registration", 1, frozenset({"1002"})),
    Case("acts_death_before_birth", "registry_acts", "raw", image(13, birth_date="2030-01-01"), "death_after_birth", 1,
         frozenset({"5000"})),
    Case("acts_parent_not_born", "registry_acts", "raw", image(2, mother_age=0), "parents_born_before_child", 1),
    Case("acts_cnie", "registry_acts", "raw", image(14, national_id="1234567"), "national_id_cnie", 1,
         frozenset({"5001"})),
    Case("acts_sex", "registry_acts", "raw", image(14, sex="U"), "valid_sex", 1),
    Case("acts_act_type", "registry_acts", "raw", image(14, act_type="marriage"), "valid_act_type", 1),
    # ---- landed family events: spouses' birth acts
    Case("family_husband_is_a_girl", "registry_family_events", "raw", image(25, husband_birth_act_id=1003),
         "sex_matches_role", 1, frozenset({"700|husband"})),
    Case("family_wife_act_is_a_death", "registry_family_events", "raw", image(26, wife_birth_act_id=5002),
         "spouse_reference_is_birth_act", 1, frozenset({"701|wife"})),
]


def _warehouse(tmp_path: Path, case: Case, df: pd.DataFrame):  # type: ignore[no-untyped-def]
    if case.table == "raw":
        return f.small_warehouse(tmp_path, raw=df, raw_primary_key=False)
    return f.small_warehouse(tmp_path, {case.table: df})


def _by_rule(results):  # type: ignore[no-untyped-def]
    out: dict[str, list] = {}
    for r in results:
        out.setdefault(r.rule, []).append(r)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_defect_is_caught_with_its_count(case: Case, tmp_path: Path) -> None:
    wh = _warehouse(tmp_path, case, case.mutate(base(case.table)))
    gx_results = validate(wh, case.suite, persist=False, now=QUIET_NOW, full=True)
    rules = _by_rule(gx_results)
    hit = rules[case.rule]
    assert any(r.failed for r in hit), f"{case.rule} did not fire"
    assert sum(r.unexpected_count or 0 for r in hit) == case.unexpected
    assert all(r.engine == "gx" for r in gx_results)
    if case.keys:
        assert {k for r in hit for k in r.sample_keys} == set(case.keys)
    others = {r.rule for r in gx_results if r.failed} - {case.rule}
    assert others == set(case.also), f"unexpected extra failures: {others - set(case.also)}"

    # the compiled SQL engine agrees with GX, count for count and key for key
    sql_results = validate(wh, case.suite, persist=False, now=QUIET_NOW, full=True,
                           config=default_config().replace(gx_max_rows=-1))
    assert all(r.engine == "sql" for r in sql_results)
    gx_view = sorted((r.rule, r.column, r.unexpected_count, tuple(sorted(r.sample_keys))) for r in gx_results)
    sql_view = sorted((r.rule, r.column, r.unexpected_count, tuple(sorted(r.sample_keys))) for r in sql_results)
    assert sql_view == gx_view


SUITE_TABLES = sorted({(c.suite, c.table) for c in CASES})


@pytest.mark.parametrize(("suite", "table"), SUITE_TABLES, ids=[s for s, _ in SUITE_TABLES])
def test_clean_table_passes_every_rule(suite: str, table: str, tmp_path: Path) -> None:
    df = base(table)
    wh = f.small_warehouse(tmp_path, raw=df) if table == "raw" else f.small_warehouse(tmp_path, {table: df})
    for cfg in (default_config(), default_config().replace(gx_max_rows=-1)):
        results = validate(wh, suite, persist=False, now=QUIET_NOW, full=True, config=cfg)
        assert results and all(r.success for r in results), [(r.rule, r.observed_value) for r in results if r.failed]
        assert all(r.unexpected_count == 0 for r in results if r.unexpected_count is not None)


def test_national_id_is_never_stored_in_clear(tmp_path: Path) -> None:
    raw = image(14, national_id="K7654321X")(f.raw_changes())
    wh = f.small_warehouse(tmp_path, raw=raw)
    for cfg in (default_config(), default_config().replace(gx_max_rows=-1)):
        hit = [r for r in validate(wh, "registry_acts", persist=False, full=True, config=cfg)
               if r.rule == "national_id_cnie"][0]
        assert hit.unexpected_count == 1
        assert "7654321" not in (hit.observed_value or "")
        assert hit.observed_value == "national_id=A9999999A"
