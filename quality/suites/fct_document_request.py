"""``fct_document_request``: one row per request for a copy or an extract of an act."""

from __future__ import annotations

import great_expectations as gx

from quality.suites._base import (
    DOCUMENT_CHANNELS,
    DOCUMENT_KINDS,
    DOCUMENT_STATUSES,
    Inputs,
    SuiteBuilder,
    schema_spec,
    table_spec,
)

MODEL = "fct_document_request"
KEY = ("request_id",)
COLUMNS: dict[str, str] = {
    "request_id": "integer", "act_id": "integer", "office_code": "text", "region_code": "text",
    "document_kind": "text", "channel": "text", "status": "text", "requested_at": "timestamp",
    "issued_at": "timestamp", "hours_to_issue": "number",
}


def build_fct_document_request_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder(MODEL, inputs)
    b.not_null(["request_id", "act_id", "office_code", "document_kind", "status", "requested_at"])
    b.unique(["request_id"], "one_row_per_request")
    b.geography(inputs, {"office_code": "office", "region_code": "region"})
    b.in_set("document_kind", DOCUMENT_KINDS, "valid_code")
    b.in_set("channel", DOCUMENT_CHANNELS, "valid_code")
    b.in_set("status", DOCUMENT_STATUSES, "valid_code")
    b.ordered("requested_at", "issued_at", "issued_after_request", "error")
    b.between("hours_to_issue", "issued_after_request", "error", min_value=0)
    return b.suite


SUITES = (schema_spec(MODEL, COLUMNS), table_spec(MODEL, build_fct_document_request_suite, KEY))
