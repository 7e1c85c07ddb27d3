from __future__ import annotations

import datetime as dt

from .conftest import RABAT_AGDAL, RABAT_HASSAN, birth, death, today


def test_a_batch_of_10000_acts_is_captured_with_gapless_numbers(api) -> None:
    acts = [birth(RABAT_HASSAN if i % 2 else RABAT_AGDAL, sex="MF"[i % 2]) for i in range(9_990)] + [death() for _ in range(10)]
    r = api.client.post("/api/v1/acts/batch", json={"acts": acts}, headers=api.admin())
    assert r.status_code == 201, r.text[:500]
    body = r.json()
    assert body["count"] == 10_000
    for office in (RABAT_HASSAN, RABAT_AGDAL):
        nums = sorted(a["act_number"] for a in body["acts"] if a["office_code"] == office and a["act_type"] == "birth")
        assert nums == list(range(1, 4_996))
    assert api.count("acts") == 10_000 and api.count("changes") == 10_000
    # the API continues the numbering after a batch
    assert api.post_act(birth(RABAT_AGDAL))["act_number"] == 4_996


def test_one_bad_act_rejects_the_whole_batch_with_its_index(api) -> None:
    acts = [birth() for _ in range(50)]
    acts[37]["event_date"] = (today() + dt.timedelta(days=1)).isoformat()
    r = api.client.post("/api/v1/acts/batch", json={"acts": acts}, headers=api.admin())
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "acts", 37, "event_date"]
    assert api.count("acts") == 0 and api.count("changes") == 0 and api.count("act_counters") == 0


def test_an_officer_batch_must_stay_in_its_office(api) -> None:
    r = api.client.post("/api/v1/acts/batch", json={"acts": [birth(), birth(RABAT_AGDAL)]}, headers=api.officer())
    assert r.status_code == 403 and r.json()["detail"][0]["loc"] == ["body", "acts", 1, "office_code"]
    assert api.count("acts") == 0


def test_batch_change_rows_carry_the_same_after_image_as_the_single_path(api) -> None:
    from sqlalchemy import select

    from registry_api.models import Act, Change

    r = api.client.post("/api/v1/acts/batch", json={"acts": [birth(), death()]}, headers=api.admin())
    ids = [a["act_id"] for a in r.json()["acts"]]
    with api.registry.session(write=False) as s:
        for act_id in ids:
            image = s.scalars(select(Change.after_image).where(Change.act_id == act_id)).one()
            assert image == s.get(Act, act_id).as_dict()
            assert s.get(Act, act_id).registered_at.tzinfo is not None
