"""Acts: register, read, list, batch capture, and every later change."""

from __future__ import annotations

import datetime as dt
import email.message
import json
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from registry_api.api.deps import (
    CurrentPrincipal,
    IdempotencyKeyHeader,
    IdPath,
    RegistryDep,
    SessionDep,
    SettingsDep,
    paginate,
    require_role,
    run_write,
    write_idempotent,
)
from registry_api.core.errors import CONFLICT, ERROR_RESPONSES, NOT_FOUND, ApiError
from registry_api.core.security import DIRECT_IDENTIFIERS, Principal
from registry_api.models import Act, Office
from registry_api.schemas import ActBatchCreate, ActBatchResult, ActChange, ActCreate, ActPublic, ActsPublic
from registry_api.services import acts as service
from registry_api.services import idempotency
from registry_api.services.validation import ShapeErrors, act_columns

router = APIRouter(prefix="/acts", tags=["acts"], responses=ERROR_RESPONSES)
READERS = ("officer", "supervisor", "analyst", "admin")


def mask(data: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """Analysts see no direct identifiers (names, national id, free-text notes)."""
    if principal.sees_identifiers:
        return data
    out = {k: (None if k in DIRECT_IDENTIFIERS else v) for k, v in data.items()}
    if "marginal_notes" in out:
        out["marginal_notes"] = [{**n, "note_text": None} for n in out["marginal_notes"]]
    if "after_image" in out and isinstance(out["after_image"], dict):
        out["after_image"] = mask(out["after_image"], principal)
    return out


def present(act: Act, principal: Principal) -> dict[str, Any]:
    return mask(act.as_dict(), principal)


@router.post("", status_code=201, response_model=ActPublic, responses=CONFLICT)
def create_act(body: ActCreate, principal: CurrentPrincipal, registry: RegistryDep, request: Request, idem_key: IdempotencyKeyHeader = None):
    """Register a birth or death act. The server assigns the act number (per office, year and
    register; never duplicated, never skipped) and writes the change-log row in the same transaction."""
    return run_write(registry, principal, idem_key, request, body,
                     lambda s: present(service.create_act(s, body, body.office_code, principal), principal))


def _batch_request_body() -> dict[str, Any]:
    """The documented body of POST /acts/batch: ``ActBatchCreate`` (the route reads the bytes itself)."""
    schema = ActBatchCreate.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post("/batch", status_code=201, response_model=ActBatchResult, openapi_extra=_batch_request_body())
async def create_acts_batch(principal: CurrentPrincipal, registry: RegistryDep, settings: SettingsDep, request: Request,
                            idem_key: IdempotencyKeyHeader = None) -> Response:
    """Bulk capture (e.g. digitised registers): all acts are registered or none is. Each act gets
    exactly the single-act endpoint's checks; errors carry ``["body", "acts", i, field]``."""
    raw = await request.body()
    return await run_in_threadpool(_batch, raw, request.headers.get("content-type"), principal, registry,
                                   settings.MAX_BATCH, idem_key, request.url.path)


def _decode_json_body(raw: bytes, content_type: str | None, *, exact: bool = False) -> Any:
    """The body as FastAPI would hand it to the model. orjson is 3x faster than the standard
    library but not identical (integers beyond 64 bits become floats, NaN is refused): a body it
    refuses, or one with shape errors (``exact=True``), is decoded again with the standard
    library, so the errors a client sees are FastAPI's."""
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    if content_type:
        message = email.message.Message()
        message["content-type"] = content_type
        subtype = message.get_content_subtype()
        if message.get_content_maintype() != "application" or not (subtype == "json" or subtype.endswith("+json")):
            return raw
    else:
        return raw  # FastAPI's strict content type: no content-type, no JSON
    try:
        if not exact:
            return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body", e.pos), "msg": "JSON decode error",
                                       "input": {}, "ctx": {"error": e.msg}}]) from None


def _batch_columns(body: Any, max_batch: int) -> dict[str, list[Any]]:
    """Shape-check the body (``ActBatchCreate``); returns the acts as columns."""
    if type(body) is not dict or body.keys() != {"acts"} or type(body["acts"]) is not list or not body["acts"]:
        try:  # not the plain {"acts": [...]} shape: the model reports what is wrong
            body = {"acts": [a.model_dump() for a in ActBatchCreate.model_validate(body).acts]}
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None
    items = body["acts"]
    if len(items) > max_batch:
        raise ApiError.one(422, "batch_too_large", "body", "acts", value=len(items), max=max_batch)
    try:
        cols = act_columns(items, ActCreate, ("body", "acts"))
    except ShapeErrors as exc:
        raise RequestValidationError(exc.errors) from None
    return cols


def _batch(raw: bytes, content_type: str | None, principal: Principal, registry: Any, max_batch: int,
           idem_key: str | None, path: str) -> Response:
    try:
        cols = _batch_columns(_decode_json_body(raw, content_type), max_batch)
    except RequestValidationError:
        cols = _batch_columns(_decode_json_body(raw, content_type, exact=True), max_batch)
    # the same key with the same acts (whatever the JSON formatting) replays; other acts are refused
    fp = idempotency.fingerprint("POST", path, orjson.dumps(cols, option=orjson.OPT_NON_STR_KEYS).decode()) if idem_key else ""

    def register(s: Any) -> dict[str, Any]:
        result = service.create_acts_batch(s, cols, principal)
        return {"count": len(result.act_ids), "acts": result.refs()}

    return write_idempotent(registry, principal, idem_key, fp, register, 201)


@router.get("", response_model=ActsPublic)
def list_acts(
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    office_code: str | None = None,
    province_code: str | None = None,
    region_code: str | None = None,
    act_type: Literal["birth", "death"] | None = None,
    status: Literal["active", "cancelled"] | None = None,
    registered_from: dt.date | None = None,
    registered_to: dt.date | None = None,
    event_from: dt.date | None = None,
    event_to: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
):
    """Acts visible to the caller, newest registrations first, with filters and pagination."""
    require_role(principal, *READERS)
    q = select(Act)
    if principal.role == "officer":
        if office_code not in (None, principal.office_code):
            raise ApiError.one(403, "out_of_scope", "query", "office_code", scope=principal.office_code)
        office_code = principal.office_code
    if principal.role == "supervisor":
        if province_code not in (None, principal.province_code):
            raise ApiError.one(403, "out_of_scope", "query", "province_code", scope=principal.province_code)
        province_code = principal.province_code
    if province_code or region_code:
        q = q.join(Office, Office.office_code == Act.office_code)
        if province_code:
            q = q.where(Office.province_code == province_code)
        if region_code:
            q = q.where(Office.region_code == region_code)
    for col, value in ((Act.office_code, office_code), (Act.act_type, act_type), (Act.status, status)):
        if value is not None:
            q = q.where(col == value)
    for col, lo, hi in ((Act.registration_date, registered_from, registered_to), (Act.event_date, event_from, event_to)):
        if lo:
            q = q.where(col >= lo)
        if hi:
            q = q.where(col <= hi)
    return paginate(session, q, (Act.registered_at.desc(), Act.act_id.desc()), limit, offset, lambda a: present(a, principal))


@router.get("/{act_id}", response_model=ActPublic, responses=NOT_FOUND)
def read_act(act_id: IdPath, principal: CurrentPrincipal, session: SessionDep):
    require_role(principal, *READERS)
    act = session.get(Act, act_id)
    if act is None or not principal.can_read_office(act.office_code):
        raise ApiError.one(404, "not_found", "path", "act_id", what=f"act {act_id}")
    return present(act, principal)


@router.post("/{act_id}/changes", response_model=ActPublic, responses={**NOT_FOUND, **CONFLICT})
def change_act(act_id: IdPath, body: ActChange, principal: CurrentPrincipal, registry: RegistryDep, request: Request,
               idem_key: IdempotencyKeyHeader = None):
    """Amend, correct (with its legal basis), add a marginal note, or cancel. Send the version
    you read: a stale version gets 409 and nothing is lost. History is never rewritten."""
    return run_write(registry, principal, idem_key, request, body,
                     lambda s: present(service.change_act(s, act_id, body, principal), principal), status_code=200)
