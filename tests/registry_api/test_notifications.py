from __future__ import annotations

import datetime as dt

from .conftest import CASA_HAY_HASSANI, RABAT_AGDAL, RABAT_HASSAN, birth, today


def test_a_marriage_is_noted_on_both_spouses_birth_acts_through_notifications(api) -> None:
    husband = api.post_act(birth(RABAT_HASSAN))
    wife = api.post_act(birth(CASA_HAY_HASSANI, sex="F", given_name_lat="Salma", given_name_ar="سلمى"))
    body = {
        "event_type": "marriage", "event_date": (today() - dt.timedelta(days=5)).isoformat(),
        "court_name": "Section de la famille, TPI de Rabat", "court_province_code": "04.421",
        "contract_reference": "MAR-1", "husband_age": 31, "wife_age": 26,
        "husband_birth_act_id": husband["act_id"], "wife_birth_act_id": wife["act_id"],
        "husband_birth_office_code": RABAT_HASSAN, "wife_birth_office_code": CASA_HAY_HASSANI,
    }
    assert api.client.post("/api/v1/family-events", json=body, headers=api.officer()).status_code == 403
    r = api.client.post("/api/v1/family-events", json=body, headers=api.admin())
    assert r.status_code == 201, r.text
    notes = {n["to_office_code"]: n for n in r.json()["notifications"]}
    assert set(notes) == {RABAT_HASSAN, CASA_HAY_HASSANI}

    casa = api.officer(CASA_HAY_HASSANI)
    n = notes[CASA_HAY_HASSANI]
    assert api.client.post(f"/api/v1/notifications/{n['notification_id']}/apply", json={"version": 1},
                           headers=api.officer()).status_code == 403
    r = api.client.post(f"/api/v1/notifications/{n['notification_id']}/receive", json={"version": 1}, headers=casa)
    assert r.json()["status"] == "received" and r.json()["received_at"]
    r = api.client.post(f"/api/v1/notifications/{n['notification_id']}/apply", json={"version": 2}, headers=casa)
    applied = r.json()
    assert applied["status"] == "applied" and applied["marginal_note_id"]
    assert applied["created_at"] <= applied["received_at"] <= applied["applied_at"]
    act = api.client.get(f"/api/v1/acts/{wife['act_id']}", headers=casa).json()
    assert act["version"] == 2 and act["marginal_notes"][0]["note_kind"] == "marriage"
    assert "MAR-1" in act["marginal_notes"][0]["note_text"]
    assert api.client.get("/api/v1/notifications", params={"status": "sent"}, headers=casa).json()["count"] == 0


def test_marriage_ages_below_the_legal_floor_are_refused(api) -> None:
    body = {
        "event_type": "marriage", "event_date": today().isoformat(), "court_name": "TPI", "court_province_code": "04.421",
        "contract_reference": "MAR-2", "husband_age": 30, "wife_age": 13,
    }
    r = api.client.post("/api/v1/family-events", json=body, headers=api.admin())
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "wife_age"]


def test_document_requests_are_served_by_the_office_holding_the_act(api) -> None:
    act = api.post_act(birth())
    r = api.client.post("/api/v1/document-requests", json={"act_id": act["act_id"], "document_kind": "extract"},
                        headers=api.officer(RABAT_AGDAL))
    assert r.status_code == 403
    r = api.client.post("/api/v1/document-requests", json={"act_id": act["act_id"], "document_kind": "extract", "channel": "portal"},
                        headers=api.officer())
    assert r.status_code == 201 and r.json()["status"] == "requested"
    rid = r.json()["request_id"]
    r = api.client.post(f"/api/v1/document-requests/{rid}/issue", json={"version": 1}, headers=api.officer())
    assert r.json()["status"] == "issued" and r.json()["issued_at"]
    assert api.client.post(f"/api/v1/document-requests/{rid}/issue", json={"version": 2}, headers=api.officer()).status_code == 409
    listed = api.client.get("/api/v1/document-requests", headers=api.officer()).json()
    assert listed["count"] == 1
    kinds = [c for c in api.client.get("/api/v1/changes", headers=api.admin()).json()["data"] if c["entity_type"] == "document_request"]
    assert [c["change_kind"] for c in kinds] == ["request", "issue"]


def test_offices_are_listed_with_filters(api) -> None:
    r = api.client.get("/api/v1/offices", params={"province_code": "04.421", "limit": 500}, headers=api.auth("analyst"))
    body = r.json()
    assert body["count"] == len(body["data"]) > 5
    assert all(o["province_code"] == "04.421" for o in body["data"])
    one = api.client.get(f"/api/v1/offices/{RABAT_HASSAN}", headers=api.auth("analyst")).json()
    assert one["live_since"] == "2018-02-28" and one["name_ar"]
    assert api.client.get("/api/v1/offices/nope", headers=api.auth("analyst")).status_code == 404
    assert api.client.get("/api/v1/offices", params={"office_kind": "consular"}, headers=api.auth("analyst")).json()["count"] >= 30
