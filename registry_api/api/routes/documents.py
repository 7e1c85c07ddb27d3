"""Requests for full copies and extracts of acts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from registry_api.api.deps import (
    CurrentPrincipal,
    IdempotencyKeyHeader,
    IdPath,
    RegistryDep,
    SessionDep,
    paginate,
    require_role,
    run_write,
    scoped,
)
from registry_api.core.errors import CONFLICT, ERROR_RESPONSES, NOT_FOUND
from registry_api.models import DocumentRequest
from registry_api.schemas import (
    DocumentRequestCreate,
    DocumentRequestPublic,
    DocumentRequestsPublic,
    VersionIn,
)
from registry_api.services import notifications as service

router = APIRouter(prefix="/document-requests", tags=["document requests"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=DocumentRequestPublic, responses={**NOT_FOUND, **CONFLICT})
def request_document(body: DocumentRequestCreate, principal: CurrentPrincipal, registry: RegistryDep, request: Request,
                     idem_key: IdempotencyKeyHeader = None):
    """A request (counter or portal) for a copy of an act held by the officer's office."""
    return run_write(registry, principal, idem_key, request, body, lambda s: service.request_document(s, body, principal).as_dict())


@router.post("/{request_id}/issue", response_model=DocumentRequestPublic, responses={**NOT_FOUND, **CONFLICT})
def issue_document(request_id: IdPath, body: VersionIn, principal: CurrentPrincipal, registry: RegistryDep, request: Request,
                   idem_key: IdempotencyKeyHeader = None):
    return run_write(registry, principal, idem_key, request, body,
                     lambda s: service.issue_document(s, request_id, body.version, principal).as_dict(), 200)


@router.get("", response_model=DocumentRequestsPublic)
def list_document_requests(
    principal: CurrentPrincipal,
    session: SessionDep,
    office_code: str | None = None,
    status: Literal["requested", "issued", "refused"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
):
    require_role(principal, "officer", "supervisor", "analyst", "admin")
    q = scoped(select(DocumentRequest), principal, DocumentRequest.office_code, office_code)
    if status:
        q = q.where(DocumentRequest.status == status)
    return paginate(session, q, (DocumentRequest.request_id.desc(),), limit, offset, lambda r: r.as_dict())
