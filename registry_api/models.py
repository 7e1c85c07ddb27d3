"""Registry tables (SQLAlchemy 2.x typed ORM). The same schema runs on SQLite and PostgreSQL.

Every write to an act, a declaration, a document request, a notification or a family event
also appends exactly one row to ``changes`` in the same transaction (transactional outbox);
see ``registry_api.services.changes.record_change``. Nothing here is ever updated without it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timestamps are stored and returned as aware UTC datetimes on both back ends."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def jsonable(value: Any) -> Any:
    """A column value as it appears in a change-log after-image (UTC timestamps end in Z)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Base(DeclarativeBase):
    def as_dict(self) -> dict[str, Any]:
        """The row's columns as JSON-ready values: the after-image written to the change log."""
        return {c.key: jsonable(getattr(self, c.key)) for c in self.__mapper__.column_attrs}


# --------------------------------------------------------------------------- geography
class Region(Base):
    __tablename__ = "regions"
    region_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(80))
    name_ar: Mapped[str] = mapped_column(String(80))
    population_2014: Mapped[int] = mapped_column(BigInteger)
    population_2024: Mapped[int] = mapped_column(BigInteger)


class Province(Base):
    __tablename__ = "provinces"
    province_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.region_code"), index=True)
    # province | prefecture | prefecture_of_arrondissements (the 8 of Casablanca)
    province_kind: Mapped[str] = mapped_column(String(32))
    name_fr: Mapped[str] = mapped_column(String(80))
    name_ar: Mapped[str] = mapped_column(String(80))
    population_2014: Mapped[int | None] = mapped_column(BigInteger)
    population_2024: Mapped[int] = mapped_column(BigInteger)


class Commune(Base):
    __tablename__ = "communes"
    commune_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.province_code"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.region_code"), index=True)
    commune_kind: Mapped[str] = mapped_column(String(8))  # urban | rural
    name_fr: Mapped[str] = mapped_column(String(120))
    name_ar: Mapped[str] = mapped_column(String(120))
    population_2014: Mapped[int | None] = mapped_column(BigInteger)
    population_2024: Mapped[int] = mapped_column(BigInteger)


class Office(Base):
    """A civil-status office: one per commune, one per arrondissement, and consular offices."""

    __tablename__ = "offices"
    office_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    office_kind: Mapped[str] = mapped_column(String(16))  # communal | arrondissement | consular
    name_fr: Mapped[str] = mapped_column(String(160))
    name_ar: Mapped[str] = mapped_column(String(160))
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.commune_code"), index=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.province_code"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.region_code"), index=True)
    country_code: Mapped[str] = mapped_column(String(2), default="MA")
    population_2024: Mapped[int | None] = mapped_column(BigInteger)
    live_since: Mapped[dt.date | None] = mapped_column(Date)


class RegistrySetting(Base):
    """Facts about the registry itself that its readers need. ``synthetic_scale``: the registry
    holds simulated activity at that share of the national volume (the bulk simulator sets it;
    a real registry has no such row), so the warehouse scales the population it divides by and
    the dashboards say the data are synthetic."""

    __tablename__ = "registry_settings"
    setting: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


SYNTHETIC_SCALE = "synthetic_scale"


# --------------------------------------------------------------------------- acts
class ActCounter(Base):
    """Gapless act numbering: one row per (office, year, register), incremented under lock."""

    __tablename__ = "act_counters"
    office_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    register_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    act_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Act(Base):
    """A birth or death act in an office register (the only two kinds of register)."""

    __tablename__ = "acts"
    __table_args__ = (
        UniqueConstraint("office_code", "register_year", "act_type", "act_number", name="uq_act_number"),
        Index("ix_acts_office_registered", "office_code", "registered_at"),
        # partial: only acts completed from a portal declaration have one, and a batch of
        # digitised registers (none) then adds no index entries (migration 0004)
        Index("ix_acts_declaration_id", "declaration_id", postgresql_where=text("declaration_id IS NOT NULL"),
              sqlite_where=text("declaration_id IS NOT NULL")),
    )

    act_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    act_type: Mapped[str] = mapped_column(String(8))  # birth | death
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.office_code"))
    register_year: Mapped[int] = mapped_column(Integer)
    act_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | cancelled
    version: Mapped[int] = mapped_column(Integer, default=1)
    registration_basis: Mapped[str] = mapped_column(String(24), default="declaration")
    court_name: Mapped[str | None] = mapped_column(String(160))
    judgment_reference: Mapped[str | None] = mapped_column(String(64))
    judgment_date: Mapped[dt.date | None] = mapped_column(Date)
    declaration_id: Mapped[int | None] = mapped_column(BigInteger)
    # the event
    event_date: Mapped[dt.date] = mapped_column(Date)
    event_time: Mapped[str | None] = mapped_column(String(5))
    event_place_kind: Mapped[str] = mapped_column(String(24), default="health_facility")
    event_commune_code: Mapped[str | None] = mapped_column(String(16))
    event_country_code: Mapped[str] = mapped_column(String(2), default="MA")
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    registration_date: Mapped[dt.date] = mapped_column(Date)
    # the person the act is about
    given_name_ar: Mapped[str] = mapped_column(String(80))
    given_name_lat: Mapped[str] = mapped_column(String(80))
    given_name_tfng: Mapped[str | None] = mapped_column(String(80))
    family_name_ar: Mapped[str] = mapped_column(String(80))
    family_name_lat: Mapped[str] = mapped_column(String(80))
    family_name_tfng: Mapped[str | None] = mapped_column(String(80))
    sex: Mapped[str] = mapped_column(String(1))  # M | F
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    age_years: Mapped[int | None] = mapped_column(Integer)  # declared age at death
    nationality: Mapped[str] = mapped_column(String(2), default="MA")
    national_id: Mapped[str | None] = mapped_column(String(10))
    marital_status: Mapped[str | None] = mapped_column(String(12))
    birth_act_id: Mapped[int | None] = mapped_column(BigInteger)
    birth_office_code: Mapped[str | None] = mapped_column(String(16))
    plurality: Mapped[int] = mapped_column(Integer, default=1)
    # parents
    father_name_ar: Mapped[str | None] = mapped_column(String(160))
    father_name_lat: Mapped[str | None] = mapped_column(String(160))
    mother_name_ar: Mapped[str | None] = mapped_column(String(160))
    mother_name_lat: Mapped[str | None] = mapped_column(String(160))
    father_age: Mapped[int | None] = mapped_column(Integer)
    mother_age: Mapped[int | None] = mapped_column(Integer)
    father_nationality: Mapped[str | None] = mapped_column(String(2))
    mother_nationality: Mapped[str | None] = mapped_column(String(2))
    declarant_relation: Mapped[str] = mapped_column(String(24))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    marginal_notes: Mapped[list[MarginalNote]] = relationship(
        back_populates="act", order_by="MarginalNote.note_id", lazy="selectin"
    )

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["marginal_notes"] = [n.as_dict() for n in self.marginal_notes]
        return data


class MarginalNote(Base):
    """A mention in the margin of an act: marriage, divorce, death, rectification, ..."""

    __tablename__ = "marginal_notes"
    note_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("acts.act_id"), index=True)
    note_kind: Mapped[str] = mapped_column(String(16))
    note_text: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(String(160))
    family_event_id: Mapped[int | None] = mapped_column(BigInteger)
    notification_id: Mapped[int | None] = mapped_column(BigInteger)
    noted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    act: Mapped[Act] = relationship(back_populates="marginal_notes")


class FamilyEvent(Base):
    """A marriage or divorce concluded by a court's family section (not an act: it is noted
    in the margin of each spouse's birth act through notifications)."""

    __tablename__ = "family_events"
    family_event_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(8))  # marriage | divorce
    event_date: Mapped[dt.date] = mapped_column(Date)
    divorce_kind: Mapped[str | None] = mapped_column(String(16))
    court_name: Mapped[str] = mapped_column(String(160))
    court_province_code: Mapped[str] = mapped_column(ForeignKey("provinces.province_code"))
    contract_reference: Mapped[str] = mapped_column(String(64))
    husband_age: Mapped[int] = mapped_column(Integer)
    wife_age: Mapped[int] = mapped_column(Integer)
    husband_birth_act_id: Mapped[int | None] = mapped_column(BigInteger)
    wife_birth_act_id: Mapped[int | None] = mapped_column(BigInteger)
    husband_birth_office_code: Mapped[str | None] = mapped_column(String(16))
    wife_birth_office_code: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --------------------------------------------------------------------------- change log
class Change(Base):
    """Append-only change log (transactional outbox) and the pipelines' change feed.

    ``txid`` is the writing transaction's id on PostgreSQL (``pg_current_xact_id()``, set by a
    column default in the migration) and 0 on SQLite, where one writer at a time makes
    ``change_id`` order commit order. See docs/change_feed.md.
    """

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_feed", "txid", "change_id"),)

    change_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    txid: Mapped[int] = mapped_column(BigInteger, server_default="0", nullable=False)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    act_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    office_code: Mapped[str | None] = mapped_column(String(16))
    change_kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    # json, not jsonb, on PostgreSQL: written once, read back whole; jsonb's parse costs the write
    # path ~35% of the change row (migration 0002, docs/registry.md)
    after_image: Mapped[dict[str, Any]] = mapped_column(JSON())
    actor: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(String(160))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --------------------------------------------------------------------------- declarations
class Declaration(Base):
    """A citizen's (or institution's) preliminary declaration filed on the portal."""

    __tablename__ = "declarations"
    declaration_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tracking_number: Mapped[str] = mapped_column(String(16), unique=True)
    event_type: Mapped[str] = mapped_column(String(8))  # birth | death | marriage | divorce
    event_date: Mapped[dt.date] = mapped_column(Date)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.office_code"), index=True)
    channel: Mapped[str] = mapped_column(String(12), default="portal")  # portal | institution
    event_place_kind: Mapped[str] = mapped_column(String(24), default="health_facility")
    deadline_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(14), default="submitted")
    version: Mapped[int] = mapped_column(Integer, default=1)
    declarant_name: Mapped[str] = mapped_column(String(160))
    declarant_phone: Mapped[str | None] = mapped_column(String(24))
    declarant_email: Mapped[str | None] = mapped_column(String(160))
    declarant_relation: Mapped[str] = mapped_column(String(24))
    locale: Mapped[str] = mapped_column(String(2), default="fr")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    review_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    act_id: Mapped[int | None] = mapped_column(BigInteger)
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    documents: Mapped[list[DeclarationDocument]] = relationship(
        back_populates="declaration", order_by="DeclarationDocument.document_id", lazy="selectin"
    )


class DeclarationDocument(Base):
    __tablename__ = "declaration_documents"
    document_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.declaration_id"), index=True)
    document_kind: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    declaration: Mapped[Declaration] = relationship(back_populates="documents")


# --------------------------------------------------------------------------- documents, notifications
class DocumentRequest(Base):
    """A request for a full copy or an extract of an act, at the counter or on the portal."""

    __tablename__ = "document_requests"
    request_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("acts.act_id"), index=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.office_code"), index=True)
    document_kind: Mapped[str] = mapped_column(String(20))  # full_copy | extract
    channel: Mapped[str] = mapped_column(String(8))  # counter | portal
    status: Mapped[str] = mapped_column(String(10), default="requested")  # requested | issued | refused
    version: Mapped[int] = mapped_column(Integer, default=1)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Notification(Base):
    """الإعلام: an event that must be noted on a birth act held by another office."""

    __tablename__ = "notifications"
    notification_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(16))  # marriage | divorce | death | rectification
    source_kind: Mapped[str] = mapped_column(String(8))  # court | office
    from_office_code: Mapped[str | None] = mapped_column(String(16))
    from_court_name: Mapped[str | None] = mapped_column(String(160))
    to_office_code: Mapped[str] = mapped_column(ForeignKey("offices.office_code"), index=True)
    target_act_id: Mapped[int | None] = mapped_column(BigInteger)
    source_act_id: Mapped[int | None] = mapped_column(BigInteger)
    family_event_id: Mapped[int | None] = mapped_column(BigInteger)
    note_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="sent")  # sent | received | applied
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    marginal_note_id: Mapped[int | None] = mapped_column(BigInteger)


# --------------------------------------------------------------------------- security
class ApiToken(Base):
    __tablename__ = "api_tokens"
    token_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(12))  # officer | supervisor | analyst | sector | admin
    office_code: Mapped[str | None] = mapped_column(String(16))
    province_code: Mapped[str | None] = mapped_column(String(16))
    sector_code: Mapped[str | None] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class IdempotencyKey(Base):
    """(token, Idempotency-Key) -> the first response, stored in the same transaction as the effect."""

    __tablename__ = "idempotency_keys"
    token_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    idem_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DatasetDownload(Base):
    """Who downloaded which curated dataset file, and when."""

    __tablename__ = "dataset_downloads"
    download_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_id: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(12))
    sector_code: Mapped[str | None] = mapped_column(String(32))
    dataset_name: Mapped[str] = mapped_column(String(64))
    dataset_version: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str] = mapped_column(String(120))
    downloaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
