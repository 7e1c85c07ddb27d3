"""Document requests, family events (marriage/divorce) and inter-office notifications (الإعلام).

A marriage or divorce summary from a court's family section is not an act: it notifies the
office holding each spouse's birth act, which receives it and applies it as a marginal note.
Each step carries its own timestamp so the warehouse can measure the lag.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_api.core.errors import ApiError, FieldError, raise_if
from registry_api.core.security import Principal
from registry_api.models import Act, DocumentRequest, FamilyEvent, Notification, Province, utcnow
from registry_api.schemas import DocumentRequestCreate, FamilyEventCreate
from registry_api.services.acts import add_note, check_version, local_date, require_write
from registry_api.services.changes import record_change
from registry_api.services.validation import check_birth_act, check_marriage_ages, reference

DIVORCE_LABELS_FR = {"talaq": "divorce (talaq)", "tatliq": "divorce judiciaire (tatliq)", "mutual_consent": "divorce par consentement mutuel", "other": "divorce", None: "divorce"}


# --------------------------------------------------------------------------- document requests
def request_document(session: Session, body: DocumentRequestCreate, principal: Principal, *, now: dt.datetime | None = None) -> DocumentRequest:
    now = now or utcnow()
    act = session.get(Act, body.act_id)
    if act is None:
        raise ApiError.one(404, "not_found", "body", "act_id", what=f"act {body.act_id}")
    if act.status == "cancelled":
        raise ApiError.one(409, "act_cancelled", "body", "act_id", value=body.act_id)
    # Copies and extracts are issued by the office that holds the act (extracts only there, by law).
    require_write(principal, act.office_code, ("body", "act_id"))
    req = DocumentRequest(
        act_id=act.act_id, office_code=act.office_code, document_kind=body.document_kind, channel=body.channel,
        status="requested", version=1, requested_at=now,
    )
    session.add(req)
    record_change(session, req, "request", principal.actor, at=now)
    return req


def issue_document(session: Session, request_id: int, version: int, principal: Principal, *, now: dt.datetime | None = None) -> DocumentRequest:
    now = now or utcnow()
    req = session.execute(select(DocumentRequest).where(DocumentRequest.request_id == request_id).with_for_update()).scalar_one_or_none()
    if req is None:
        raise ApiError.one(404, "not_found", "path", "request_id", what=f"document request {request_id}")
    require_write(principal, req.office_code, ("path", "request_id"))
    check_version(req.version, version)
    if req.status != "requested":
        raise ApiError.one(409, "invalid_state", "path", "request_id", state=req.status)
    req.status, req.issued_at, req.version = "issued", now, req.version + 1
    record_change(session, req, "issue", principal.actor, at=now)
    return req


# --------------------------------------------------------------------------- family events
def record_family_event(session: Session, body: FamilyEventCreate, principal: Principal, *, now: dt.datetime | None = None) -> tuple[FamilyEvent, list[Notification]]:
    """A court's marriage/divorce summary: the event, and a notification to each birth office."""
    if principal.role != "admin":
        raise ApiError.one(403, "forbidden", "header", "authorization")
    now = now or utcnow()
    ref = reference(session)
    errs: list[FieldError] = check_marriage_ages(body.husband_age, body.wife_age) if body.event_type == "marriage" else []
    if body.event_date > local_date(now):
        errs.append(FieldError(("body", "event_date"), "event_in_future"))
    if session.get(Province, body.court_province_code) is None:
        errs.append(FieldError(("body", "court_province_code"), "unknown_province", {"value": body.court_province_code}))
    for who in ("husband", "wife"):
        office = getattr(body, f"{who}_birth_office_code")
        if office and office not in ref.offices:
            errs.append(FieldError(("body", f"{who}_birth_office_code"), "unknown_office", {"value": office}))
        errs += check_birth_act(session, getattr(body, f"{who}_birth_act_id"), ("body", f"{who}_birth_act_id"))
    if body.event_type == "marriage" and body.divorce_kind is not None:
        errs.append(FieldError(("body", "divorce_kind"), "not_for_birth"))
    raise_if(errs)
    event = FamilyEvent(**body.model_dump(), version=1, recorded_at=now)
    session.add(event)
    record_change(session, event, "create", principal.actor, at=now)
    label = "mariage" if body.event_type == "marriage" else DIVORCE_LABELS_FR[body.divorce_kind]
    notes = []
    for who, spouse in (("husband", "l'époux"), ("wife", "l'épouse")):
        office = getattr(body, f"{who}_birth_office_code")
        act_id = getattr(body, f"{who}_birth_act_id")
        if act_id and not office:
            office = session.get(Act, act_id).office_code  # type: ignore[union-attr]
        if not office:
            continue  # born abroad without a consular record, or unknown: nothing to note
        n = Notification(
            event_type=body.event_type, source_kind="court", from_court_name=body.court_name, to_office_code=office,
            target_act_id=act_id, family_event_id=event.family_event_id,
            note_text=f"Mention de {label} de {spouse} le {body.event_date.isoformat()}, {body.court_name}, réf. {body.contract_reference}",
            status="sent", version=1, created_at=now,
        )
        session.add(n)
        record_change(session, n, "send", principal.actor, at=now)
        notes.append(n)
    return event, notes


# --------------------------------------------------------------------------- notifications
def _load_notification(session: Session, notification_id: int, version: int, principal: Principal) -> Notification:
    n = session.execute(select(Notification).where(Notification.notification_id == notification_id).with_for_update()).scalar_one_or_none()
    if n is None:
        raise ApiError.one(404, "not_found", "path", "notification_id", what=f"notification {notification_id}")
    require_write(principal, n.to_office_code, ("path", "notification_id"))
    check_version(n.version, version)
    return n


def receive(session: Session, notification_id: int, version: int, principal: Principal, *, now: dt.datetime | None = None) -> Notification:
    now = now or utcnow()
    n = _load_notification(session, notification_id, version, principal)
    if n.status != "sent":
        raise ApiError.one(409, "invalid_state", "path", "notification_id", state=n.status)
    n.status, n.received_at, n.version = "received", now, n.version + 1
    record_change(session, n, "receive", principal.actor, at=now)
    return n


def apply(session: Session, notification_id: int, version: int, principal: Principal, *, now: dt.datetime | None = None) -> Notification:
    """Enter the notified event in the margin of the birth act held by this office."""
    now = now or utcnow()
    n = _load_notification(session, notification_id, version, principal)
    if n.status == "applied":
        raise ApiError.one(409, "invalid_state", "path", "notification_id", state=n.status)
    if n.received_at is None:
        n.received_at = now
    if n.target_act_id is not None:
        act = session.execute(select(Act).where(Act.act_id == n.target_act_id).with_for_update()).scalar_one_or_none()
        if act is None or act.office_code != n.to_office_code:
            raise ApiError.one(409, "not_found", "path", "notification_id", what=f"act {n.target_act_id}")
        note = add_note(
            session, act, n.event_type, n.note_text, principal.actor, now,
            reason="Notification", legal_basis=n.from_court_name, family_event_id=n.family_event_id,
            notification_id=n.notification_id,
        )
        n.marginal_note_id = note.note_id
    n.status, n.applied_at, n.version = "applied", now, n.version + 1
    record_change(session, n, "apply", principal.actor, at=now)
    return n
