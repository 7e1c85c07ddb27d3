"""What ``fct_marriage`` and ``fct_divorce`` share: ages within the Family Code's bounds."""

from __future__ import annotations

from quality.suites._base import Inputs, SuiteBuilder

FAMILY_COLUMNS: dict[str, str] = {
    "family_event_id": "integer", "event_date": "date", "event_month": "date",
    "court_province_code": "text", "region_code": "text", "husband_age": "integer",
    "wife_age": "integer", "notes_applied": "integer", "notes_expected": "integer",
}


def family_expectations(b: SuiteBuilder, inputs: Inputs) -> None:
    p = inputs.config.plausible
    b.not_null(["family_event_id", "event_date", "husband_age", "wife_age"])
    b.unique(["family_event_id"], "one_row_per_event")
    b.geography(inputs, {"court_province_code": "province", "region_code": "region"})
    # Family Code: 18, or down to marriage_age_min_authorised with a judge's authorisation;
    # lower is refused, so such a row is an error, not an unusual case.
    for col in ("husband_age", "wife_age"):
        b.between(col, "marriage_age_legal", "error", min_value=p.marriage_age_min_authorised, max_value=p.max_age)
    b.between("notes_applied", "notes_applied_valid", "error", min_value=0)
    b.ordered("notes_applied", "notes_expected", "notes_not_over_applied", "warn")
