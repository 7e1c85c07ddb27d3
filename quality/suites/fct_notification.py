"""``fct_notification``: one row per notification (an event to note on another office's act)."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import (
    NOTIFICATION_EVENTS,
    NOTIFICATION_SOURCES,
    NOTIFICATION_STATUSES,
    Inputs,
    SuiteBuilder,
    schema_spec,
    table_spec,
)

MODEL = "fct_notification"
KEY = ("notification_id",)
COLUMNS: dict[str, str] = {
    "notification_id": "integer", "event_type": "text", "source_kind": "text",
    "from_office_code": "text", "from_region_code": "text", "to_office_code": "text",
    "to_region_code": "text", "status": "text", "created_at": "timestamp", "received_at": "timestamp",
    "applied_at": "timestamp", "hours_to_receive": "number", "hours_to_apply": "number",
    "hours_total": "number",
}


def build_fct_notification_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["notification_id", "event_type", "source_kind", "to_office_code", "status", "created_at"])
    b.unique(["notification_id"], "one_row_per_notification")
    b.geography(inputs, {"from_office_code": "office", "to_office_code": "office",
                         "from_region_code": "region", "to_region_code": "region"})
    b.in_set("event_type", NOTIFICATION_EVENTS, "valid_code")
    b.in_set("source_kind", NOTIFICATION_SOURCES, "valid_code")
    b.in_set("status", NOTIFICATION_STATUSES, "valid_code")
    b.ordered("created_at", "received_at", "notification_steps_in_order", "error")
    b.ordered("received_at", "applied_at", "notification_steps_in_order", "error")
    for col in ("hours_to_receive", "hours_to_apply", "hours_total"):
        b.between(col, "notification_steps_in_order", "error", min_value=0)
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_fct_notification_suite, KEY))
