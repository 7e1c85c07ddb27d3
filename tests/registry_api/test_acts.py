from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from registry_api.models import Change

from .conftest import CASA_HAY_HASSANI, PARIS, RABAT_AGDAL, RABAT_HASSAN, birth, death, today


def test_registering_a_birth_numbers_it_and_logs_one_change(api) -> None:
    first = api.post_act(birth())
    second = api.post_act(birth(sex="F", given_name_lat="Salma", given_name_ar="سلمى"))
    assert (first["act_number"], second["act_number"]) == (1, 2)
    assert first["register_year"] == today().year and first["version"] == 1
    other = api.post_act(death())  # the death register is numbered on its own
    assert other["act_number"] == 1
    with api.registry.session(write=False) as s:
        rows = s.scalars(select(Change).where(Change.act_id == first["act_id"])).all()
    assert [(c.change_kind, c.entity_type, c.version) for c in rows] == [("create", "act", 1)]
    assert rows[0].after_image["given_name_lat"] == "Yassine"
    assert rows[0].actor.startswith("officer#")


def test_read_and_list_are_scoped_to_the_callers_office_or_province(api) -> None:
    mine = api.post_act(birth())
    api.post_act(birth(RABAT_AGDAL))
    api.post_act(birth(CASA_HAY_HASSANI))
    c = api.client
    assert c.get(f"/api/v1/acts/{mine['act_id']}", headers=api.officer()).status_code == 200
    assert c.get(f"/api/v1/acts/{mine['act_id']}", headers=api.officer(RABAT_AGDAL)).status_code == 404
    listed = c.get("/api/v1/acts", headers=api.officer()).json()
    assert listed["count"] == 1 and listed["data"][0]["act_id"] == mine["act_id"]
    assert c.get("/api/v1/acts", params={"office_code": RABAT_AGDAL}, headers=api.officer()).status_code == 403
    sup = api.auth("supervisor", province="04.421")
    assert c.get("/api/v1/acts", headers=sup).json()["count"] == 2
    assert c.get("/api/v1/acts", headers=api.admin()).json()["count"] == 3
    page = c.get("/api/v1/acts", params={"limit": 2, "offset": 2}, headers=api.admin()).json()
    assert page["count"] == 3 and len(page["data"]) == 1


def test_analysts_see_no_direct_identifiers(api) -> None:
    act = api.post_act(death())
    seen = api.client.get(f"/api/v1/acts/{act['act_id']}", headers=api.auth("analyst")).json()
    assert seen["given_name_lat"] is None and seen["national_id"] is None and seen["family_name_ar"] is None
    assert seen["sex"] == "M" and seen["age_years"] == act["age_years"]


def test_officers_write_only_for_their_own_office(api) -> None:
    r = api.client.post("/api/v1/acts", json=birth(RABAT_AGDAL), headers=api.officer(RABAT_HASSAN))
    assert r.status_code == 403
    assert r.json()["detail"][0]["loc"] == ["body", "office_code"]
    assert api.count("acts") == 0 and api.count("changes") == 0


def test_invalid_acts_get_field_paths_and_localised_messages_and_write_nothing(api) -> None:
    future = (today() + dt.timedelta(days=2)).isoformat()
    r = api.client.post("/api/v1/acts", json=birth(event_date=future, birth_date=future, mother_age=8),
                        headers={**api.officer(), "Accept-Language": "ar"})
    assert r.status_code == 422
    errors = {tuple(e["loc"]): e for e in r.json()["detail"]}
    assert errors[("body", "event_date")]["code"] == "event_in_future"
    assert errors[("body", "mother_age")]["code"] == "implausible_age"
    assert "تاريخ الواقعة" in errors[("body", "event_date")]["msg"]
    r = api.client.post("/api/v1/acts", json=birth(sex="X"), headers=api.officer())
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "sex"]
    assert "Valeur non admise" in r.json()["detail"][0]["msg"]
    r = api.client.post("/api/v1/acts", json=death(national_id="A123456", age_years=10, birth_date=None), headers=api.officer())
    assert [e["code"] for e in r.json()["detail"]] == ["national_id_minor"]
    r = api.client.post("/api/v1/acts", json=birth(declarant_relation="spouse"), headers=api.officer())
    assert r.json()["detail"][0]["code"] == "invalid_declarant"
    r = api.client.post("/api/v1/acts", content=b"{not json", headers={**api.officer(), "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "json_invalid"
    assert api.count("acts") == 0 and api.count("changes") == 0 and api.count("act_counters") == 0


def test_after_the_deadline_a_registration_needs_a_declaratory_judgment(api) -> None:
    old = (today() - dt.timedelta(days=200)).isoformat()
    r = api.client.post("/api/v1/acts", json=birth(event_date=old, birth_date=old), headers=api.officer())
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "registration_basis"]
    assert r.json()["detail"][0]["code"] == "judgment_required"
    r = api.client.post("/api/v1/acts", json=birth(event_date=old, birth_date=old, registration_basis="declaratory_judgment"),
                        headers=api.officer())
    assert {e["loc"][-1] for e in r.json()["detail"]} == {"court_name", "judgment_reference", "judgment_date"}
    act = api.post_act(birth(event_date=old, birth_date=old, registration_basis="declaratory_judgment",
                             court_name="TPI de Rabat", judgment_reference="2026/77", judgment_date=today().isoformat()))
    assert act["registration_basis"] == "declaratory_judgment"


def test_a_consulate_has_a_one_year_deadline(api) -> None:
    d = (today() - dt.timedelta(days=200)).isoformat()
    act = api.post_act(birth(PARIS, event_date=d, birth_date=d, event_place_kind="abroad", event_country_code="FR"))
    assert act["registration_basis"] == "declaration"


def test_an_office_not_yet_live_or_unknown_cannot_register(api) -> None:
    r = api.client.post("/api/v1/acts", json=birth("99.999.99.99"), headers=api.admin())
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "unknown_office"


def test_a_death_concerning_a_birth_act_elsewhere_notifies_that_office(api) -> None:
    born = api.post_act(birth(RABAT_AGDAL))
    dead = api.post_act(death(birth_act_id=born["act_id"], birth_office_code=RABAT_AGDAL, national_id=None, age_years=0,
                              birth_date=born["event_date"], marital_status=None))
    inbox = api.client.get("/api/v1/notifications", headers=api.officer(RABAT_AGDAL)).json()
    assert inbox["count"] == 1
    n = inbox["data"][0]
    assert (n["event_type"], n["source_act_id"], n["target_act_id"], n["status"]) == ("death", dead["act_id"], born["act_id"], "sent")
    assert api.client.get("/api/v1/notifications", headers=api.officer(RABAT_HASSAN)).json()["count"] == 0
