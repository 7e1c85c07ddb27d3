"""Domain validation of acts: the rules that need dates, several fields or the reference data.

Shared by the API (single, batch, registration of a declaration, corrections), the simulator's
tests (generated records must pass it) and the quality suites' documentation. Each rule yields
a ``FieldError`` with the field path, so clients see exactly what to fix.

Every rule is written once, over columns (``validate_acts``, ``act_errors``): the single-act
path checks a batch of one, the batch path checks 10,000 acts in one pass, so the two accept and
refuse exactly the same acts with the same paths and messages (tests/registry_api/test_batch.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
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


Loc = tuple[str | int, ...]


def validate_act(
    data: Mapping[str, Any],
    office_code: str,
    registration_date: dt.date,
    ref: Reference,
    loc: Loc = ("body",),
) -> list[FieldError]:
    """Every cross-field and reference rule for one act; an empty list means valid.

    The rules are written once, over columns (``validate_acts``): one act is a batch of one,
    so the single-act path and the batch path cannot diverge.
    """
    cols = {f: [data.get(f)] for f in RULE_FIELDS}
    return validate_acts(cols, [office_code], registration_date, ref, [loc])


# The fields the rules read (an act's other fields only carry shape rules, in ``schemas.py``).
RULE_FIELDS = (
    "act_type", "event_date", "birth_date", "age_years", "national_id", "marital_status", "mother_age", "father_age",
    "declarant_relation", "registration_basis", "court_name", "judgment_reference", "judgment_date",
    "event_commune_code", "birth_office_code",
)


def validate_acts(
    cols: Mapping[str, Sequence[Any]],
    office_codes: Sequence[str],
    registration_date: dt.date,
    ref: Reference,
    locs: Sequence[Loc],
) -> list[FieldError]:
    """The act rules over columns; see ``_rule_errors``."""
    return [e for _, _, e in _rule_errors(cols, office_codes, registration_date, ref, locs)]


def _rule_errors(
    cols: Mapping[str, Sequence[Any]],
    office_codes: Sequence[str],
    registration_date: dt.date,
    ref: Reference,
    locs: Sequence[Loc],
) -> list[tuple[int, int, FieldError]]:
    """The act rules over columns (one list per field, dates as ``datetime.date``), for acts
    registered on ``registration_date``; errors come row by row, in the order of the rules below
    (the order a client sees for one act)."""
    b = _bounds()
    reg = registration_date
    found: list[tuple[int, int, FieldError]] = []
    seq = itertools.count()

    def emit(rows: Iterable[int], field: str, code: str, params: Callable[[int], dict[str, Any]] | None = None) -> None:
        s = next(seq)
        found.extend((i, s, FieldError((*locs[i], field), code, params(i) if params else {})) for i in rows)

    act_type, event, born, age = cols["act_type"], cols["event_date"], cols["birth_date"], cols["age_years"]
    declarant = cols["declarant_relation"]
    emit((i for i, e in enumerate(event) if e > reg), "event_date", "event_in_future")
    emit((i for i, d in enumerate(born) if d and d > reg), "birth_date", "date_in_future")

    births = [i for i, t in enumerate(act_type) if t == "birth"]
    deaths = [i for i, t in enumerate(act_type) if t != "birth"]
    # births
    emit((i for i in births if born[i] and born[i] != event[i]), "birth_date", "birth_date_mismatch")
    for f in ("age_years", "national_id", "marital_status"):
        col = cols[f]
        emit((i for i in births if col[i] is not None), f, "not_for_birth")
    for f, lo, hi in (("mother_age", b["mother_age_min"], b["mother_age_max"]), ("father_age", b["father_age_min"], b["father_age_max"])):
        col = cols[f]
        emit((i for i in births if col[i] is not None and not lo <= col[i] <= hi), f, "implausible_age",
             lambda i, col=col, lo=lo, hi=hi: {"value": col[i], "min": lo, "max": hi})
    emit((i for i in births if declarant[i] not in BIRTH_DECLARANTS), "declarant_relation", "invalid_declarant",
         lambda i: {"value": declarant[i]})
    # deaths
    emit((i for i in deaths if born[i] and born[i] > event[i]), "birth_date", "birth_after_death")
    dated = [i for i in deaths if born[i] and not born[i] > event[i] and age[i] is not None]
    emit((i for i in dated if abs(age[i] - full_years(born[i], event[i])) > 1), "age_years", "age_mismatch",
         lambda i: {"value": age[i], "expected": full_years(born[i], event[i])})
    emit((i for i in deaths if age[i] is not None and age[i] > b["max_age"]), "age_years", "implausible_age",
         lambda i: {"value": age[i], "min": 0, "max": b["max_age"]})
    national_id = cols["national_id"]

    def minor(i: int) -> bool:
        years = age[i] if age[i] is not None else (full_years(born[i], event[i]) if born[i] else None)
        return years is not None and years < CNIE_MIN_AGE

    emit((i for i in deaths if national_id[i] and minor(i)), "national_id", "national_id_minor")
    emit((i for i in deaths if declarant[i] not in DEATH_DECLARANTS), "declarant_relation", "invalid_declarant",
         lambda i: {"value": declarant[i]})

    # registration basis: a declaratory judgment carries its references; a declaration is on time
    basis = cols["registration_basis"]
    judged = [i for i, v in enumerate(basis) if v == "declaratory_judgment"]
    declared = [i for i, v in enumerate(basis) if v != "declaratory_judgment"] if judged else range(len(basis))
    for f in ("court_name", "judgment_reference", "judgment_date"):
        col = cols[f]
        emit((i for i in judged if not col[i]), f, "required_for_judgment")
    jd = cols["judgment_date"]
    emit((i for i in judged if jd[i] and jd[i] > reg), "judgment_date", "date_in_future")
    emit((i for i in judged if jd[i] and jd[i] < event[i]), "judgment_date", "event_after_registration")
    deadlines: dict[tuple[str, dt.date, bool], dt.date] = {}

    def deadline(i: int) -> dt.date:
        abroad = ref.offices.get(office_codes[i], ("", None))[0] == "consular"
        key = (act_type[i], event[i], abroad)
        if key not in deadlines:
            deadlines[key] = rules.legal_deadline(act_type[i], event[i], abroad=abroad)
        return deadlines[key]

    emit((i for i in declared if event[i] <= reg and reg > deadline(i)), "registration_basis", "judgment_required",
         lambda i: {"deadline": deadline(i).isoformat()})

    commune = cols["event_commune_code"]
    emit((i for i, c in enumerate(commune) if c and c not in ref.communes), "event_commune_code", "unknown_commune",
         lambda i: {"value": commune[i]})
    birth_office = cols["birth_office_code"]
    emit((i for i, c in enumerate(birth_office) if c and c not in ref.offices), "birth_office_code", "unknown_office",
         lambda i: {"value": birth_office[i]})
    found.sort(key=lambda e: (e[0], e[1]))
    return found


def _office_errors(ref: Reference, office_codes: Sequence[str], on: dt.date, locs: Sequence[Loc]) -> list[tuple[int, FieldError]]:
    """``check_office`` over a column (evaluated once per distinct office); errors at ``loc + ("office_code",)``."""
    found: list[tuple[int, FieldError]] = []
    for code in set(office_codes):
        if check_office(ref, code, on, ()):
            found += [(i, e) for i, c in enumerate(office_codes) if c == code
                      for e in check_office(ref, c, on, (*locs[i], "office_code"))]
    return sorted(found, key=lambda e: e[0])


def check_birth_act(session: Session, act_id: int | None, loc: Loc) -> list[FieldError]:
    """A referenced birth act must exist, be a birth act and not be cancelled."""
    return [e for _, e in _birth_act_errors(session, [act_id], [loc])]


def _birth_act_errors(session: Session, act_ids: Sequence[int | None], locs: Sequence[Loc], field: tuple[str, ...] = ()
                      ) -> list[tuple[int, FieldError]]:
    """``check_birth_act`` over a column (one query per 500 distinct ids); errors at ``loc + field``."""
    wanted = sorted({a for a in act_ids if a is not None})
    if not wanted:
        return []
    rows: dict[int, tuple[str, str]] = {}
    for k in range(0, len(wanted), 500):
        chunk = wanted[k : k + 500]
        rows.update((r.act_id, (r.act_type, r.status)) for r in session.execute(
            select(Act.act_id, Act.act_type, Act.status).where(Act.act_id.in_(chunk))))
    found: list[tuple[int, FieldError]] = []
    for i, act_id in enumerate(act_ids):
        if act_id is None:
            continue
        row = rows.get(act_id)
        if row is None:
            found.append((i, FieldError((*locs[i], *field), "not_found", {"what": f"act {act_id}"})))
        elif row[0] != "birth":
            found.append((i, FieldError((*locs[i], *field), "act_type_mismatch", {"value": act_id})))
        elif row[1] == "cancelled":
            found.append((i, FieldError((*locs[i], *field), "act_cancelled", {"value": act_id})))
    return found


def act_errors(
    session: Session,
    cols: Mapping[str, Sequence[Any]],
    office_codes: Sequence[str],
    registration_date: dt.date,
    ref: Reference,
    locs: Sequence[Loc],
) -> list[FieldError]:
    """Everything checked before an act is registered, for one act or a batch: the act rules,
    the office (exists, live), the referenced birth act. Row by row, in that order."""
    found = [(i, 0, s, e) for i, s, e in _rule_errors(cols, office_codes, registration_date, ref, locs)]
    found += [(i, 1, 0, e) for i, e in _office_errors(ref, office_codes, registration_date, locs)]
    found += [(i, 2, 0, e) for i, e in _birth_act_errors(session, cols["birth_act_id"], locs, ("birth_act_id",))]
    found.sort(key=lambda e: e[:3])
    return [e[3] for e in found]
def check_marriage_ages(husband_age: int, wife_age: int, loc: tuple[str | int, ...] = ("body",)) -> list[FieldError]:
    floor = rules.plausible("marriage_age_min_authorised")
    return [
        FieldError((*loc, f), "marriage_age", {"value": v, "min": floor})
        for f, v in (("husband_age", husband_age), ("wife_age", wife_age))
        if v < floor
    ]


# ----------------------------------------------------------------------------- shape, in bulk
# Shape rules (types, enums, patterns, lengths, ranges, required fields, no extra field) are
# declared once, on the pydantic models in ``schemas.py``. For a batch, building 10,000 models
# costs more than the whole write, so the batch path reads the same declarations (through the
# model's JSON schema) and checks columns at C speed. The check is conservative: it accepts a
# value only in its canonical JSON form (a str for text and ISO dates, an int for integers) and
# only when the model would accept it unchanged. Any act it does not accept is handed to the
# model itself, which coerces it (e.g. ``34.0`` -> 34) or reports the errors - so every error a
# client sees, with its path and message, is pydantic's, exactly as on the single-act path.
_MISSING: Any = object()
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # enum | str | int | date
    required: bool
    default: Any
    nullable: bool
    enum: frozenset[str] = frozenset()
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    minimum: int | None = None
    maximum: int | None = None

    def ok(self, v: Any) -> bool:
        """True when the model accepts ``v`` as is (the per-value form of ``_column_ok``)."""
        if v is None:
            return self.nullable
        if self.kind == "int":
            return type(v) is int and (self.minimum is None or v >= self.minimum) and (self.maximum is None or v <= self.maximum)
        if type(v) is not str:
            return False
        if self.kind == "enum":
            return v in self.enum
        if self.kind == "date":
            return _parse_date(v) is not None
        return ((self.min_length is None or len(v) >= self.min_length) and (self.max_length is None or len(v) <= self.max_length)
                and (self.pattern is None or self.pattern.fullmatch(v) is not None))


def _parse_date(v: str) -> dt.date | None:
    if not _DATE.fullmatch(v):
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        return None


def _spec(name: str, prop: dict[str, Any], required: bool) -> FieldSpec:
    variants = prop.get("anyOf") or [prop]
    nullable = any(v.get("type") == "null" for v in variants)
    (v,) = [v for v in variants if v.get("type") != "null"]  # one non-null form per field
    known = {"type", "enum", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "examples", "title",
             "default", "anyOf", "description"}
    unknown = (set(v) | set(prop)) - known
    if unknown:  # a constraint this check does not implement: refuse to guess
        raise TypeError(f"{name}: unsupported schema keywords {sorted(unknown)}")
    if "enum" in v:
        kind = "enum"
    elif v.get("type") == "integer":
        kind = "int"
    elif v.get("type") == "string":
        kind = "date" if v.get("format") == "date" else "str"
        if v.get("format") not in (None, "date"):
            raise TypeError(f"{name}: unsupported format {v['format']}")
    else:
        raise TypeError(f"{name}: unsupported type {v.get('type')}")
    return FieldSpec(
        name, kind, required, prop.get("default"), nullable, frozenset(v.get("enum", ())), v.get("minLength"),
        v.get("maxLength"), re.compile(v["pattern"]) if "pattern" in v else None, v.get("minimum"), v.get("maximum"),
    )


@lru_cache
def field_specs(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """The model's shape rules, from its JSON schema (the one published in OpenAPI)."""
    schema = model.model_json_schema()
    if schema.get("additionalProperties") is not False:
        raise TypeError(f"{model.__name__} must forbid extra fields")
    required = set(schema.get("required", ()))
    return tuple(_spec(name, prop, name in required) for name, prop in schema["properties"].items())


def _column_ok(spec: FieldSpec, vals: list[Any]) -> bool:
    """All values acceptable as they are (``all(map(spec.ok, vals))``, dates aside), checked with
    C-level set, ``in`` and min/max passes over the column."""
    types = set(map(type, vals))
    allowed = {str} if spec.kind != "int" else {int}
    if spec.nullable:
        allowed.add(type(None))
    if not types <= allowed:
        return False
    if spec.kind == "date":
        return True  # parsed per distinct value by the caller
    if spec.kind == "str" and spec.pattern is None:  # free text (names): lengths only, no set
        if type(None) in types:
            if spec.min_length and "" in vals:  # filter(None) below drops "" along with None
                return False
            lengths = list(map(len, filter(None, vals)))
        else:
            lengths = list(map(len, vals))
        return not lengths or ((spec.min_length is None or min(lengths) >= spec.min_length)
                               and (spec.max_length is None or max(lengths) <= spec.max_length))
    distinct = set(vals)
    distinct.discard(None)
    if not distinct:
        return True
    if spec.kind == "enum":
        return distinct <= spec.enum
    if spec.kind == "int":
        return (spec.minimum is None or min(distinct) >= spec.minimum) and (spec.maximum is None or max(distinct) <= spec.maximum)
    return all(map(spec.ok, distinct))


class ShapeErrors(Exception):
    """Pydantic's errors for the acts that do not fit the model, paths rooted at the batch."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} shape errors")


def act_columns(items: Sequence[Any], model: type[BaseModel], loc: Loc) -> dict[str, list[Any]]:
    """Decoded JSON acts -> one list per model field (dates as ``datetime.date``, defaults
    filled), exactly what ``[model.model_validate(i).model_dump() for i in items]`` gives;
    raises ``ShapeErrors`` with pydantic's errors (each ``loc + (index, *field_path)``)."""
    specs = field_specs(model)
    names = frozenset(s.name for s in specs)
    slow: set[int] = set()
    rows: Sequence[Any] = items
    if set(map(type, items)) != {dict}:
        rows = [d if type(d) is dict else {} for d in items]
        slow.update(i for i, d in enumerate(items) if type(d) is not dict)
    if not set().union(*map(dict.keys, rows)) <= names:
        slow.update(i for i, d in enumerate(rows) if not d.keys() <= names)
    cols: dict[str, list[Any]] = {}
    for spec in specs:
        vals = list(map(dict.get, rows, itertools.repeat(spec.name), itertools.repeat(_MISSING)))
        if not spec.required and _MISSING in vals:  # identity first: no value equals the sentinel
            if vals.count(_MISSING) == len(vals):  # a field no act sends (common for optional ones)
                vals = [spec.default] * len(vals)
            else:
                vals = [spec.default if v is _MISSING else v for v in vals]
        if not _column_ok(spec, vals):
            slow.update(i for i, v in enumerate(vals) if not spec.ok(v))
        if spec.kind == "date":
            parsed = {v: _parse_date(v) for v in {v for v in vals if type(v) is str}}
            if None in parsed.values():
                slow.update(i for i, v in enumerate(vals) if type(v) is str and parsed[v] is None)
            vals = [parsed[v] if type(v) is str else v for v in vals]
        cols[spec.name] = vals
    if slow:
        adapter = _adapter(model)
        errors: list[dict[str, Any]] = []
        for i in sorted(slow):
            try:
                data = adapter.validate_python(items[i]).model_dump()
            except ValidationError as exc:
                errors += [{**e, "loc": (*loc, i, *e["loc"])} for e in exc.errors(include_url=False)]
                continue
            for name, col in cols.items():
                col[i] = data[name]
        if errors:
            raise ShapeErrors(errors)
    return cols


@lru_cache
def _adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(model)
