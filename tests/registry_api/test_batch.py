from __future__ import annotations

import datetime as dt

from .conftest import CASA_HAY_HASSANI, RABAT_AGDAL, RABAT_HASSAN, birth, death, today


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


# --------------------------------------------------------------------------- same rules as the single path
def _rerooted(detail: list[dict], index: int) -> list[dict]:
    """A single-act error list as the batch reports it for act ``index``."""
    return [{**e, "loc": ["body", "acts", index, *e["loc"][1:]]} for e in detail]


def _compare_single_and_batch(api, variants: dict[str, dict], lang: str) -> None:  # type: ignore[no-untyped-def]
    """Each variant alone, then all in one batch: the batch accepts/refuses what the single
    endpoint does, with the same paths, codes and messages. (In one batch, as in one request,
    shape errors are reported first: rules run once every act has the right shape.)"""
    headers = {**api.admin(), "Accept-Language": lang}
    expected: list[dict] = []
    shape: list[dict] = []
    refused = 0
    for i, (name, body) in enumerate(variants.items()):
        single = api.client.post("/api/v1/acts", json=body, headers=headers)
        acts_before = api.count("acts")
        batch = api.client.post("/api/v1/acts/batch", json={"acts": [body]}, headers=headers)
        assert batch.status_code == single.status_code, (name, single.text, batch.text)
        if single.status_code == 201:
            assert api.count("acts") == acts_before + 1, name
            continue
        refused += 1
        assert api.count("acts") == acts_before, name
        assert batch.json()["detail"] == _rerooted(single.json()["detail"], 0), name
        expected += _rerooted(single.json()["detail"], i)
        if {e["code"] for e in single.json()["detail"]} <= SHAPE_CODES:
            shape += _rerooted(single.json()["detail"], i)
    assert refused >= len(variants) // 2
    before = api.count("acts"), api.count("changes")
    together = api.client.post("/api/v1/acts/batch", json={"acts": list(variants.values())}, headers=headers)
    assert together.status_code == 422
    assert together.json()["detail"] == (shape or expected)
    assert (api.count("acts"), api.count("changes")) == before


SHAPE_CODES = {"missing", "extra_forbidden", "literal_error", "string_pattern_mismatch", "string_too_short",
               "string_too_long", "json_invalid", "invalid_value"}


def _shape_variants() -> dict[str, dict]:
    def without(key: str) -> dict:
        body = birth()
        del body[key]
        return body

    return {
        "missing required": without("given_name_lat"),
        "missing defaulted": without("event_place_kind"),
        "null for a defaulted field": birth(event_place_kind=None),
        "null for a required field": birth(sex=None),
        "extra field": birth(eye_colour="brown"),
        "bad enum": birth(sex="X"),
        "bad pattern": birth(national_id="ab12"),
        "pattern with a trailing newline": birth(nationality="MA\n"),
        "too long": birth(given_name_lat="Y" * 81),
        "empty": birth(family_name_lat=""),
        "hour 24": birth(event_time="24:00"),
        "int as text": birth(mother_age="29"),
        "int as float": birth(mother_age=29.0),
        "fractional age": birth(mother_age=29.5),
        "bool as int": birth(father_age=True),
        "age out of range": birth(father_age=131),
        "id beyond 53 bits": birth(declaration_id=2**60),
        "id beyond 64 bits": birth(declaration_id=2**70),
        "impossible date": birth(event_date="2026-02-30"),
        "date with a time": birth(birth_date=f"{birth()['birth_date']}T00:00:00"),
        "date as a number": birth(event_date=20260101),
        "object for text": birth(given_name_ar={"x": 1}),
        "list for text": birth(office_code=["04.421.01.05"]),
        "bad office code": birth(office_code="ab"),
        "unicode digits": birth(event_time="٠٨:٤٥"),
    }


def test_the_batch_refuses_exactly_what_the_single_endpoint_refuses_shape(api) -> None:
    _compare_single_and_batch(api, _shape_variants(), "fr")


def test_the_batch_refuses_exactly_what_the_single_endpoint_refuses_rules(api) -> None:
    the_day = today()
    late = (the_day - dt.timedelta(days=90)).isoformat()
    death_act = api.post_act(death())
    cancelled = api.post_act(birth())
    r = api.client.post(f"/api/v1/acts/{cancelled['act_id']}/changes", json={"kind": "cancel", "version": 1, "reason": "Doublon"},
                        headers=api.officer())
    assert r.status_code == 200, r.text
    variants = {
        "event in the future": birth(event_date=(the_day + dt.timedelta(days=2)).isoformat(),
                                     birth_date=(the_day + dt.timedelta(days=2)).isoformat()),
        "birth date is not the event date": birth(birth_date=(the_day - dt.timedelta(days=9)).isoformat()),
        "fields not for a birth": birth(age_years=0, marital_status="single", national_id="AB12345"),
        "implausible parents": birth(mother_age=9, father_age=99),
        "declarant not for a birth": birth(declarant_relation="spouse"),
        "born after death": death(birth_date=(the_day - dt.timedelta(days=1)).isoformat(), age_years=None),
        "age does not match": death(age_years=30),
        "age implausible": death(birth_date="1890-01-01", age_years=136 - 0),
        "CNIE before 16": death(birth_date="2015-01-01", age_years=None),
        "late declaration": birth(event_date=late, birth_date=late),
        "judgment without references": birth(event_date=late, birth_date=late, registration_basis="declaratory_judgment"),
        "judgment dated before the event": birth(registration_basis="declaratory_judgment", court_name="TPI Rabat",
                                                 judgment_reference="J-1", judgment_date="2000-01-01"),
        "unknown commune": birth(event_commune_code="99.999.99.9"),
        "unknown birth office": death(birth_office_code="ZZ.000"),
        "unknown office": birth(office_code="ZZ.000.00.00"),
        "missing birth act": death(birth_act_id=10**12),
        "birth act is a death act": death(birth_act_id=death_act["act_id"]),
        "cancelled birth act": death(birth_act_id=cancelled["act_id"]),
        "several at once": death(birth_date="2015-01-01", age_years=3, event_commune_code="99.1", birth_act_id=death_act["act_id"]),
        "a valid act": birth(),
    }
    _compare_single_and_batch(api, variants, "ar")


def test_an_officer_batch_is_refused_per_act_like_the_single_endpoint(api) -> None:
    """Out-of-scope acts get out_of_scope alone (403 when that is all); others keep their errors."""
    officer = api.officer(RABAT_HASSAN)
    r = api.client.post("/api/v1/acts/batch", json={"acts": [birth(RABAT_AGDAL), birth(RABAT_AGDAL, mother_age=9)]}, headers=officer)
    assert r.status_code == 403
    assert [(e["loc"], e["code"]) for e in r.json()["detail"]] == [
        (["body", "acts", 0, "office_code"], "out_of_scope"), (["body", "acts", 1, "office_code"], "out_of_scope")]
    r = api.client.post("/api/v1/acts/batch", json={"acts": [birth(RABAT_AGDAL), birth(mother_age=9)]}, headers=officer)
    assert r.status_code == 422
    assert [(e["loc"], e["code"]) for e in r.json()["detail"]] == [
        (["body", "acts", 0, "office_code"], "out_of_scope"), (["body", "acts", 1, "mother_age"], "implausible_age")]
    assert api.count("acts") == 0


def test_malformed_batch_bodies_get_the_frameworks_errors(api) -> None:
    h = {**api.admin(), "content-type": "application/json"}
    cases = {
        b"": ("missing", ["body"]),
        b'{"acts": [': ("json_invalid", ["body", 10]),
        b'{"acts": []}': ("too_short", ["body", "acts"]),
        b'{"acts": {}}': ("invalid_value", ["body", "acts"]),
        b"[1, 2]": ("invalid_value", ["body"]),
        b'{"acts": [1]}': ("invalid_value", ["body", "acts", 0]),
    }
    for raw, (code, loc) in cases.items():
        r = api.client.post("/api/v1/acts/batch", content=raw, headers=h)
        assert r.status_code == 422, (raw, r.text)
        assert (r.json()["detail"][0]["code"], r.json()["detail"][0]["loc"]) == (code, loc), raw
    extra = api.client.post("/api/v1/acts/batch", json={"acts": [birth()], "note": 1}, headers=api.admin())
    assert extra.status_code == 422 and extra.json()["detail"][0]["loc"] == ["body", "note"]
    assert api.count("acts") == 0 and api.count("idempotency_keys") == 0


def test_a_batch_retry_with_the_same_key_replays_and_never_duplicates(api) -> None:
    import json

    acts = [birth(sex="MF"[i % 2]) for i in range(30)]
    h = {**api.admin(), "Idempotency-Key": "batch-1", "content-type": "application/json"}
    first = api.client.post("/api/v1/acts/batch", content=json.dumps({"acts": acts}), headers=h)
    assert first.status_code == 201
    # the same acts formatted differently are the same request
    again = api.client.post("/api/v1/acts/batch", content=json.dumps({"acts": acts}, indent=2, sort_keys=True), headers=h)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert api.count("acts") == 30 and api.count("changes") == 30
    other = api.client.post("/api/v1/acts/batch", json={"acts": acts[:29]}, headers=api.admin() | {"Idempotency-Key": "batch-1"})
    assert other.status_code == 422 and other.json()["detail"][0]["code"] == "idempotency_key_reused"
    assert api.count("acts") == 30


def test_concurrent_batches_and_single_acts_share_registers_without_gaps(live) -> None:
    """Batches lock their registers in one order: no deadlock, no duplicate, no hole."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    offices = [RABAT_HASSAN, RABAT_AGDAL, CASA_HAY_HASSANI]
    admin = live.api.admin()

    def post(k: int) -> list[tuple[str, str, int]]:
        with httpx.Client(base_url=live.url, timeout=120) as c:
            if k % 3 == 2:
                r = c.post("/api/v1/acts", json=birth(offices[k % 3]), headers=admin)
                assert r.status_code == 201, r.text
                a = r.json()
                return [(a["office_code"], a["act_type"], a["act_number"])]
            order = offices if k % 2 else offices[::-1]
            acts = [birth(order[i % 3]) if i % 4 else death(order[i % 3]) for i in range(300)]
            r = c.post("/api/v1/acts/batch", json={"acts": acts}, headers=admin)
            assert r.status_code == 201, r.text[:300]
            return [(a["office_code"], a["act_type"], a["act_number"]) for a in r.json()["acts"]]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [x for xs in pool.map(post, range(12)) for x in xs]
    for office in offices:
        for act_type in ("birth", "death"):
            numbers = sorted(n for o, t, n in results if (o, t) == (office, act_type))
            assert numbers == list(range(1, len(numbers) + 1)), (office, act_type)
    assert live.api.count("acts") == live.api.count("changes") == len(results) == 8 * 300 + 4


def test_the_column_check_agrees_with_the_model_on_random_acts() -> None:
    """``act_columns`` vs pydantic, act by act, on 1,000 random batches mixing valid, coercible and
    invalid values: same accepted values, same errors (no database needed)."""
    import random

    from pydantic import ValidationError

    from registry_api.schemas import ActCreate
    from registry_api.services.validation import ShapeErrors, act_columns, field_specs

    rnd = random.Random(20261125)
    base = birth()
    odd: list = [None, 0, 1, -1, 131, 2**53, 2**70, 1.0, 29.5, True, False, "", " ", "M", "MA", "MA\n", "ma", "29",
                 "2026-02-30", "2026-11-20", "2026-11-20T00:00:00", "20261120", "24:00", "08:45", "٠٨:٤٥", "X" * 81,
                 "X" * 161, "AB123456", "04.421.01.05", "birth", "death", "declaration", [], {}, ["MA"], {"a": 1}]
    names = [s.name for s in field_specs(ActCreate)]
    accepted = refused = 0
    for round_ in range(1000):
        items: list = []
        mutated = set(rnd.sample(range(20), rnd.choice((1, 1, 2, 5))))
        for j in range(20):
            item = dict(base)
            for name in rnd.sample(names, rnd.choice((1, 1, 2, 3)) if j in mutated else 0):
                roll = rnd.random()
                if roll < 0.15:
                    item.pop(name, None)
                else:
                    item[name] = rnd.choice(odd)
            if j in mutated and rnd.random() < 0.03:
                item["unexpected"] = 1
            items.append(item if j not in mutated or rnd.random() > 0.02 else "not an object")
        expected_errors: list = []
        expected_rows: list = []
        for i, item in enumerate(items):
            try:
                expected_rows.append(ActCreate.model_validate(item).model_dump())
            except ValidationError as exc:
                expected_errors += [{**e, "loc": ("body", "acts", i, *e["loc"])} for e in exc.errors(include_url=False)]
        try:
            cols = act_columns(items, ActCreate, ("body", "acts"))
        except ShapeErrors as exc:
            assert expected_errors, round_
            assert [(e["loc"], e["type"], e["msg"]) for e in exc.errors] == [(e["loc"], e["type"], e["msg"]) for e in expected_errors]
            refused += 1
            continue
        assert not expected_errors, (round_, expected_errors[:2])
        assert [{n: cols[n][i] for n in names} for i in range(len(items))] == expected_rows
        accepted += 1
    assert accepted > 60 and refused > 500, (accepted, refused)


def test_deaths_in_a_batch_are_noted_or_notified_like_single_deaths(api) -> None:
    """A death concerning a birth act held here adds the death note; held elsewhere, it notifies
    that office - in the batch's transaction, as on the single path."""
    here = api.post_act(birth())
    elsewhere = api.post_act(birth(RABAT_AGDAL))
    acts = [birth(), death(birth_act_id=here["act_id"]), death(birth_act_id=elsewhere["act_id"], birth_office_code=RABAT_AGDAL)]
    r = api.client.post("/api/v1/acts/batch", json={"acts": acts}, headers=api.admin())
    assert r.status_code == 201, r.text
    noted = api.client.get(f"/api/v1/acts/{here['act_id']}", headers=api.admin()).json()
    assert noted["version"] == 2 and [n["note_kind"] for n in noted["marginal_notes"]] == ["death"]
    inbox = api.client.get("/api/v1/notifications", headers=api.officer(RABAT_AGDAL)).json()
    assert [(n["event_type"], n["target_act_id"]) for n in inbox["data"]] == [("death", elsewhere["act_id"])]
    # 2 + 3 creates, the death note on the act held here, the notification sent elsewhere
    assert api.count("changes") == 2 + 3 + 1 + 1
