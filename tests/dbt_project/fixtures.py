"""A small, fixed registry change log and the warehouse raw layer it lands in, for dbt tests.

Reusable by anyone who needs a warehouse with known contents (quality suites, dashboards,
datasets): build the raw layer with :func:`make_warehouse`, land :func:`fixed_change_log`
(or its :func:`landing_batches`) and run the dbt project with :meth:`Warehouse.dbt`.

The raw layer follows docs/contracts.md §2 (``raw.registry_changes`` + the four reference
snapshots) without needing ``pipelines/``; the reference rows come from
``registry_api.services.geography.geography()`` filtered to two regions (04 Rabat-Salé-Kénitra,
08 Drâa-Tafilalet) and one consulate, so builds stay small.

The story the change log tells (all timestamps UTC; offices A, B in region 04, C in 08, P a
consulate) is spelled out next to each event in :func:`fixed_change_log`; the expected
indicator values in tests/dbt_project/test_indicators.py are computed by hand from it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# CIVSTAT_TEST_DBT_PROJECT_DIR points the tests at another copy of the project (mutation checks).
DBT_PROJECT_DIR = Path(os.environ.get("CIVSTAT_TEST_DBT_PROJECT_DIR", REPO_ROOT / "dbt_project")).resolve()
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")

FIXTURE_REGIONS = ("04", "08")
FIXTURE_CONSULATES = ("CON-FR-PAR",)

# The offices of the story.
OFFICE_A = "04.421.01.07"  # Touarga (prefecture of Rabat), live since 2018-02-28
OFFICE_B = "04.501.01.07"  # Témara (Skhirate-Témara), live since 2019-04-01
OFFICE_C = "08.201.01.05"  # Errachidia, live since 2023-07-03
OFFICE_P = "CON-FR-PAR"  # consulate in Paris, live since 2022-03-07
PROVINCE_RABAT = "04.421"
PROVINCE_ERRACHIDIA = "08.201"

CHANGE_COLUMNS = (
    "change_id", "txid", "entity_type", "entity_id", "act_id", "office_code", "change_kind",
    "version", "after_image", "actor", "reason", "legal_basis", "changed_at",
)
REFERENCE_TABLES = {
    "registry_regions": ("region_code", "name_fr", "name_ar", "population_2014", "population_2024"),
    "registry_provinces": (
        "province_code", "region_code", "province_kind", "name_fr", "name_ar", "population_2014",
        "population_2024",
    ),
    "registry_communes": (
        "commune_code", "province_code", "region_code", "commune_kind", "name_fr", "name_ar",
        "population_2014", "population_2024",
    ),
    "registry_offices": (
        "office_code", "office_kind", "name_fr", "name_ar", "commune_code", "province_code",
        "region_code", "country_code", "population_2024", "live_since",
    ),
    "registry_settings": ("setting", "value"),
}
_REFERENCE_KEYS = {
    "registry_regions": "regions",
    "registry_provinces": "provinces",
    "registry_communes": "communes",
    "registry_offices": "offices",
}


# --------------------------------------------------------------------------- reference data
def reference_rows(
    regions: Sequence[str] = FIXTURE_REGIONS, consulates: Sequence[str] = FIXTURE_CONSULATES
) -> dict[str, list[dict[str, Any]]]:
    """The registry's reference tables (real geography), restricted to a few regions."""
    from registry_api.services.geography import geography

    geo = geography()
    out: dict[str, list[dict[str, Any]]] = {}
    for table, key in _REFERENCE_KEYS.items():
        rows = []
        for row in geo[key]:
            if row.get("region_code") in regions or (key == "offices" and row["office_code"] in consulates):
                rows.append({c: row.get(c) for c in REFERENCE_TABLES[table]})
        out[table] = rows
    out["registry_settings"] = []  # a real registry: no synthetic_scale
    return out


# --------------------------------------------------------------------------- the change log
def _ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class ChangeLogBuilder:
    """Keeps each entity's current row and appends one change (with the full after-image) per
    write, like ``registry_api.services.changes.record_change``."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    state: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    next_change_id: int = 10

    def _emit(
        self,
        entity_type: str,
        entity_id: int,
        kind: str,
        at: str,
        *,
        actor: str = "officer#1",
        reason: str | None = None,
        legal_basis: str | None = None,
        change_id: int | None = None,
    ) -> dict[str, Any]:
        image = json.loads(json.dumps(self.state[(entity_type, entity_id)]))
        if change_id is None:
            change_id = self.next_change_id
            self.next_change_id += 1
        # txid grows with time, like PostgreSQL transaction ids; change ids usually do too,
        # but a change may carry a low change_id (sequence taken early, committed late).
        txid = 100_000 + len(self.rows) + 1
        if entity_type == "act":
            act_id = image["act_id"]
        else:
            act_id = image.get("act_id") or image.get("target_act_id")
        office = image.get("office_code") or image.get("to_office_code") or image.get("husband_birth_office_code")
        row = {
            "change_id": change_id,
            "txid": txid,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "act_id": act_id,
            "office_code": office,
            "change_kind": kind,
            "version": image.get("version", 1),
            "after_image": image,
            "actor": actor,
            "reason": reason,
            "legal_basis": legal_basis,
            "changed_at": _ts(at),
        }
        self.rows.append(row)
        return row

    # acts -----------------------------------------------------------------------------
    def create_act(self, act_id: int, act_type: str, office: str, at: str, *, actor: str = "officer#1", **fields: Any) -> None:
        registered_at = fields.pop("registered_at", at)
        registration_date = fields.pop("registration_date", registered_at[:10])
        act = {
            "act_id": act_id, "act_type": act_type, "office_code": office,
            "register_year": int(registration_date[:4]), "act_number": act_id, "status": "active",
            "version": 1, "registration_basis": "declaration", "court_name": None,
            "judgment_reference": None, "judgment_date": None, "declaration_id": None,
            "event_date": None, "event_time": "10:30", "event_place_kind": "health_facility",
            "event_commune_code": office if not office.startswith("CON-") else None,
            "event_country_code": "MA", "registered_at": registered_at,
            "registration_date": registration_date, "given_name_ar": "اسم", "given_name_lat": "Prenom",
            "given_name_tfng": None, "family_name_ar": "عائلة", "family_name_lat": "Famille",
            "family_name_tfng": None, "sex": "M", "birth_date": None, "age_years": None,
            "nationality": "MA", "national_id": None, "marital_status": None, "birth_act_id": None,
            "birth_office_code": None, "plurality": 1, "father_name_ar": "أب", "father_name_lat": "Pere",
            "mother_name_ar": "أم", "mother_name_lat": "Mere", "father_age": None, "mother_age": None,
            "father_nationality": "MA", "mother_nationality": "MA", "declarant_relation": "father",
            "cancel_reason": None, "created_at": at, "updated_at": at, "marginal_notes": [],
        }
        if act_type == "death":
            act.update(father_name_ar=None, father_name_lat=None, mother_name_ar=None, mother_name_lat=None,
                       father_nationality=None, mother_nationality=None, declarant_relation="child")
        act.update(fields)
        self.state[("act", act_id)] = act
        self._emit("act", act_id, "create", at, actor=actor)

    def change_act(
        self, act_id: int, kind: str, at: str, *, legal_basis: str | None = None, reason: str | None = None,
        change_id: int | None = None, **updates: Any,
    ) -> None:
        act = self.state[("act", act_id)]
        act.update(updates)
        act["version"] += 1
        act["updated_at"] = at
        self._emit("act", act_id, kind, at, legal_basis=legal_basis, reason=reason, change_id=change_id)

    def note_act(self, act_id: int, at: str, *, note_id: int, note_kind: str, family_event_id: int | None = None,
                 notification_id: int | None = None, legal_basis: str | None = None) -> None:
        act = self.state[("act", act_id)]
        act["marginal_notes"].append({
            "note_id": note_id, "act_id": act_id, "note_kind": note_kind, "note_text": f"Mention {note_kind}",
            "legal_basis": legal_basis, "family_event_id": family_event_id,
            "notification_id": notification_id, "noted_at": at,
        })
        self.change_act(act_id, "marginal_note", at)

    # other entities --------------------------------------------------------------------
    def write(self, entity_type: str, entity_id: int, kind: str, at: str, **fields: Any) -> None:
        key = (entity_type, entity_id)
        if key in self.state:
            self.state[key].update(fields)
            self.state[key]["version"] += 1
        else:
            self.state[key] = {**fields, "version": 1}
        self._emit(entity_type, entity_id, kind, at)


def _declaration(builder: ChangeLogBuilder, declaration_id: int, office: str, event_type: str, event_date: str,
                 deadline_date: str, at: str) -> None:
    builder.write(
        "declaration", declaration_id, "submit", at,
        declaration_id=declaration_id, tracking_number=f"TRK{declaration_id:06d}", event_type=event_type,
        event_date=event_date, office_code=office, channel="portal", event_place_kind="health_facility",
        deadline_date=deadline_date, status="submitted", declarant_name="Déclarant", declarant_phone=None,
        declarant_email=None, declarant_relation="father", locale="fr", payload={}, submitted_at=at,
        review_started_at=None, decided_at=None, act_id=None, rejection_reason=None,
    )


def _notification(builder: ChangeLogBuilder, notification_id: int, at: str, **fields: Any) -> None:
    row = {
        "notification_id": notification_id, "event_type": None, "source_kind": None, "from_office_code": None,
        "from_court_name": None, "to_office_code": None, "target_act_id": None, "source_act_id": None,
        "family_event_id": None, "note_text": "Avis", "status": "sent", "created_at": at, "received_at": None,
        "applied_at": None, "marginal_note_id": None,
    }
    row.update(fields)
    builder.write("notification", notification_id, "send", at, **row)


def fixed_change_log() -> list[dict[str, Any]]:
    """The fixed change log, in landing (feed) order: (txid, change_id)."""
    b = ChangeLogBuilder()
    judgment = {"registration_basis": "declaratory_judgment", "court_name": "Tribunal de première instance"}

    # A legacy birth act (1994) digitised in bulk: office A, the husband of marriage 1.
    b.create_act(20, "birth", OFFICE_A, "2024-01-02T08:00:00Z", actor="simulator#0",
                 registered_at="1994-03-05T09:00:00Z", event_date="1994-03-01", sex="M",
                 mother_age=20, father_age=25)
    # Declaration 107 (office A) -> act 9 on 2024-01-15 (10 days).
    _declaration(b, 107, OFFICE_A, "birth", "2024-01-03", "2024-02-02", "2024-01-05T09:00:00Z")
    # Declaration 103 (office A): never registered, expires on 2024-02-06.
    _declaration(b, 103, OFFICE_A, "birth", "2024-01-06", "2024-02-05", "2024-01-08T09:00:00Z")
    # Act 8: a birth abroad (Paris consulate), 40 days after the event: on time (1-year deadline).
    b.create_act(8, "birth", OFFICE_P, "2024-01-10T10:00:00Z", event_date="2023-12-01", event_country_code="FR",
                 sex="M", mother_age=31, father_age=33)
    # Declaration 101 (office A) -> act 1 on 2024-01-15 (4 days).
    _declaration(b, 101, OFFICE_A, "birth", "2024-01-10", "2024-02-09", "2024-01-11T09:00:00Z")
    b.write("declaration", 101, "review", "2024-01-12T09:00:00Z", status="under_review",
            review_started_at="2024-01-12T09:00:00Z")
    # Act 6: birth at office C (region 08), on time.
    b.create_act(6, "birth", OFFICE_C, "2024-01-13T10:00:00Z", event_date="2024-01-12", sex="M",
                 mother_age=22, father_age=27, event_place_kind="home")
    # Act 1: birth at A, on time, boy.
    b.create_act(1, "birth", OFFICE_A, "2024-01-15T10:00:00Z", event_date="2024-01-10", sex="M",
                 mother_age=25, father_age=30, declaration_id=101)
    b.write("declaration", 101, "register", "2024-01-15T10:00:00Z", status="registered",
            decided_at="2024-01-15T10:00:00Z", act_id=1)
    # Act 9: birth at A, on time, girl.
    b.create_act(9, "birth", OFFICE_A, "2024-01-15T12:00:00Z", event_date="2024-01-03", sex="F",
                 mother_age=29, father_age=34, declaration_id=107)
    b.write("declaration", 107, "register", "2024-01-15T12:00:00Z", status="registered",
            decided_at="2024-01-15T12:00:00Z", act_id=9)
    # Marriage 1 (court of Rabat): husband born at A (act 20), wife born at C (act unknown).
    b.write("family_event", 1, "create", "2024-01-15T14:00:00Z", family_event_id=1, event_type="marriage",
            event_date="2024-01-15", divorce_kind=None, court_name="Section de la famille, TPI Rabat",
            court_province_code=PROVINCE_RABAT, contract_reference="M-2024-0001", husband_age=30, wife_age=25,
            husband_birth_act_id=20, wife_birth_act_id=None, husband_birth_office_code=OFFICE_A,
            wife_birth_office_code=OFFICE_C, recorded_at="2024-01-15T14:00:00Z")
    # Notifications of marriage 1: to A (applied after 24 h) and to C (never applied).
    _notification(b, 1, "2024-01-16T08:00:00Z", event_type="marriage", source_kind="court",
                  from_court_name="TPI Rabat", to_office_code=OFFICE_A, target_act_id=20, family_event_id=1)
    _notification(b, 2, "2024-01-16T08:00:00Z", event_type="marriage", source_kind="court",
                  from_court_name="TPI Rabat", to_office_code=OFFICE_C, family_event_id=1)
    b.write("notification", 1, "receive", "2024-01-16T20:00:00Z", status="received",
            received_at="2024-01-16T20:00:00Z")
    b.note_act(20, "2024-01-17T08:00:00Z", note_id=1, note_kind="marriage", family_event_id=1, notification_id=1)
    b.write("notification", 1, "apply", "2024-01-17T08:00:00Z", status="applied",
            applied_at="2024-01-17T08:00:00Z", marginal_note_id=1)
    b.write("notification", 2, "receive", "2024-01-18T08:00:00Z", status="received",
            received_at="2024-01-18T08:00:00Z")
    # Act 10: death of an infant (born 2023-08-01) at A.
    b.create_act(10, "death", OFFICE_A, "2024-01-19T10:00:00Z", event_date="2024-01-18", sex="M",
                 birth_date="2023-08-01", age_years=0)
    # Document request 1: full copy of act 1, issued in 2.5 hours.
    b.write("document_request", 1, "request", "2024-01-20T09:00:00Z", request_id=1, act_id=1, office_code=OFFICE_A,
            document_kind="full_copy", channel="counter", status="requested",
            requested_at="2024-01-20T09:00:00Z", issued_at=None)
    b.write("document_request", 1, "issue", "2024-01-20T11:30:00Z", status="issued", issued_at="2024-01-20T11:30:00Z")
    # Declaration 102 (office B) -> act 7 on 2024-02-05.
    _declaration(b, 102, OFFICE_B, "birth", "2024-01-04", "2024-02-05", "2024-01-20T10:00:00Z")
    # ---- landing batch 2 starts here (changes from 2024-01-21)
    # Declaration 106 (office A) -> act 2 on 2024-01-25 (3 days).
    _declaration(b, 106, OFFICE_A, "birth", "2024-01-20", "2024-02-19", "2024-01-22T09:00:00Z")
    # Act 2: birth at A registered as a boy; corrected to a girl by judgment on 2024-03-01.
    b.create_act(2, "birth", OFFICE_A, "2024-01-25T10:00:00Z", event_date="2024-01-20", sex="M",
                 mother_age=31, father_age=36, declaration_id=106)
    b.write("declaration", 106, "register", "2024-01-25T10:00:00Z", status="registered",
            decided_at="2024-01-25T10:00:00Z", act_id=2)
    # Act 12: death at C, first dated 2023-12-28 (corrected to 2024-01-25 on 2024-03-05).
    b.create_act(12, "death", OFFICE_C, "2024-01-26T10:00:00Z", event_date="2023-12-28", sex="M", age_years=45)
    # Act 4: birth of 2022 registered at B in 2024 by declaratory judgment: delayed (594 days).
    b.create_act(4, "birth", OFFICE_B, "2024-01-30T10:00:00Z", event_date="2022-06-15", sex="M",
                 mother_age=28, father_age=33, judgment_reference="JD-2023-77", judgment_date="2024-01-10", **judgment)
    # Declaration 104 (office B, a death): rejected the next day.
    _declaration(b, 104, OFFICE_B, "death", "2024-01-30", "2024-02-29", "2024-02-01T09:00:00Z")
    b.write("declaration", 104, "reject", "2024-02-02T09:00:00Z", status="rejected",
            decided_at="2024-02-02T09:00:00Z", rejection_reason="documents manquants")
    # Act 7: born 2024-01-04, registered on Monday 2024-02-05: day 32, but day 30 was a Saturday,
    # so the deadline moved to Monday: on time.
    b.create_act(7, "birth", OFFICE_B, "2024-02-05T10:00:00Z", event_date="2024-01-04", sex="F",
                 mother_age=40, father_age=45, declaration_id=102)
    b.write("declaration", 102, "register", "2024-02-05T10:00:00Z", status="registered",
            decided_at="2024-02-05T10:00:00Z", act_id=7)
    # Declaration 103 expires (decided_at left empty by the registry: dated by the change).
    b.write("declaration", 103, "expire", "2024-02-06T00:30:00Z", status="expired")
    # Act 11: death of a woman aged 70 at B; notification 3 to C (36 h end to end).
    b.create_act(11, "death", OFFICE_B, "2024-02-06T10:00:00Z", event_date="2024-02-05", sex="F", age_years=70,
                 national_id="AB123456")
    _notification(b, 3, "2024-02-06T10:00:00Z", event_type="death", source_kind="office",
                  from_office_code=OFFICE_B, to_office_code=OFFICE_C, source_act_id=11)
    b.write("notification", 3, "receive", "2024-02-07T09:00:00Z", status="received", received_at="2024-02-07T09:00:00Z")
    b.write("notification", 3, "apply", "2024-02-07T22:00:00Z", status="applied", applied_at="2024-02-07T22:00:00Z")
    # Declaration 105 (office A): still pending at the end.
    _declaration(b, 105, OFFICE_A, "birth", "2024-02-08", "2024-03-11", "2024-02-10T09:00:00Z")
    b.write("declaration", 105, "review", "2024-02-12T09:00:00Z", status="under_review",
            review_started_at="2024-02-12T09:00:00Z")
    # Act 5: birth at A, cancelled on 2024-02-20 (a duplicate): never counted.
    b.create_act(5, "birth", OFFICE_A, "2024-02-12T10:00:00Z", event_date="2024-02-10", sex="F",
                 mother_age=50, father_age=52)
    # ---- landing batch 3 starts here (changes from 2024-02-13)
    # Act 6: an administrative amendment (not a correction).
    b.change_act(6, "amend", "2024-02-15T10:00:00Z", event_place_kind="health_facility")
    # Divorce 1 (court of Errachidia).
    b.write("family_event", 2, "create", "2024-02-20T10:00:00Z", family_event_id=2, event_type="divorce",
            event_date="2024-02-20", divorce_kind="talaq", court_name="Section de la famille, TPI Errachidia",
            court_province_code=PROVINCE_ERRACHIDIA, contract_reference="D-2024-0001", husband_age=40, wife_age=35,
            husband_birth_act_id=None, wife_birth_act_id=None, husband_birth_office_code=None,
            wife_birth_office_code=None, recorded_at="2024-02-20T10:00:00Z")
    b.change_act(5, "cancel", "2024-02-20T11:00:00Z", status="cancelled", cancel_reason="duplicate",
                 reason="acte en double")
    # Act 2: sex corrected M -> F by judgment. Its change_id (5) is lower than every change
    # landed before it: a watermark on change_id alone would never pick it up.
    b.change_act(2, "correct", "2024-03-01T10:00:00Z", sex="F", change_id=5,
                 legal_basis="Jugement n° 123/2024 du TPI de Rabat", reason="rectification du sexe")
    # Document request 2: an extract of act 2, refused.
    b.write("document_request", 2, "request", "2024-03-02T09:00:00Z", request_id=2, act_id=2, office_code=OFFICE_A,
            document_kind="extract", channel="portal", status="requested",
            requested_at="2024-03-02T09:00:00Z", issued_at=None)
    b.write("document_request", 2, "refuse", "2024-03-02T10:00:00Z", status="refused")
    # Act 12: date of death corrected 2023-12-28 -> 2024-01-25 (moves to another month).
    b.change_act(12, "correct", "2024-03-05T10:00:00Z", event_date="2024-01-25",
                 legal_basis="Décision administrative n° 7/2024")
    # Act 3: birth of 2024-01-05 registered on 2024-03-20 by judgment: late (75 days).
    b.create_act(3, "birth", OFFICE_A, "2024-03-20T10:00:00Z", event_date="2024-01-05", sex="F",
                 mother_age=35, father_age=40, judgment_reference="JD-2024-12", judgment_date="2024-03-15", **judgment)
    return sorted(b.rows, key=lambda r: (r["txid"], r["change_id"]))


BATCH_STARTS = (_ts("2024-01-21T00:00:00Z"), _ts("2024-02-13T00:00:00Z"))


def landing_batches(changes: Sequence[dict[str, Any]] | None = None) -> list[list[dict[str, Any]]]:
    """The change log cut into three landing batches (feed order kept)."""
    rows = list(changes or fixed_change_log())
    batches: list[list[dict[str, Any]]] = [[], [], []]
    for row in rows:
        index = sum(row["changed_at"] >= start for start in BATCH_STARTS)
        batches[index].append(row)
    return batches


# --------------------------------------------------------------------------- warehouses
_CHANGES_DDL = """
create table raw.registry_changes (
    change_id bigint primary key,
    txid bigint not null,
    entity_type text not null,
    entity_id bigint not null,
    act_id bigint,
    office_code text,
    change_kind text not null,
    version integer not null,
    after_image {json} not null,
    actor text not null,
    reason text,
    legal_basis text,
    changed_at timestamptz not null,
    landed_at timestamptz not null,
    landing_run_id text not null,
    landing_seq bigint not null
)
"""
_REFERENCE_DDL = {
    "registry_regions": "region_code text primary key, name_fr text, name_ar text, population_2014 bigint, population_2024 bigint",
    "registry_provinces": "province_code text primary key, region_code text, province_kind text, name_fr text, name_ar text, population_2014 bigint, population_2024 bigint",
    "registry_communes": "commune_code text primary key, province_code text, region_code text, commune_kind text, name_fr text, name_ar text, population_2014 bigint, population_2024 bigint",
    "registry_offices": "office_code text primary key, office_kind text, name_fr text, name_ar text, commune_code text, province_code text, region_code text, country_code text, population_2024 bigint, live_since date",
    "registry_settings": "setting text primary key, value text",
}
_LANDING_STATE_DDL = "create table raw.landing_state (source text primary key, cursor text, landed_rows bigint, updated_at timestamptz)"


@dataclass
class DbtRun:
    args: list[str]
    returncode: int
    output: str
    seconds: float


@dataclass
class Warehouse:
    """A throw-away warehouse (DuckDB file or PostgreSQL database) with the raw layer."""

    kind: str  # duckdb | postgres
    location: str  # DuckDB file path, or PostgreSQL URL
    workdir: Path

    # connections ------------------------------------------------------------------------
    def _connect(self):  # type: ignore[no-untyped-def]
        if self.kind == "duckdb":
            import duckdb

            return duckdb.connect(self.location)
        import psycopg

        return psycopg.connect(self.location, autocommit=True)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        con = self._connect()
        try:
            con.execute(sql, params) if params is not None else con.execute(sql)
        finally:
            con.close()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Rows as dicts; models are addressed by bare name (search path = the models schema)."""
        con = self._connect()
        try:
            if self.kind == "postgres":
                con.execute(f"set search_path to {self.models_schema}, raw")
            cur = con.execute(sql, params) if params is not None else con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            con.close()

    @property
    def models_schema(self) -> str:
        return "main" if self.kind == "duckdb" else "analytics"

    @property
    def dbname(self) -> str:
        return self.location.rsplit("/", 1)[-1]

    # raw layer --------------------------------------------------------------------------
    def create_raw(self, reference: dict[str, list[dict[str, Any]]] | None = None) -> None:
        reference = reference if reference is not None else reference_rows()
        con = self._connect()
        try:
            con.execute("create schema if not exists raw")
            con.execute(_CHANGES_DDL.format(json="json" if self.kind == "duckdb" else "jsonb"))
            con.execute(_LANDING_STATE_DDL)
            for table, ddl in _REFERENCE_DDL.items():
                con.execute(f"create table raw.{table} ({ddl})")
                cols = REFERENCE_TABLES[table]
                marks = ", ".join(["?" if self.kind == "duckdb" else "%s"] * len(cols))
                sql = f"insert into raw.{table} ({', '.join(cols)}) values ({marks})"
                values = [tuple(row[c] for c in cols) for row in reference.get(table, [])]
                if not values:
                    continue
                if self.kind == "duckdb":
                    con.executemany(sql, values)
                else:
                    with con.cursor() as cur:
                        cur.executemany(sql, values)
        finally:
            con.close()

    def land(self, changes: Iterable[dict[str, Any]], run_id: str | None = None) -> int:
        """Append change rows to raw.registry_changes (as the landing would), one transaction."""
        run_id = run_id or uuid.uuid4().hex[:12]
        landed_at = dt.datetime.now(dt.UTC)
        con = self._connect()
        # landing_seq continues the landed log in landing order (as pipelines.lib.landing does)
        if self.kind == "duckdb":
            last_seq = con.execute("select coalesce(max(landing_seq), 0) from raw.registry_changes").fetchone()[0]
        else:
            with con.cursor() as cur:
                cur.execute("select coalesce(max(landing_seq), 0) from raw.registry_changes")
                last_seq = cur.fetchone()[0]
        rows = []
        for c in changes:
            rows.append(tuple(
                json.dumps(c[k], ensure_ascii=False) if k == "after_image" else c[k] for k in CHANGE_COLUMNS
            ) + (landed_at, run_id, last_seq + len(rows) + 1))
        cols = ", ".join(CHANGE_COLUMNS + ("landed_at", "landing_run_id", "landing_seq"))
        try:
            if self.kind == "duckdb":
                import pyarrow as pa

                names = list(CHANGE_COLUMNS) + ["landed_at", "landing_run_id", "landing_seq"]
                batch = pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in rows])  # noqa: F841
                select = ", ".join(f"cast({c} as json)" if c == "after_image" else c for c in names)
                con.execute("begin")
                if rows:
                    con.execute(f"insert into raw.registry_changes ({cols}) select {select} from batch")
                con.execute("commit")
            else:
                marks = ", ".join(["%s"] * (len(CHANGE_COLUMNS) + 3))
                with con.transaction(), con.cursor() as cur:
                    cur.executemany(f"insert into raw.registry_changes ({cols}) values ({marks})", rows)
        finally:
            con.close()
        return len(rows)

    # dbt --------------------------------------------------------------------------------
    def dbt_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DO_NOT_TRACK": "1",
            "CIVSTAT_DBT_TARGET": self.kind,
            "DBT_TARGET_PATH": str(self.workdir / "target"),
            "DBT_LOG_PATH": str(self.workdir / "logs"),
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
            # dbt runs in a time zone far from UTC (DuckDB reads TZ, libpq sends PGTZ): a model
            # that took the date of a timestamptz without normalising it to UTC would shift
            # the evening-UTC/after-midnight events of the fixed log to another day.
            "TZ": "America/New_York",
            "PGTZ": "America/New_York",
        })
        if self.kind == "duckdb":
            env["CIVSTAT_DBT_DUCKDB_PATH"] = self.location
        else:
            from urllib.parse import urlparse

            url = urlparse(self.location)
            env.update({
                "CIVSTAT_DBT_PG_HOST": url.hostname or "127.0.0.1",
                "CIVSTAT_DBT_PG_PORT": str(url.port or 5432),
                "CIVSTAT_DBT_PG_USER": url.username or "postgres",
                "CIVSTAT_DBT_PG_PASSWORD": url.password or "",
                "CIVSTAT_DBT_PG_DBNAME": url.path.lstrip("/"),
            })
        return env

    def dbt(self, *args: str, check: bool = True) -> DbtRun:
        """Run the dbt CLI (a subprocess, like dagster-dbt) against this warehouse."""
        import time

        cmd = [str(DBT_EXECUTABLE), *args, "--threads", "2"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=self.dbt_env(), capture_output=True, text=True,
                              timeout=900)
        run = DbtRun(list(args), proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - start)
        if check and proc.returncode != 0:
            tail = "\n".join(run.output.splitlines()[-80:])
            raise AssertionError(f"dbt {' '.join(args)} failed ({proc.returncode}):\n{tail}")
        return run

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.workdir / "target" / "manifest.json").read_text())


def make_warehouse(kind: str, workdir: Path, pg_url: str | None = None,
                   reference: dict[str, list[dict[str, Any]]] | None = None) -> Warehouse:
    """A fresh warehouse with the raw layer created (no changes landed yet)."""
    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "duckdb":
        wh = Warehouse("duckdb", str(workdir / "warehouse.duckdb"), workdir)
    else:
        if pg_url is None:
            raise ValueError("a PostgreSQL warehouse needs pg_url (an empty database)")
        wh = Warehouse("postgres", pg_url, workdir)
    wh.create_raw(reference)
    return wh
