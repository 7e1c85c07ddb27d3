"""Family events from the courts, and each office's notification inbox (الإعلام)."""

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
from registry_api.api.routes.acts import mask
from registry_api.core.errors import CONFLICT, ERROR_RESPONSES, NOT_FOUND
from registry_api.models import Notification
from registry_api.schemas import (
    FamilyEventCreate,
    FamilyEventPublic,
    NotificationPublic,
    NotificationsPublic,
    VersionIn,
)
from registry_api.services import notifications as service

router = APIRouter(tags=["notifications"], responses=ERROR_RESPONSES)


@router.post("/family-events", status_code=201, response_model=FamilyEventPublic)
def record_family_event(body: FamilyEventCreate, principal: CurrentPrincipal, registry: RegistryDep, request: Request,
                        idem_key: IdempotencyKeyHeader = None):
    """A marriage or divorce summary from a court's family section: recorded, and notified to
    the office holding each spouse's birth act for a marginal note."""

    def work(s):  # type: ignore[no-untyped-def]
        event, notes = service.record_family_event(s, body, principal)
        return {**event.as_dict(), "notifications": [n.as_dict() for n in notes]}

    return run_write(registry, principal, idem_key, request, body, work)


@router.get("/notifications", response_model=NotificationsPublic)
def notification_inbox(
    principal: CurrentPrincipal,
    session: SessionDep,
    office_code: str | None = None,
    status: Literal["sent", "received", "applied"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
):
    """Notifications addressed to an office, oldest first (the order to apply them)."""
    require_role(principal, "officer", "supervisor", "analyst", "admin")
    q = scoped(select(Notification), principal, Notification.to_office_code, office_code)
    if status:
        q = q.where(Notification.status == status)
    return paginate(session, q, (Notification.created_at, Notification.notification_id), limit, offset, lambda n: mask(n.as_dict(), principal))


@router.post("/notifications/{notification_id}/receive", response_model=NotificationPublic, responses={**NOT_FOUND, **CONFLICT})
def receive_notification(notification_id: IdPath, body: VersionIn, principal: CurrentPrincipal, registry: RegistryDep,
                         request: Request, idem_key: IdempotencyKeyHeader = None):
    return run_write(registry, principal, idem_key, request, body,
                     lambda s: service.receive(s, notification_id, body.version, principal).as_dict(), 200)


@router.post("/notifications/{notification_id}/apply", response_model=NotificationPublic, responses={**NOT_FOUND, **CONFLICT})
def apply_notification(notification_id: IdPath, body: VersionIn, principal: CurrentPrincipal, registry: RegistryDep,
                       request: Request, idem_key: IdempotencyKeyHeader = None):
    """Enter the notified event as a marginal note on the birth act held by this office."""
    return run_write(registry, principal, idem_key, request, body,
                     lambda s: service.apply(s, notification_id, body.version, principal).as_dict(), 200)
