"""Preliminary declarations: filed on the portal, reviewed and completed at the office."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
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
    scoped,
)
from registry_api.api.routes.acts import mask, present
from registry_api.core.errors import CONFLICT, ERROR_RESPONSES, NOT_FOUND, ApiError
from registry_api.core.security import Principal
from registry_api.models import Declaration, utcnow
from registry_api.schemas import (
    ActPublic,
    DeclarationCreate,
    DeclarationPublic,
    DeclarationReceipt,
    DeclarationRegister,
    DeclarationReject,
    DeclarationsPublic,
    DeclarationStatus,
    ExpireIn,
    ExpireResult,
    VersionIn,
)
from registry_api.services import declarations as service
from registry_api.services import tracking
from registry_api.services.acts import local_date

router = APIRouter(prefix="/declarations", tags=["declarations"], responses=ERROR_RESPONSES)


def present_declaration(d: Declaration, principal: Principal) -> dict[str, Any]:
    data = mask(d.as_dict(), principal)
    if not principal.sees_identifiers:
        data["payload"] = None
    data["documents"] = [doc.as_dict() for doc in d.documents]
    return data


@router.post("", status_code=201, response_model=DeclarationReceipt)
def submit_declaration(body: DeclarationCreate, principal: CurrentPrincipal, registry: RegistryDep, settings: SettingsDep,
                       request: Request, idem_key: IdempotencyKeyHeader = None):
    """File a preliminary declaration (citizen portal). Returns the tracking number to bring to
    the office, with the legal deadline to complete the registration."""

    def work(s):  # type: ignore[no-untyped-def]
        d = service.submit(s, body, principal, settings.documents_dir)
        return {
            "declaration_id": d.declaration_id, "tracking_number": d.tracking_number,
            "tracking_number_display": tracking.format_display(d.tracking_number), "event_type": d.event_type,
            "status": d.status, "deadline_date": d.deadline_date, "office_code": d.office_code,
        }

    return run_write(registry, principal, idem_key, request, body, work)


@router.get("/status/{tracking_number}", response_model=DeclarationStatus, responses=NOT_FOUND)
def declaration_status(tracking_number: str, principal: CurrentPrincipal, session: SessionDep):
    """Status by tracking number, for the citizen: no personal data in the answer."""
    require_role(principal, "portal", "officer", "supervisor", "admin")
    if len(tracking_number) > 24:
        raise ApiError.one(404, "not_found", "path", "tracking_number", what="déclaration / تصريح")
    return service.status_view(session, service.by_tracking_number(session, tracking_number))


@router.get("", response_model=DeclarationsPublic)
def list_declarations(
    principal: CurrentPrincipal,
    session: SessionDep,
    office_code: str | None = None,
    status: Literal["submitted", "under_review", "registered", "rejected", "expired"] | None = None,
    pending: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
):
    """An office's declarations; ``pending=true`` sorts by deadline (the work queue)."""
    require_role(principal, "officer", "supervisor", "analyst", "admin")
    q = scoped(select(Declaration), principal, Declaration.office_code, office_code)
    if status:
        q = q.where(Declaration.status == status)
    if pending:
        q = q.where(Declaration.status.in_(service.PENDING), Declaration.deadline_date >= local_date(utcnow()))
    order = (Declaration.deadline_date, Declaration.declaration_id) if pending else (Declaration.submitted_at.desc(), Declaration.declaration_id.desc())
    return paginate(session, q, order, limit, offset, lambda d: present_declaration(d, principal))


@router.get("/{declaration_id}", response_model=DeclarationPublic, responses=NOT_FOUND)
def read_declaration(declaration_id: IdPath, principal: CurrentPrincipal, session: SessionDep):
    require_role(principal, "officer", "supervisor", "analyst", "admin")
    d = session.get(Declaration, declaration_id)
    if d is None or not principal.can_read_office(d.office_code):
        raise ApiError.one(404, "not_found", "path", "declaration_id", what=f"declaration {declaration_id}")
    return present_declaration(d, principal)


@router.post("/{declaration_id}/review", response_model=DeclarationPublic, responses={**NOT_FOUND, **CONFLICT})
def review_declaration(declaration_id: IdPath, body: VersionIn, principal: CurrentPrincipal, registry: RegistryDep,
                       request: Request, idem_key: IdempotencyKeyHeader = None):
    """The declarant came to the office: the officer starts checking the documents."""
    return run_write(registry, principal, idem_key, request, body,
                     lambda s: present_declaration(service.review(s, declaration_id, body.version, principal), principal), 200)


@router.post("/{declaration_id}/register", status_code=201, response_model=ActPublic, responses={**NOT_FOUND, **CONFLICT})
def register_declaration(declaration_id: IdPath, body: DeclarationRegister, principal: CurrentPrincipal, registry: RegistryDep,
                         request: Request, idem_key: IdempotencyKeyHeader = None):
    """Register the act from the declaration (within the deadline); returns the act."""
    return run_write(registry, principal, idem_key, request, body,
                     lambda s: present(service.register(s, declaration_id, body, principal), principal))


@router.post("/{declaration_id}/reject", response_model=DeclarationPublic, responses={**NOT_FOUND, **CONFLICT})
def reject_declaration(declaration_id: IdPath, body: DeclarationReject, principal: CurrentPrincipal, registry: RegistryDep,
                       request: Request, idem_key: IdempotencyKeyHeader = None):
    return run_write(registry, principal, idem_key, request, body,
                     lambda s: present_declaration(service.reject(s, declaration_id, body.version, body.reason, principal), principal), 200)


@router.post("/expire-overdue", response_model=ExpireResult)
def expire_overdue(body: ExpireIn, principal: CurrentPrincipal, registry: RegistryDep, request: Request,
                   idem_key: IdempotencyKeyHeader = None):
    """Expire pending declarations past their legal deadline (run daily; admin)."""

    def work(s):  # type: ignore[no-untyped-def]
        as_of = body.as_of or local_date(utcnow())
        return {"expired": service.expire_overdue(s, principal, as_of), "as_of": as_of}

    return run_write(registry, principal, idem_key, request, body, work, 200)
