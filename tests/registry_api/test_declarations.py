from __future__ import annotations

import base64
import datetime as dt
import hashlib

from registry_api.services import rules, tracking

from .conftest import PARIS, RABAT_AGDAL, RABAT_HASSAN, birth, today


def _declaration(office: str = RABAT_HASSAN, **over):  # type: ignore[no-untyped-def]
    body = {
        "event_type": "birth", "event_date": (today() - dt.timedelta(days=2)).isoformat(), "office_code": office,
        "channel": "portal", "event_place_kind": "health_facility", "declarant_name": "Mohammed El Alaoui",
        "declarant_phone": "+212600000000", "declarant_relation": "father", "locale": "ar",
        "payload": {"given_name_lat": "Yassine"},
        "documents": [{"document_kind": "medical_certificate", "media_type": "application/pdf",
                       "content_base64": base64.b64encode(b"%PDF-1.4 certificate").decode()}],
    }
    body.update(over)
    return body


def _submit(api, **over):  # type: ignore[no-untyped-def]
    r = api.client.post("/api/v1/declarations", json=_declaration(**over), headers=api.auth("portal"))
    assert r.status_code == 201, r.text
    return r.json()


def test_submission_returns_a_checked_tracking_number_and_the_deadline(api, tmp_path) -> None:
    receipt = _submit(api)
    assert tracking.is_valid(receipt["tracking_number"]) and receipt["tracking_number"].startswith("N")
    event = today() - dt.timedelta(days=2)
    assert receipt["deadline_date"] == rules.legal_deadline("birth", event).isoformat()
    digest = hashlib.sha256(b"%PDF-1.4 certificate").hexdigest()
    assert (tmp_path / "documents" / digest[:2] / digest).read_bytes() == b"%PDF-1.4 certificate"
    full = api.client.get(f"/api/v1/declarations/{receipt['declaration_id']}", headers=api.officer()).json()
    assert full["documents"][0]["sha256"] == digest and full["documents"][0]["size_bytes"] == 20


def test_status_lookup_reveals_no_personal_data_and_accepts_typos_in_format(api) -> None:
    receipt = _submit(api)
    shown = tracking.format_display(receipt["tracking_number"]).lower()
    r = api.client.get(f"/api/v1/declarations/status/{shown}", headers=api.auth("portal"))
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "submitted" and body["office_name_ar"]
    assert "Mohammed" not in r.text and "+2126" not in r.text and "Yassine" not in r.text
    wrong = receipt["tracking_number"][:-1] + ("0" if receipt["tracking_number"][-1] != "0" else "1")
    assert api.client.get(f"/api/v1/declarations/status/{wrong}", headers=api.auth("portal")).status_code == 404


def test_review_then_register_links_the_act_in_one_transaction(api) -> None:
    receipt = _submit(api)
    did, officer = receipt["declaration_id"], api.officer()
    r = api.client.post(f"/api/v1/declarations/{did}/review", json={"version": 1}, headers=officer)
    assert r.status_code == 200 and r.json()["status"] == "under_review"
    act = {k: v for k, v in birth().items() if k != "office_code"}
    r = api.client.post(f"/api/v1/declarations/{did}/register", json={"version": 2, "act": act}, headers=officer)
    assert r.status_code == 201, r.text
    assert r.json()["declaration_id"] == did and r.json()["office_code"] == RABAT_HASSAN
    decl = api.client.get(f"/api/v1/declarations/{did}", headers=officer).json()
    assert decl["status"] == "registered" and decl["act_id"] == r.json()["act_id"]
    assert api.client.post(f"/api/v1/declarations/{did}/reject", json={"version": 3, "reason": "trop tard"},
                           headers=officer).status_code == 409


def test_only_the_declarations_office_can_act_on_it(api) -> None:
    did = _submit(api)["declaration_id"]
    assert api.client.post(f"/api/v1/declarations/{did}/review", json={"version": 1},
                           headers=api.officer(RABAT_AGDAL)).status_code == 403
    assert api.client.post("/api/v1/declarations", json=_declaration(), headers=api.officer()).status_code == 403


def test_rejection_records_the_reason(api) -> None:
    did = _submit(api)["declaration_id"]
    r = api.client.post(f"/api/v1/declarations/{did}/reject", json={"version": 1, "reason": "Certificat illisible"},
                        headers=api.officer())
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["rejection_reason"] == "Certificat illisible"


def test_pending_declarations_expire_after_the_legal_deadline(api) -> None:
    event = today() - dt.timedelta(days=25)
    receipt = _submit(api, event_date=event.isoformat())
    deadline = dt.date.fromisoformat(receipt["deadline_date"])
    admin = api.admin()
    r = api.client.post("/api/v1/declarations/expire-overdue", json={"as_of": deadline.isoformat()}, headers=admin)
    assert r.json()["expired"] == 0  # the deadline day itself is still on time
    after = (deadline + dt.timedelta(days=1)).isoformat()
    assert api.client.post("/api/v1/declarations/expire-overdue", json={"as_of": after}, headers=admin).json()["expired"] == 1
    got = api.client.get(f"/api/v1/declarations/{receipt['declaration_id']}", headers=api.officer()).json()
    assert got["status"] == "expired" and got["version"] == 2
    assert api.client.post("/api/v1/declarations/expire-overdue", json={}, headers=api.officer()).status_code == 403


def test_a_declaration_past_its_deadline_is_refused_and_deadlines_follow_the_rules(api) -> None:
    r = api.client.post("/api/v1/declarations", json=_declaration(event_date=(today() - dt.timedelta(days=60)).isoformat()),
                        headers=api.auth("portal"))
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "deadline_passed"
    consular = _submit(api, office=PARIS, event_date=(today() - dt.timedelta(days=60)).isoformat(), event_place_kind="abroad")
    assert dt.date.fromisoformat(consular["deadline_date"]) >= today() - dt.timedelta(days=60) + dt.timedelta(days=365)
    inst = _submit(api, event_type="death", channel="institution", event_place_kind="institution",
                   event_date=today().isoformat(), declarant_relation="institution")
    assert dt.date.fromisoformat(inst["deadline_date"]) == rules.legal_deadline("death", today(), institution_death=True)
    assert inst["tracking_number"].startswith("D")


def test_the_working_queue_lists_pending_declarations_by_deadline(api) -> None:
    late = _submit(api, event_date=(today() - dt.timedelta(days=20)).isoformat())
    early = _submit(api, event_date=(today() - dt.timedelta(days=1)).isoformat())
    q = api.client.get("/api/v1/declarations", params={"pending": True}, headers=api.officer()).json()
    assert [d["declaration_id"] for d in q["data"]] == [late["declaration_id"], early["declaration_id"]]
    analyst = api.client.get("/api/v1/declarations", headers=api.auth("analyst")).json()
    assert analyst["count"] == 2 and all(d["declarant_name"] is None and d["payload"] is None for d in analyst["data"])


def test_rules_deadline_moves_to_the_next_working_day() -> None:
    # 2025-10-07 + 30 days = 2025-11-06, the Green March holiday: the deadline is the 7th
    assert rules.legal_deadline("birth", dt.date(2025, 10, 7)) == dt.date(2025, 11, 7)
    # + 30 days = Saturday 2025-03-01 -> Monday 2025-03-03
    assert rules.legal_deadline("birth", dt.date(2025, 1, 30)) == dt.date(2025, 3, 3)
    assert rules.timeliness_class(dt.date(2025, 1, 1), dt.date(2025, 1, 31)) == "on_time"
    assert rules.timeliness_class(dt.date(2025, 1, 1), dt.date(2025, 6, 1)) == "late"
    assert rules.timeliness_class(dt.date(2023, 1, 1), dt.date(2025, 6, 1)) == "delayed"
