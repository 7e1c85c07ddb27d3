"""What ``fct_birth`` and ``fct_death`` share: one row per act, numbering, codes, dates."""

from __future__ import annotations

from quality.suites._base import PLACE_KINDS, REGISTRATION_BASES, SEXES, TIMELINESS, Inputs, SuiteBuilder

ACT_COLUMNS: dict[str, str] = {
    "act_id": "integer", "office_code": "text", "commune_code": "text", "province_code": "text",
    "region_code": "text", "register_year": "integer", "act_number": "integer", "event_date": "date",
    "event_month": "date", "registration_date": "date", "registered_at": "timestamp",
    "registration_delay_days": "integer", "timeliness_class": "text", "registration_basis": "text",
    "sex": "text", "is_cancelled": "boolean", "is_corrected": "boolean", "correction_count": "integer",
    "version": "integer", "event_place_kind": "text",
}


def act_fact_expectations(b: SuiteBuilder, inputs: Inputs) -> None:
    """Structure and date consistency of an act fact (births and deaths alike).

    Cancelled acts are kept in the facts (``is_cancelled``) and are held to the same rules:
    the registry should never have accepted them either, and they are published too."""
    b.not_null(["act_id", "office_code", "register_year", "act_number", "event_date",
                "registration_date", "sex", "is_cancelled", "version"])
    b.unique(["act_id"], "one_row_per_act")
    # registers are per office, year and act type; each fact holds one act type
    b.unique(["office_code", "register_year", "act_number"], "act_number_unique")
    b.geography(inputs, {"office_code": "office", "commune_code": "commune",
                         "province_code": "province", "region_code": "region"})
    b.in_set("sex", SEXES, "valid_sex")
    b.in_set("timeliness_class", TIMELINESS, "valid_code")
    b.in_set("registration_basis", REGISTRATION_BASES, "valid_code")
    b.in_set("event_place_kind", PLACE_KINDS, "valid_code")
    b.between("act_number", "act_number_positive", "error", min_value=1)
    b.between("version", "version_positive", "error", min_value=1)
    b.between("correction_count", "correction_count_valid", "error", min_value=0)
    b.ordered("event_date", "registration_date", "event_before_registration", "error")
    b.between("registration_delay_days", "event_before_registration", "error", min_value=0)
