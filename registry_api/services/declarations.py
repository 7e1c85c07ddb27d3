"""Preliminary declarations: submitted on the portal, completed at the office within the deadline.

Workflow: ``submitted -> under_review -> registered`` (linked to its act) ``| rejected`` (reason)
``| expired`` (the legal deadline passed without registration). Every step writes one change row.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry_api.core.errors import ApiError, FieldError, raise_if
from registry_api.core.security import Principal
from registry_api.models import Act, Declaration, DeclarationDocument, Office, utcnow
from registry_api.schemas import DeclarationCreate, DeclarationRegister
from registry_api.services import rules, tracking
from registry_api.services.acts import check_version, create_act, local_date, require_write
from registry_api.services.changes import record_change
from registry_api.services.validation import check_office, reference

PENDING = ("submitted", "under_review")
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def deadline_for(event_type: str, event_date: dt.date, *, consular: bool, channel: str, place_kind: str) -> dt.date:
    """The one deadline rule applied to a declaration (see services/rules.py)."""
    return rules.legal_deadline(
        event_type,  # type: ignore[arg-type]
        event_date,
        abroad=consular,
        institution_death=event_type == "death" and channel == "institution" and place_kind == "institution",
    )


def store_document(documents_dir: Path, content: bytes) -> str:
    """Content-addressed storage of a supporting document; returns its SHA-256."""
    digest = hashlib.sha256(content).hexdigest()
    path = documents_dir / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    return digest


def submit(session: Session, body: DeclarationCreate, principal: Principal, documents_dir: Path, *, now: dt.datetime | None = None) -> Declaration:
    if principal.role not in ("portal", "admin"):
        raise ApiError.one(403, "forbidden", "header", "authorization")
    now = now or utcnow()
    today = local_date(now)
    ref = reference(session)
    errs: list[FieldError] = check_office(ref, body.office_code, today, ("body", "office_code"))
    if body.event_date > today:
        errs.append(FieldError(("body", "event_date"), "event_in_future"))
    raise_if(errs)
    consular = ref.offices[body.office_code][0] == "consular"
    deadline = deadline_for(body.event_type, body.event_date, consular=consular, channel=body.channel, place_kind=body.event_place_kind)
    if today > deadline:
        raise ApiError.one(422, "deadline_passed", "body", "event_date", deadline=deadline.isoformat())
    blobs: list[bytes] = []
    for i, doc in enumerate(body.documents):
        try:
            content = base64.b64decode(doc.content_base64, validate=True)
        except (binascii.Error, ValueError):
            errs.append(FieldError(("body", "documents", i, "content_base64"), "invalid_base64"))
            continue
        if len(content) > MAX_DOCUMENT_BYTES:
            errs.append(FieldError(("body", "documents", i, "content_base64"), "document_too_large", {"max": MAX_DOCUMENT_BYTES}))
        blobs.append(content)
    raise_if(errs)

    for _attempt in range(5):  # a tracking-number collision (1 in 32^8) just draws again
        decl = Declaration(
            tracking_number=tracking.new_tracking_number(body.event_type), event_type=body.event_type,
            event_date=body.event_date, office_code=body.office_code, channel=body.channel,
            event_place_kind=body.event_place_kind, deadline_date=deadline, status="submitted", version=1,
            declarant_name=body.declarant_name, declarant_phone=body.declarant_phone,
            declarant_email=body.declarant_email, declarant_relation=body.declarant_relation,
            locale=body.locale, payload=body.payload, submitted_at=now,
        )
        try:
            with session.begin_nested():
                session.add(decl)
                session.flush()
            break
        except IntegrityError:
            continue
    for doc, content in zip(body.documents, blobs, strict=True):
        digest = store_document(documents_dir, content)
        session.add(DeclarationDocument(
            declaration_id=decl.declaration_id, document_kind=doc.document_kind, media_type=doc.media_type,
            sha256=digest, size_bytes=len(content), uploaded_at=now,
        ))
    session.flush()
    session.refresh(decl, ["documents"])
    record_change(session, decl, "submit", principal.actor, at=now)
    return decl


def by_tracking_number(session: Session, raw: str) -> Declaration:
    number = tracking.normalise(raw)
    decl = None
    if tracking.is_valid(number):
        decl = session.scalars(select(Declaration).where(Declaration.tracking_number == number)).one_or_none()
    if decl is None:
        raise ApiError.one(404, "not_found", "path", "tracking_number", what="déclaration / تصريح")
    return decl


def effective_status(decl: Declaration, today: dt.date) -> str:
    """A pending declaration past its deadline is expired even before the expiry job runs."""
    if decl.status in PENDING and today > decl.deadline_date:
        return "expired"
    return decl.status


def status_view(session: Session, decl: Declaration, now: dt.datetime | None = None) -> dict[str, object]:
    today = local_date(now or utcnow())
    office = session.get(Office, decl.office_code)
    return {
        "tracking_number": decl.tracking_number, "event_type": decl.event_type,
        "status": effective_status(decl, today), "office_code": decl.office_code,
        "office_name_fr": office.name_fr if office else "", "office_name_ar": office.name_ar if office else "",
        "deadline_date": decl.deadline_date, "days_left": max((decl.deadline_date - today).days, 0),
        "submitted_at": decl.submitted_at, "decided_at": decl.decided_at,
    }


def load_for_update(session: Session, declaration_id: int) -> Declaration:
    decl = session.execute(
        select(Declaration).where(Declaration.declaration_id == declaration_id).with_for_update()
    ).scalar_one_or_none()
    if decl is None:
        raise ApiError.one(404, "not_found", "path", "declaration_id", what=f"declaration {declaration_id}")
    return decl


def _transition(session: Session, declaration_id: int, version: int, principal: Principal, allowed: tuple[str, ...], now: dt.datetime) -> Declaration:
    decl = load_for_update(session, declaration_id)
    require_write(principal, decl.office_code, ("path", "declaration_id"))
    check_version(decl.version, version)
    status = effective_status(decl, local_date(now))
    if status not in allowed:
        raise ApiError.one(409, "invalid_state", "path", "declaration_id", state=status)
    return decl


def review(session: Session, declaration_id: int, version: int, principal: Principal, *, now: dt.datetime | None = None) -> Declaration:
    now = now or utcnow()
    decl = _transition(session, declaration_id, version, principal, ("submitted",), now)
    decl.status, decl.review_started_at, decl.version = "under_review", now, decl.version + 1
    record_change(session, decl, "review", principal.actor, at=now)
    return decl


def register(session: Session, declaration_id: int, body: DeclarationRegister, principal: Principal, *, now: dt.datetime | None = None) -> Act:
    """Complete a declaration at the office: the act is registered and linked, in one transaction."""
    now = now or utcnow()
    decl = _transition(session, declaration_id, body.version, principal, PENDING, now)
    if decl.event_type not in ("birth", "death") or body.act.act_type != decl.event_type:
        raise ApiError.one(422, "literal_error", "body", "act", "act_type", expected=decl.event_type)
    act = create_act(session, body.act, decl.office_code, principal, now=now, loc=("body", "act"), declaration_id=decl.declaration_id)
    decl.status, decl.decided_at, decl.act_id, decl.version = "registered", now, act.act_id, decl.version + 1
    if decl.review_started_at is None:
        decl.review_started_at = now
    record_change(session, decl, "register", principal.actor, at=now)
    return act


def reject(session: Session, declaration_id: int, version: int, reason: str, principal: Principal, *, now: dt.datetime | None = None) -> Declaration:
    now = now or utcnow()
    decl = _transition(session, declaration_id, version, principal, PENDING, now)
    decl.status, decl.decided_at, decl.rejection_reason, decl.version = "rejected", now, reason, decl.version + 1
    record_change(session, decl, "reject", principal.actor, reason=reason, at=now)
    return decl


def expire_overdue(session: Session, principal: Principal, as_of: dt.date | None = None, *, now: dt.datetime | None = None) -> int:
    """Mark pending declarations whose deadline has passed as expired (one change row each)."""
    if principal.role != "admin":
        raise ApiError.one(403, "forbidden", "header", "authorization")
    now = now or utcnow()
    as_of = as_of or local_date(now)
    overdue = session.scalars(
        select(Declaration)
        .where(Declaration.status.in_(PENDING), Declaration.deadline_date < as_of)
        .order_by(Declaration.declaration_id)
        .with_for_update()
    ).all()
    for decl in overdue:
        decl.status, decl.decided_at, decl.version = "expired", now, decl.version + 1
        record_change(session, decl, "expire", principal.actor, reason=f"deadline {decl.deadline_date.isoformat()} passed", at=now)
    return len(overdue)


def require_read(principal: Principal, decl: Declaration) -> None:
    if not principal.can_read_office(decl.office_code):
        raise ApiError.one(403, "out_of_scope", "path", "declaration_id", scope=principal.office_code or principal.role)
