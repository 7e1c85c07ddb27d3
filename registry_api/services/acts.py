"""Registering acts and recording every later change to them.

Each function runs inside the caller's transaction and writes the act and its change-log
row together (transactional outbox); the HTTP layer only maps requests to these calls.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry_api.core.errors import ApiError, FieldError, raise_if
from registry_api.core.security import Principal
from registry_api.models import Act, MarginalNote, Notification, jsonable, utcnow
from registry_api.schemas import ActChange, ActFields
from registry_api.services.bulk import allocate_ids, insert_acts_with_changes, number_rows, reserve_numbers
from registry_api.services.changes import record_change
from registry_api.services.numbering import next_act_number
from registry_api.services.validation import (
    RULE_FIELDS,
    UNCHANGEABLE,
    act_errors,
    check_birth_act,
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
    # the batch's checks over a batch of one (services/validation.py): one rule, one place
    cols = {f: [data.get(f)] for f in CHECKED_FIELDS}
    raise_if(act_errors(session, cols, [office_code], today, reference(session), [loc]))
    if declaration_id is not None:
        data["declaration_id"] = declaration_id
    number = next_act_number(session, office_code, today.year, data["act_type"])
    values = {
        **data, "office_code": office_code, "register_year": today.year, "act_number": number, "status": "active",
        "version": 1, "registered_at": now, "registration_date": today, "created_at": now, "updated_at": now,
        "cancel_reason": None,
    }
    # a Core insert (the unit of work's bookkeeping cost more than the SQL on this path); the act
    # returned is the registered row as the ORM would load it, not attached to the session
    act_id = session.execute(_INSERT_ACT, values).scalar_one()
    act = Act(act_id=act_id, **values, marginal_notes=[])  # a new act has no notes
    record_change(session, act, "create", principal.actor, at=now)
    _death_follow_up(session, act, principal.actor, now)
    return act


_INSERT_ACT = insert(Act.__table__).returning(Act.__table__.c.act_id)


CHECKED_FIELDS = (*RULE_FIELDS, "birth_act_id")


@dataclass(frozen=True)
class BatchResult:
    """What a batch registered, as columns (row i is the i-th act of the request)."""

    act_ids: list[int]
    office_codes: Sequence[str]
    act_types: Sequence[str]
    act_numbers: list[int]
    register_year: int

    def refs(self) -> list[dict[str, Any]]:
        year = self.register_year
        return [
            {"act_id": a, "office_code": o, "register_year": year, "act_type": t, "act_number": n}
            for a, o, t, n in zip(self.act_ids, self.office_codes, self.act_types, self.act_numbers, strict=True)
        ]


def create_acts_batch(
    session: Session, acts: Mapping[str, Sequence[Any]] | Sequence[Any], principal: Principal, *,
    now: dt.datetime | None = None,
) -> BatchResult:
    """All-or-nothing bulk capture of shape-valid acts.

    ``acts`` is columns (``validation.act_columns``: one list per ``ActCreate`` field) or a list
    of ``ActCreate``. Every act gets the single path's checks (``act_errors``, errors at
    ``["body", "acts", i, field]``) before anything is written; then one statement reserves the
    numbers of every register, one the ids, and the acts and their change rows go in with COPY
    (PostgreSQL) or executemany (SQLite), in the caller's transaction.
    """
    now = now or utcnow()
    today = local_date(now)
    if not isinstance(acts, Mapping):
        dumped = [a.model_dump() for a in acts]
        if not dumped:
            return BatchResult([], [], [], [], today.year)
        acts = {f: [d[f] for d in dumped] for f in dumped[0]}
    offices: Sequence[str] = acts["office_code"]
    n = len(offices)
    locs = [("body", "acts", i) for i in range(n)]
    denied = {o for o in set(offices) if not principal.can_write_office(o)}
    errs = act_errors(session, acts, offices, today, reference(session), locs)
    if denied:  # an act outside the token's scope is refused for that alone, as on the single path
        scope = {"scope": principal.office_code or principal.role}
        errs = [e for e in errs if offices[int(e.loc[2])] not in denied]
        errs += [FieldError((*locs[i], "office_code"), "out_of_scope", scope) for i, o in enumerate(offices) if o in denied]
        errs.sort(key=lambda e: int(e.loc[2]))
    if errs:
        status = 403 if all(e.code == "out_of_scope" for e in errs) else 422
        raise ApiError(status, errs[:200])

    types: Sequence[str] = acts["act_type"]
    registers = list(zip(offices, types, strict=True))
    numbers = number_rows(registers, reserve_numbers(session, today.year, Counter(registers)))
    ids = allocate_ids(session, "acts", "act_id", n)
    generated: dict[str, Any] = {
        "act_id": ids, "act_number": numbers, "register_year": itertools.repeat(today.year), "status": itertools.repeat("active"),
        "version": itertools.repeat(1), "registered_at": itertools.repeat(now), "registration_date": itertools.repeat(today),
        "created_at": itertools.repeat(now), "updated_at": itertools.repeat(now), "cancel_reason": itertools.repeat(None),
    }
    rows = list(zip(*(generated[c] if c in generated else acts[c] for c in ACT_COLUMNS)))  # noqa: B905 (repeat() is endless)
    actor = principal.actor

    def change(act: tuple[Any, ...], image: Any) -> tuple[Any, ...]:
        return ("act", act[0], act[0], act[_OFFICE], "create", 1, image, actor, None, None, now)

    insert_acts_with_changes(session, ACT_COLUMNS, rows, CHANGE_COLUMNS, change)
    born = acts["birth_act_id"]
    for i in (i for i, t in enumerate(types) if t == "death" and (born[i] or acts["birth_office_code"][i])):
        # rare in bulk capture: the ORM path keeps one rule for death notes and notifications
        _death_follow_up(session, session.get(Act, ids[i]), actor, now)
    return BatchResult(ids, offices, types, numbers, today.year)


ACT_COLUMNS = tuple(c.key for c in Act.__mapper__.column_attrs)
_OFFICE = ACT_COLUMNS.index("office_code")
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
