from __future__ import annotations

from sqlalchemy import select

from registry_api.models import Act, Change

from .conftest import birth


def _change(api, act_id: int, **body):  # type: ignore[no-untyped-def]
    return api.client.post(f"/api/v1/acts/{act_id}/changes", json=body, headers=api.officer())


def test_every_change_kind_bumps_the_version_and_appends_one_row(api) -> None:
    act = api.post_act(birth())
    aid = act["act_id"]
    r = _change(api, aid, kind="amend", version=1, fields={"event_time": "09:10"}, reason="Heure mal saisie")
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["event_time"] == "09:10"
    r = _change(api, aid, kind="correct", version=2, fields={"sex": "F", "given_name_lat": "Yasmine", "given_name_ar": "ياسمين"},
                reason="Sexe rectifié", legal_basis="Jugement TPI Rabat n° 2026/1234")
    assert r.status_code == 200 and r.json()["sex"] == "F"
    r = _change(api, aid, kind="marginal_note", version=3, reason="Mention",
                note={"note_kind": "other", "note_text": "Livret de famille n° 42"})
    assert r.status_code == 200 and [n["note_kind"] for n in r.json()["marginal_notes"]] == ["other"]
    r = _change(api, aid, kind="cancel", version=4, reason="Acte établi en double", legal_basis="Ordonnance 2026/9")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert _change(api, aid, kind="amend", version=5, fields={"event_time": "10:00"}, reason="x" * 5).status_code == 409

    with api.registry.session(write=False) as s:
        rows = s.scalars(select(Change).where(Change.act_id == aid).order_by(Change.change_id)).all()
        current = s.get(Act, aid).as_dict()
    assert [(c.change_kind, c.version) for c in rows] == [("create", 1), ("amend", 2), ("correct", 3), ("marginal_note", 4), ("cancel", 5)]
    assert rows[2].legal_basis == "Jugement TPI Rabat n° 2026/1234"
    assert rows[0].after_image["sex"] == "M"  # history is never rewritten
    # replaying the log gives the act exactly as it is now
    assert {k: v for k, v in rows[-1].after_image.items()} == current


def test_a_stale_version_gets_409_and_loses_nothing(api) -> None:
    aid = api.post_act(birth())["act_id"]
    ok = _change(api, aid, kind="amend", version=1, fields={"event_time": "07:00"}, reason="Heure")
    stale = _change(api, aid, kind="amend", version=1, fields={"event_time": "23:00"}, reason="Heure")
    assert ok.status_code == 200 and stale.status_code == 409
    assert stale.json()["detail"][0]["code"] == "stale_version"
    got = api.client.get(f"/api/v1/acts/{aid}", headers=api.officer()).json()
    assert got["event_time"] == "07:00" and got["version"] == 2
    assert api.count("changes") == 2


def test_corrections_need_a_legal_basis_and_cannot_move_an_act(api) -> None:
    aid = api.post_act(birth())["act_id"]
    r = _change(api, aid, kind="correct", version=1, fields={"sex": "F"}, reason="Sexe")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "legal_basis"]
    r = _change(api, aid, kind="amend", version=1, fields={"act_number": 99, "office_code": "X"}, reason="Nope")
    assert r.status_code == 422 and {e["loc"][-1] for e in r.json()["detail"]} == {"act_number", "office_code"}
    r = _change(api, aid, kind="amend", version=1, fields={"mother_age": 3}, reason="Age")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "fields", "mother_age"]
    r = _change(api, aid, kind="amend", version=1, fields={"sex": "Q"}, reason="Sexe")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "fields", "sex"]
    assert api.count("changes") == 1


def test_changes_to_another_offices_act_are_refused(api) -> None:
    aid = api.post_act(birth())["act_id"]
    r = api.client.post(f"/api/v1/acts/{aid}/changes", json={"kind": "cancel", "version": 1, "reason": "Double"},
                        headers=api.officer("04.421.01.01"))
    assert r.status_code == 403
    assert api.client.post("/api/v1/acts/999999/changes", json={"kind": "cancel", "version": 1, "reason": "Double"},
                           headers=api.officer()).status_code == 404
