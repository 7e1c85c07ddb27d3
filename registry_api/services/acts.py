"""Registering acts and recording every later change to them.

Each function runs inside the caller's transaction and writes the act and its change-log
row together (transactional outbox); the HTTP layer only maps requests to these calls.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_api.core.errors import ApiError, FieldError, raise_if
from registry_api.core.security import Principal
from registry_api.models import Act, MarginalNote, Notification, jsonable, utcnow
from registry_api.schemas import ActChange, ActFields
from registry_api.services.bulk import allocate_ids, copy_rows
from registry_api.services.changes import record_change
from registry_api.services.numbering import next_act_number, reserve_act_numbers
from registry_api.services.validation import (
    UNCHANGEABLE,
    check_birth_act,
    check_office,
    reference,
    validate_act,
)

LOCAL_TZ = ZoneInfo("Africa/Casablanca")


def local_date(at: dt.datetime) -> dt.date:
    """The office's calendar day for a UTC instant (registers follow the local calendar)."""
    return at.astimezone(LOCAL_TZ).date()


def require_write(principal: Principal, office_code: str, loc: tuple[str | int, ...] = ("body", "office_code")) -> None:
    if not principal.can_write_office(office_code):
        raise ApiError.one(403, "out_of_scope", *loc, scope=principal.office_code or principal.role)


def _death_follow_up(session: Session, act: Act, actor: str, now: dt.datetime) -> None:
    """A death concerning a birth act: note it on the act if held here, else notify its office."""
    if act.act_type != "death" or not (act.birth_office_code or act.birth_act_id):
        return
    text = (
        f"Décédé(e) le {act.event_date.isoformat()} — acte de décès n° {act.act_number}/{act.register_year}, "
        f"bureau {act.office_code}"
    )
    if act.birth_office_code in (None, act.office_code) and act.birth_act_id:
        birth = session.get(Act, act.birth_act_id)
        if birth is not None and birth.office_code == act.office_code:
            add_note(session, birth, "death", text, actor, now, reason="Mention de décès")
            return
    if act.birth_office_code and act.birth_office_code != act.office_code:
        n = Notification(
            event_type="death", source_kind="office", from_office_code=act.office_code,
            to_office_code=act.birth_office_code, target_act_id=act.birth_act_id, source_act_id=act.act_id,
            note_text=text, created_at=now,
        )
        session.add(n)
        record_change(session, n, "send", actor, at=now)


def create_act(
    session: Session,
    fields: ActFields,
    office_code: str,
    principal: Principal,
    *,
    now: dt.datetime | None = None,
    loc: tuple[str | int, ...] = ("body",),
    declaration_id: int | None = None,
) -> Act:
    require_write(principal, office_code, (*loc, "office_code"))
    now = now or utcnow()
    today = local_date(now)
    data = fields.model_dump(exclude={"office_code"})
    errs = validate_act(data, office_code, today, reference(session), loc)
    errs += check_office(reference(session), office_code, today, (*loc, "office_code"))
    errs += check_birth_act(session, data.get("birth_act_id"), (*loc, "birth_act_id"))
    raise_if(errs)
    if declaration_id is not None:
        data["declaration_id"] = declaration_id
    number = next_act_number(session, office_code, today.year, data["act_type"])
    act = Act(
        **data, office_code=office_code, register_year=today.year, act_number=number, status="active",
        version=1, registered_at=now, registration_date=today, created_at=now, updated_at=now,
    )
    session.add(act)
    record_change(session, act, "create", principal.actor, at=now)
    _death_follow_up(session, act, principal.actor, now)
    return act


def create_acts_batch(
    session: Session, items: list[Any], principal: Principal, *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """All-or-nothing bulk capture: validate everything first, then reserve number ranges per
    register and insert acts and change rows in two multi-row statements."""
    now = now or utcnow()
    today = local_date(now)
    ref = reference(session)
    errs: list[FieldError] = []
    rows: list[dict[str, Any]] = []
    birth_refs: set[int] = set()
    for i, item in enumerate(items):
        loc = ("body", "acts", i)
        if not principal.can_write_office(item.office_code):
            errs.append(FieldError((*loc, "office_code"), "out_of_scope", {"scope": principal.office_code or principal.role}))
            continue
        data = item.model_dump()
        errs += validate_act(data, item.office_code, today, ref, loc)
        errs += check_office(ref, item.office_code, today, (*loc, "office_code"))
        if data.get("birth_act_id"):
            birth_refs.add(data["birth_act_id"])
        rows.append(data)
    if errs:
        status = 403 if all(e.code == "out_of_scope" for e in errs) else 422
        raise ApiError(status, errs[:200])
    if birth_refs:
        found = dict(session.execute(select(Act.act_id, Act.act_type).where(Act.act_id.in_(birth_refs))).all())
        bad = [
            FieldError(("body", "acts", i, "birth_act_id"), "not_found" if r["birth_act_id"] not in found else "act_type_mismatch",
                       {"what": f"act {r['birth_act_id']}", "value": r["birth_act_id"]})
            for i, r in enumerate(rows) if r.get("birth_act_id") and found.get(r["birth_act_id"]) != "birth"
        ]
        raise_if(bad)

    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["office_code"], r["act_type"])].append(r)
    for (office, act_type), members in sorted(groups.items()):
        for r, number in zip(members, reserve_act_numbers(session, office, today.year, act_type, len(members)), strict=True):
            r.update(register_year=today.year, act_number=number, status="active", version=1, registered_at=now,
                     registration_date=today, created_at=now, updated_at=now, cancel_reason=None)
    for r, act_id in zip(rows, allocate_ids(session, "acts", "act_id", len(rows)), strict=True):
        r["act_id"] = act_id
    columns = list(ACT_COLUMNS)
    copy_rows(session, "acts", columns, ([r[c] for c in columns] for r in rows))
    copy_rows(session, "changes", CHANGE_COLUMNS, (
        ("act", r["act_id"], r["act_id"], r["office_code"], "create", 1,
         {**{c: r[c] for c in columns}, "marginal_notes": []}, principal.actor, None, None, now)
        for r in rows
    ))
    deaths = [r for r in rows if r["act_type"] == "death" and (r.get("birth_office_code") or r.get("birth_act_id"))]
    for r in deaths:  # rare in bulk capture; the ORM path keeps one rule for notifications
        _death_follow_up(session, session.get(Act, r["act_id"]), principal.actor, now)
    return [
        {k: r[k] for k in ("act_id", "office_code", "register_year", "act_type", "act_number")} for r in rows
    ]


ACT_COLUMNS = tuple(c.key for c in Act.__mapper__.column_attrs)
CHANGE_COLUMNS = ("entity_type", "entity_id", "act_id", "office_code", "change_kind", "version", "after_image",
                  "actor", "reason", "legal_basis", "changed_at")


def load_for_update(session: Session, act_id: int) -> Act:
    act = session.execute(select(Act).where(Act.act_id == act_id).with_for_update()).scalar_one_or_none()
    if act is None:
        raise ApiError.one(404, "not_found", "path", "act_id", what=f"act {act_id}")
    return act


def check_version(current: int, sent: int) -> None:
    if current != sent:
        raise ApiError.one(409, "stale_version", "body", "version", current=current, sent=sent)


def add_note(
    session: Session, act: Act, note_kind: str, text: str, actor: str, now: dt.datetime, *,
    reason: str | None = None, legal_basis: str | None = None, family_event_id: int | None = None,
    notification_id: int | None = None,
) -> MarginalNote:
    note = MarginalNote(
        act_id=act.act_id, note_kind=note_kind, note_text=text, legal_basis=legal_basis,
        family_event_id=family_event_id, notification_id=notification_id, noted_at=now,
    )
    session.add(note)
    act.version += 1
    act.updated_at = now
    session.flush()
    record_change(session, act, "marginal_note", actor, reason=reason, legal_basis=legal_basis, at=now)
    return note


def change_act(session: Session, act_id: int, body: ActChange, principal: Principal, *, now: dt.datetime | None = None) -> Act:
    """Amend, correct, annotate or cancel an act, never losing a concurrent update (409)."""
    now = now or utcnow()
    act = load_for_update(session, act_id)
    require_write(principal, act.office_code, ("path", "act_id"))
    check_version(act.version, body.version)
    if act.status == "cancelled":
        raise ApiError.one(409, "invalid_state", "path", "act_id", state="cancelled")

    if body.kind == "marginal_note":
        if body.note is None:
            raise ApiError.one(422, "required", "body", "note")
        add_note(session, act, body.note.note_kind, body.note.note_text, principal.actor, now,
                 reason=body.reason, legal_basis=body.note.legal_basis or body.legal_basis)
        return act
    if body.kind == "cancel":
        act.status = "cancelled"
        act.cancel_reason = body.reason
        act.version += 1
        act.updated_at = now
        record_change(session, act, "cancel", principal.actor, reason=body.reason, legal_basis=body.legal_basis, at=now)
        return act

    # amend / correct
    if body.kind == "correct" and not body.legal_basis:
        raise ApiError.one(422, "required", "body", "legal_basis")
    if not body.fields:
        raise ApiError.one(422, "required", "body", "fields")
    bad = [FieldError(("body", "fields", k), "field_not_changeable") for k in body.fields if k in UNCHANGEABLE]
    raise_if(bad)
    current = {k: getattr(act, k) for k in ActFields.model_fields}
    merged = {**current, **body.fields}
    try:
        checked = ActFields.model_validate(json.loads(json.dumps(merged, default=jsonable)))
    except Exception as exc:  # pydantic ValidationError: re-root its paths under body.fields
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        raise ApiError(422, [FieldError(("body", "fields", *e["loc"]), e["type"], dict(e.get("ctx") or {})) for e in exc.errors()]) from None
    data = checked.model_dump()
    errs = validate_act(data, act.office_code, act.registration_date, reference(session), ("body", "fields"))
    errs += check_birth_act(session, data.get("birth_act_id"), ("body", "fields", "birth_act_id"))
    raise_if(errs)
    for k in body.fields:
        setattr(act, k, data[k])
    act.version += 1
    act.updated_at = now
    record_change(session, act, body.kind, principal.actor, reason=body.reason, legal_basis=body.legal_basis, at=now)
    return act
