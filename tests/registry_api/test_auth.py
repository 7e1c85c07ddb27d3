"""The authorization matrix: every role against every kind of call."""

from __future__ import annotations

import pytest

from .conftest import RABAT_AGDAL, RABAT_HASSAN, birth

ROLES = ["officer", "other_officer", "supervisor", "other_supervisor", "analyst", "sector", "portal", "admin"]
# (method, path, body) -> roles allowed (2xx); everyone else gets 403 (or 404 where existence must not leak)
MATRIX = [
    ("GET", "/api/v1/acts", None, {"officer", "other_officer", "supervisor", "other_supervisor", "analyst", "admin"}),
    ("GET", "/api/v1/acts/{act_id}", None, {"officer", "supervisor", "analyst", "admin"}),
    ("POST", "/api/v1/acts", "birth", {"officer", "admin"}),
    ("GET", "/api/v1/changes", None, {"analyst", "admin"}),
    ("GET", "/api/v1/declarations", None, {"officer", "other_officer", "supervisor", "other_supervisor", "analyst", "admin"}),
    ("GET", "/api/v1/notifications", None, {"officer", "other_officer", "supervisor", "other_supervisor", "analyst", "admin"}),
    ("GET", "/api/v1/offices", None, set(ROLES)),
]


@pytest.fixture
def tokens(api):  # type: ignore[no-untyped-def]
    return {
        "officer": api.officer(RABAT_HASSAN), "other_officer": api.officer("06.141.01.31"),
        "supervisor": api.auth("supervisor", province="04.421"), "other_supervisor": api.auth("supervisor", province="06.141"),
        "analyst": api.auth("analyst"), "sector": api.auth("sector", sector="health"), "portal": api.auth("portal"),
        "admin": api.admin(),
    }


def test_no_token_or_a_bad_token_is_401_everywhere(api) -> None:
    for method, path, _body, _ok in MATRIX:
        path = path.format(act_id=1)
        assert api.client.request(method, path).status_code == 401
        r = api.client.request(method, path, headers={"Authorization": "Bearer cst_forged"})
        assert r.status_code == 401 and r.json()["detail"][0]["code"] == "not_authenticated"


def test_each_role_reaches_only_what_it_may(api, tokens) -> None:
    act = api.post_act(birth())
    for method, path, body, allowed in MATRIX:
        url = path.format(act_id=act["act_id"])
        for role in ROLES:
            payload = birth(RABAT_HASSAN) if body == "birth" else None
            r = api.client.request(method, url, json=payload, headers=tokens[role])
            if role in allowed:
                assert r.status_code < 300, (method, url, role, r.text)
            else:
                assert r.status_code in (403, 404), (method, url, role, r.status_code)


def test_supervisors_read_their_province_only(api, tokens) -> None:
    api.post_act(birth(RABAT_AGDAL))
    assert api.client.get("/api/v1/acts", headers=tokens["supervisor"]).json()["count"] == 1
    assert api.client.get("/api/v1/acts", headers=tokens["other_supervisor"]).json()["count"] == 0
    r = api.client.get("/api/v1/acts", params={"province_code": "04.421"}, headers=tokens["other_supervisor"])
    assert r.status_code == 403
    # supervisors read, never write
    assert api.client.post("/api/v1/acts", json=birth(RABAT_AGDAL), headers=tokens["supervisor"]).status_code == 403


def test_tokens_are_stored_hashed(api, tokens) -> None:
    from sqlalchemy import text

    with api.registry.session(write=False) as s:
        stored = [r[0] for r in s.execute(text("select token_hash from api_tokens"))]
    raw = tokens["admin"]["Authorization"].split()[1]
    assert raw not in stored and all(len(h) == 64 for h in stored)
