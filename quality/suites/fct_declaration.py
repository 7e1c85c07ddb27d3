"""``fct_declaration``: one row per portal/institution declaration."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import (
    DECLARATION_CHANNELS,
    DECLARATION_EVENTS,
    DECLARATION_STATUSES,
    Inputs,
    SuiteBuilder,
    schema_spec,
    table_spec,
)

MODEL = "fct_declaration"
KEY = ("declaration_id",)
COLUMNS: dict[str, str] = {
    "declaration_id": "integer", "tracking_number": "text", "event_type": "text", "event_date": "date",
    "office_code": "text", "region_code": "text", "province_code": "text", "channel": "text",
    "status": "text", "submitted_at": "timestamp", "submitted_date": "date", "deadline_date": "date",
    "decided_at": "timestamp", "decided_date": "date", "act_id": "integer",
    "days_to_registration": "integer", "is_pending": "boolean", "is_overdue": "boolean",
}


def build_fct_declaration_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["declaration_id", "tracking_number", "event_type", "event_date", "office_code",
                "status", "submitted_at"])
    b.unique(["declaration_id"], "one_row_per_declaration")
    b.unique(["tracking_number"], "tracking_number_unique")
    b.geography(inputs, {"office_code": "office", "province_code": "province", "region_code": "region"})
    b.in_set("event_type", DECLARATION_EVENTS, "valid_code")
    b.in_set("status", DECLARATION_STATUSES, "valid_code")
    b.in_set("channel", DECLARATION_CHANNELS, "valid_code")
    b.ordered("event_date", "submitted_date", "event_before_declaration", "error")
    b.ordered("event_date", "deadline_date", "deadline_after_event", "error")
    b.ordered("submitted_at", "decided_at", "decision_after_submission", "error")
    b.between("days_to_registration", "decision_after_submission", "error", min_value=0)
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_fct_declaration_suite, KEY))
