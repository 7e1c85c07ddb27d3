"""Request and response schemas (pydantic v2), layered Base -> Create -> Public.

Shape rules live here (types, enums, patterns, ranges); rules that need dates, the
registry or several fields at once live in ``services/validation.py`` so that the API, the
simulator and the tests check records the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ActType = Literal["birth", "death"]
EventType = Literal["birth", "death", "marriage", "divorce"]
Sex = Literal["M", "F"]
PlaceKind = Literal["home", "health_facility", "institution", "public_place", "abroad", "other"]
RegistrationBasis = Literal["declaration", "declaratory_judgment"]
DeclarantRelation = Literal[
    "father", "mother", "guardian", "brother", "sister", "nephew", "grandfather", "uncle", "aunt",
    "child", "spouse", "kafil", "relative", "institution", "local_authority", "prosecutor", "proxy",
]
MaritalStatus = Literal["single", "married", "divorced", "widowed"]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["MA"])]
Code = Annotated[str, Field(min_length=2, max_length=16, pattern=r"^[A-Z0-9.\-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=80)]
FullName = Annotated[str, Field(min_length=1, max_length=160)]
Age = Annotated[int, Field(ge=0, le=130)]
MAX_ID = 2**53 - 1  # ids beyond what JSON numbers and bigint columns carry are refused
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
NationalId = Annotated[str, Field(pattern=r"^[A-Z]{1,2}[0-9]{5,6}$", examples=["AB123456"])]

_BIRTH_EXAMPLE: dict[str, Any] = {
    "act_type": "birth",
    "office_code": "04.421.01.05",
    "event_date": "2026-11-20",
    "event_time": "08:45",
    "event_place_kind": "health_facility",
    "event_commune_code": "04.421.01.0",
    "registration_basis": "declaration",
    "given_name_ar": "ياسين",
    "given_name_lat": "Yassine",
    "family_name_ar": "العلوي",
    "family_name_lat": "El Alaoui",
    "sex": "M",
    "birth_date": "2026-11-20",
    "nationality": "MA",
    "father_name_ar": "محمد العلوي",
    "father_name_lat": "Mohammed El Alaoui",
    "mother_name_ar": "فاطمة الزهراء بناني",
    "mother_name_lat": "Fatima Zahra Bennani",
    "father_age": 34,
    "mother_age": 29,
    "father_nationality": "MA",
    "mother_nationality": "MA",
    "declarant_relation": "father",
}


class ActFields(BaseModel):
    """Everything an officer writes in an act (the server adds number, dates, version)."""

    model_config = ConfigDict(extra="forbid")

    act_type: ActType
    event_date: dt.date
    event_time: str | None = Field(None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    event_place_kind: PlaceKind = "health_facility"
    event_commune_code: Code | None = None
    event_country_code: Country = "MA"
    registration_basis: RegistrationBasis = "declaration"
    court_name: FullName | None = None
    judgment_reference: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    judgment_date: dt.date | None = None
    declaration_id: Id | None = None
    given_name_ar: Name
    given_name_lat: Name
    given_name_tfng: Name | None = None
    family_name_ar: Name
    family_name_lat: Name
    family_name_tfng: Name | None = None
    sex: Sex
    birth_date: dt.date | None = None
    age_years: Age | None = None
    nationality: Country = "MA"
    national_id: NationalId | None = None
    marital_status: MaritalStatus | None = None
    birth_act_id: Id | None = None
    birth_office_code: Code | None = None
    plurality: int = Field(1, ge=1, le=8)
    father_name_ar: FullName | None = None
    father_name_lat: FullName | None = None
    mother_name_ar: FullName | None = None
    mother_name_lat: FullName | None = None
    father_age: Age | None = None
    mother_age: Age | None = None
    father_nationality: Country | None = None
    mother_nationality: Country | None = None
    declarant_relation: DeclarantRelation


class ActCreate(ActFields):
    office_code: Code

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_BIRTH_EXAMPLE]})


class ActRegistration(ActFields):
    """An act registered from a declaration: the office is the declaration's."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{k: v for k, v in _BIRTH_EXAMPLE.items() if k != "office_code"}]},
    )


class MarginalNotePublic(BaseModel):
    note_id: int
    note_kind: str
    note_text: str | None
    legal_basis: str | None
    family_event_id: int | None
    notification_id: int | None
    noted_at: dt.datetime


class ActPublic(BaseModel):
    """An act as read back. Direct identifiers are null for roles that may not see them."""

    act_id: int
    act_type: ActType
    office_code: str
    register_year: int
    act_number: int
    status: Literal["active", "cancelled"]
    version: int
    registration_basis: RegistrationBasis
    court_name: str | None
    judgment_reference: str | None
    judgment_date: dt.date | None
    declaration_id: int | None
    event_date: dt.date
    event_time: str | None
    event_place_kind: str
    event_commune_code: str | None
    event_country_code: str
    registered_at: dt.datetime
    registration_date: dt.date
    given_name_ar: str | None
    given_name_lat: str | None
    given_name_tfng: str | None
    family_name_ar: str | None
    family_name_lat: str | None
    family_name_tfng: str | None
    sex: Sex
    birth_date: dt.date | None
    age_years: int | None
    nationality: str
    national_id: str | None
    marital_status: str | None
    birth_act_id: int | None
    birth_office_code: str | None
    plurality: int
    father_name_ar: str | None
    father_name_lat: str | None
    mother_name_ar: str | None
    mother_name_lat: str | None
    father_age: int | None
    mother_age: int | None
    father_nationality: str | None
    mother_nationality: str | None
    declarant_relation: str
    cancel_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    marginal_notes: list[MarginalNotePublic]


class Page(BaseModel):
    count: int = Field(description="Rows matching the filters (all pages)")
    limit: int
    offset: int


class ActsPublic(Page):
    data: list[ActPublic]


class ActBatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"acts": [_BIRTH_EXAMPLE]}]})
    acts: list[ActCreate] = Field(min_length=1)


class ActRef(BaseModel):
    act_id: int
    office_code: str
    register_year: int
    act_type: ActType
    act_number: int


class ActBatchResult(BaseModel):
    count: int
    acts: list[ActRef]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note_kind: Literal["marriage", "divorce", "death", "rectification", "father_name", "other"]
    note_text: Annotated[str, Field(min_length=1, max_length=2000)]
    legal_basis: Annotated[str, Field(max_length=160)] | None = None


class ActChange(BaseModel):
    """A later change to an act. ``version`` is the version the client read (409 if stale)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "correct",
                    "version": 1,
                    "fields": {"given_name_lat": "Yassin"},
                    "reason": "Orthographe du prénom rectifiée",
                    "legal_basis": "Jugement TPI Rabat n° 2026/1234",
                },
                {
                    "kind": "marginal_note",
                    "version": 2,
                    "note": {"note_kind": "other", "note_text": "Mention du livret de famille n° 123"},
                    "reason": "Mention administrative",
                },
            ]
        },
    )
    kind: Literal["amend", "correct", "marginal_note", "cancel"]
    version: Version
    fields: dict[str, Any] | None = None
    note: NoteIn | None = None
    reason: Annotated[str, Field(min_length=3, max_length=2000)]
    legal_basis: Annotated[str, Field(min_length=3, max_length=160)] | None = None


class ChangePublic(BaseModel):
    change_id: int
    txid: int
    entity_type: str
    entity_id: int
    act_id: int | None
    office_code: str | None
    change_kind: str
    version: int
    after_image: dict[str, Any]
    actor: str
    reason: str | None
    legal_basis: str | None
    changed_at: dt.datetime


class ChangeFeed(BaseModel):
    data: list[ChangePublic]
    next_cursor: str = Field(description="Pass as `after` to get the next page; never skips a change")
    has_more: bool
    horizon: int | None = Field(description="PostgreSQL: oldest running transaction id; rows of later transactions wait")


# --------------------------------------------------------------------------- declarations
class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document_kind: Literal["medical_certificate", "marriage_act", "id_card", "family_book", "court_judgment", "death_certificate", "other"]
    media_type: Literal["application/pdf", "image/jpeg", "image/png"]
    content_base64: Annotated[str, Field(min_length=4, max_length=7_000_000)]


class DeclarationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_type": "birth",
                    "event_date": "2026-11-20",
                    "office_code": "04.421.01.05",
                    "channel": "portal",
                    "event_place_kind": "health_facility",
                    "declarant_name": "Mohammed El Alaoui",
                    "declarant_phone": "+212600000000",
                    "declarant_relation": "father",
                    "locale": "fr",
                    "payload": {"given_name_lat": "Yassine", "sex": "M"},
                    "documents": [{"document_kind": "medical_certificate", "media_type": "application/pdf", "content_base64": "JVBERi0xLjQK"}],
                }
            ]
        },
    )
    event_type: EventType
    event_date: dt.date
    office_code: Code
    channel: Literal["portal", "institution"] = "portal"
    event_place_kind: PlaceKind = "health_facility"
    declarant_name: FullName
    declarant_phone: Annotated[str, Field(pattern=r"^\+?[0-9 ]{6,20}$")] | None = None
    declarant_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=160)] | None = None
    declarant_relation: DeclarantRelation
    locale: Literal["ar", "fr"] = "fr"
    payload: dict[str, Any] = Field(default_factory=dict, description="The proposed act fields, checked at the office")
    documents: list[DocumentIn] = Field(default_factory=list, max_length=10)


class DocumentPublic(BaseModel):
    document_id: int
    document_kind: str
    media_type: str
    sha256: str
    size_bytes: int
    uploaded_at: dt.datetime


class DeclarationReceipt(BaseModel):
    declaration_id: int
    tracking_number: str
    tracking_number_display: str
    event_type: EventType
    status: str
    deadline_date: dt.date
    office_code: str


class DeclarationStatus(BaseModel):
    """What anyone holding the tracking number may learn: no personal data."""

    tracking_number: str
    event_type: EventType
    status: Literal["submitted", "under_review", "registered", "rejected", "expired"]
    office_code: str
    office_name_fr: str
    office_name_ar: str
    deadline_date: dt.date
    days_left: int
    submitted_at: dt.datetime
    decided_at: dt.datetime | None


class DeclarationPublic(BaseModel):
    declaration_id: int
    tracking_number: str
    event_type: EventType
    event_date: dt.date
    office_code: str
    channel: str
    event_place_kind: str
    deadline_date: dt.date
    status: str
    version: int
    declarant_name: str | None
    declarant_phone: str | None
    declarant_email: str | None
    declarant_relation: str
    locale: str
    payload: dict[str, Any] | None
    submitted_at: dt.datetime
    review_started_at: dt.datetime | None
    decided_at: dt.datetime | None
    act_id: int | None
    rejection_reason: str | None
    documents: list[DocumentPublic]


class DeclarationsPublic(Page):
    data: list[DeclarationPublic]


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 1}]})
    version: Version


class DeclarationRegister(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"version": 2, "act": {k: v for k, v in _BIRTH_EXAMPLE.items() if k != "office_code"}}]},
    )
    version: Version
    act: ActRegistration


class DeclarationReject(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"version": 2, "reason": "Certificat médical illisible"}]}
    )
    version: Version
    reason: Annotated[str, Field(min_length=3, max_length=2000)]


class ExpireResult(BaseModel):
    expired: int
    as_of: dt.date


class ExpireIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"as_of": "2026-11-25"}]})
    as_of: dt.date | None = None


# --------------------------------------------------------------------------- documents
class DocumentRequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"act_id": 1, "document_kind": "extract", "channel": "counter"}]}
    )
    act_id: Id
    document_kind: Literal["full_copy", "extract"]
    channel: Literal["counter", "portal"] = "counter"


class DocumentRequestPublic(BaseModel):
    request_id: int
    act_id: int
    office_code: str
    document_kind: str
    channel: str
    status: str
    version: int
    requested_at: dt.datetime
    issued_at: dt.datetime | None


class DocumentRequestsPublic(Page):
    data: list[DocumentRequestPublic]


# --------------------------------------------------------------------------- family events, notifications
class FamilyEventCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_type": "marriage",
                    "event_date": "2026-11-10",
                    "court_name": "Section de la famille, TPI de Rabat",
                    "court_province_code": "04.421",
                    "contract_reference": "MAR-2026-000123",
                    "husband_age": 31,
                    "wife_age": 26,
                    "husband_birth_office_code": "04.421.01.05",
                    "wife_birth_office_code": "06.141.01.31",
                }
            ]
        },
    )
    event_type: Literal["marriage", "divorce"]
    event_date: dt.date
    divorce_kind: Literal["talaq", "tatliq", "mutual_consent", "other"] | None = None
    court_name: FullName
    court_province_code: Code
    contract_reference: Annotated[str, Field(min_length=1, max_length=64)]
    husband_age: int = Field(ge=10, le=110)
    wife_age: int = Field(ge=10, le=110)
    husband_birth_act_id: Id | None = None
    wife_birth_act_id: Id | None = None
    husband_birth_office_code: Code | None = None
    wife_birth_office_code: Code | None = None


class NotificationPublic(BaseModel):
    notification_id: int
    event_type: str
    source_kind: str
    from_office_code: str | None
    from_court_name: str | None
    to_office_code: str
    target_act_id: int | None
    source_act_id: int | None
    family_event_id: int | None
    note_text: str | None
    status: str
    version: int
    created_at: dt.datetime
    received_at: dt.datetime | None
    applied_at: dt.datetime | None
    marginal_note_id: int | None


class NotificationsPublic(Page):
    data: list[NotificationPublic]


class FamilyEventPublic(BaseModel):
    family_event_id: int
    event_type: str
    event_date: dt.date
    divorce_kind: str | None
    court_name: str
    court_province_code: str
    contract_reference: str
    husband_age: int
    wife_age: int
    husband_birth_act_id: int | None
    wife_birth_act_id: int | None
    husband_birth_office_code: str | None
    wife_birth_office_code: str | None
    version: int
    recorded_at: dt.datetime
    notifications: list[NotificationPublic]


# --------------------------------------------------------------------------- geography
class OfficePublic(BaseModel):
    office_code: str
    office_kind: str
    name_fr: str
    name_ar: str
    commune_code: str | None
    province_code: str | None
    region_code: str | None
    country_code: str
    population_2024: int | None
    live_since: dt.date | None


class OfficesPublic(Page):
    data: list[OfficePublic]
