"""Domain validation of acts: the rules that need dates, several fields or the reference data.

Shared by the API (single, batch, registration of a declaration, corrections), the simulator's
tests (generated records must pass it) and the quality suites' documentation. Each rule yields
a ``FieldError`` with the field path, so clients see exactly what to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_api.core.errors import FieldError
from registry_api.models import Act, Commune, Office
from registry_api.services import rules

BIRTH_DECLARANTS = frozenset({
    "father", "mother", "guardian", "brother", "sister", "nephew", "grandfather", "uncle", "aunt",
    "relative", "proxy", "prosecutor", "local_authority", "institution",
})
DEATH_DECLARANTS = frozenset({
    "child", "spouse", "father", "mother", "guardian", "kafil", "brother", "sister", "nephew",
    "grandfather", "uncle", "aunt", "relative", "proxy", "prosecutor", "local_authority", "institution",
})
CNIE_MIN_AGE = 16
# Fields fixed at registration: a correction cannot move an act to another register.
UNCHANGEABLE = frozenset({
    "act_type", "office_code", "register_year", "act_number", "status", "version", "registered_at",
    "registration_date", "declaration_id", "created_at", "updated_at", "act_id", "cancel_reason",
})


@dataclass(frozen=True)
class Reference:
    """Offices and communes, loaded once per registry (they change only with a migration)."""

    offices: Mapping[str, tuple[str, dt.date | None]]  # office_code -> (office_kind, live_since)
    communes: frozenset[str]


_REFERENCE: dict[str, Reference] = {}


def reference(session: Session) -> Reference:
    key = str(session.get_bind().url)
    ref = _REFERENCE.get(key)
    if ref is None:
        offices = {code: (kind, live) for code, kind, live in session.execute(
            select(Office.office_code, Office.office_kind, Office.live_since))}
        communes = frozenset(session.scalars(select(Commune.commune_code)))
        ref = _REFERENCE[key] = Reference(offices, communes)
    return ref


def full_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@lru_cache
def _bounds() -> dict[str, int]:
    return {k: rules.plausible(k) for k in rules.rules()["plausible"]}


def check_office(ref: Reference, office_code: str, on: dt.date, loc: tuple[str | int, ...]) -> list[FieldError]:
    if office_code not in ref.offices:
        return [FieldError(loc, "unknown_office", {"value": office_code})]
    live = ref.offices[office_code][1]
    if live is None or live > on:
        return [FieldError(loc, "office_not_live", {"value": office_code, "since": live.isoformat() if live else "—"})]
    return []


def validate_act(
    data: Mapping[str, Any],
    office_code: str,
    registration_date: dt.date,
    ref: Reference,
    loc: tuple[str | int, ...] = ("body",),
) -> list[FieldError]:
    """Every cross-field and reference rule for one act; an empty list means valid."""
    errs: list[FieldError] = []
    b = _bounds()

    def err(field: str, code: str, **params: Any) -> None:
        errs.append(FieldError((*loc, field), code, params))

    act_type = data["act_type"]
    event_date: dt.date = data["event_date"]
    if event_date > registration_date:
        err("event_date", "event_in_future")
    birth_date: dt.date | None = data.get("birth_date")
    if birth_date and birth_date > registration_date:
        err("birth_date", "date_in_future")

    if act_type == "birth":
        if birth_date and birth_date != event_date:
            err("birth_date", "birth_date_mismatch")
        for f in ("age_years", "national_id", "marital_status"):
            if data.get(f) is not None:
                err(f, "not_for_birth")
        for f, lo, hi in (("mother_age", "mother_age_min", "mother_age_max"), ("father_age", "father_age_min", "father_age_max")):
            v = data.get(f)
            if v is not None and not b[lo] <= v <= b[hi]:
                err(f, "implausible_age", value=v, min=b[lo], max=b[hi])
        if data["declarant_relation"] not in BIRTH_DECLARANTS:
            err("declarant_relation", "invalid_declarant", value=data["declarant_relation"])
    else:
        age = data.get("age_years")
        if birth_date and birth_date > event_date:
            err("birth_date", "birth_after_death")
        elif birth_date and age is not None:
            expected = full_years(birth_date, event_date)
            if abs(age - expected) > 1:
                err("age_years", "age_mismatch", value=age, expected=expected)
        if age is not None and age > b["max_age"]:
            err("age_years", "implausible_age", value=age, min=0, max=b["max_age"])
        if data.get("national_id"):
            years = age if age is not None else (full_years(birth_date, event_date) if birth_date else None)
            if years is not None and years < CNIE_MIN_AGE:
                err("national_id", "national_id_minor")
        if data["declarant_relation"] not in DEATH_DECLARANTS:
            err("declarant_relation", "invalid_declarant", value=data["declarant_relation"])

    if data.get("registration_basis") == "declaratory_judgment":
        for f in ("court_name", "judgment_reference", "judgment_date"):
            if not data.get(f):
                err(f, "required_for_judgment")
        jd = data.get("judgment_date")
        if jd and jd > registration_date:
            err("judgment_date", "date_in_future")
        if jd and jd < event_date:
            err("judgment_date", "event_after_registration")
    else:
        abroad = ref.offices.get(office_code, ("", None))[0] == "consular"
        if event_date <= registration_date and rules.requires_judgment(act_type, event_date, registration_date, abroad=abroad):
            err("registration_basis", "judgment_required",
                deadline=rules.legal_deadline(act_type, event_date, abroad=abroad).isoformat())

    commune = data.get("event_commune_code")
    if commune and commune not in ref.communes:
        err("event_commune_code", "unknown_commune", value=commune)
    birth_office = data.get("birth_office_code")
    if birth_office and birth_office not in ref.offices:
        err("birth_office_code", "unknown_office", value=birth_office)
    return errs


def check_birth_act(session: Session, act_id: int | None, loc: tuple[str | int, ...]) -> list[FieldError]:
    """A referenced birth act must exist, be a birth act and not be cancelled."""
    if act_id is None:
        return []
    row = session.execute(select(Act.act_type, Act.status).where(Act.act_id == act_id)).one_or_none()
    if row is None:
        return [FieldError(loc, "not_found", {"what": f"act {act_id}"})]
    if row.act_type != "birth":
        return [FieldError(loc, "act_type_mismatch", {"value": act_id})]
    if row.status == "cancelled":
        return [FieldError(loc, "act_cancelled", {"value": act_id})]
    return []


def check_marriage_ages(husband_age: int, wife_age: int, loc: tuple[str | int, ...] = ("body",)) -> list[FieldError]:
    floor = rules.plausible("marriage_age_min_authorised")
    return [
        FieldError((*loc, f), "marriage_age", {"value": v, "min": floor})
        for f, v in (("husband_age", husband_age), ("wife_age", wife_age))
        if v < floor
    ]
