"""Concurrent writers against a real server: numbering, the change feed, idempotent retries."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from registry_api.core.security import Principal
from registry_api.models import Act, Change
from registry_api.schemas import ActCreate
from registry_api.services.acts import create_act
from registry_api.services.changes import Cursor, read_feed

from .conftest import RABAT_AGDAL, RABAT_HASSAN, birth


def test_concurrent_registrations_get_consecutive_numbers_without_duplicates(live) -> None:
    headers = {RABAT_HASSAN: live.api.officer(RABAT_HASSAN), RABAT_AGDAL: live.api.officer(RABAT_AGDAL)}

    def post(i: int) -> tuple[str, int]:
        office = RABAT_HASSAN if i % 3 else RABAT_AGDAL
        with httpx.Client(base_url=live.url, timeout=60) as c:
            r = c.post("/api/v1/acts", json=birth(office), headers=headers[office])
        assert r.status_code == 201, r.text
        return office, r.json()["act_number"]

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(post, range(60)))
    for office in (RABAT_HASSAN, RABAT_AGDAL):
        numbers = sorted(n for o, n in results if o == office)
        assert numbers == list(range(1, len(numbers) + 1))


def test_a_rolled_back_registration_gives_its_number_back(api) -> None:
    fields = ActCreate.model_validate(birth())
    admin = Principal(0, "admin")
    with pytest.raises(RuntimeError), api.registry.session() as s:
        create_act(s, fields, RABAT_HASSAN, admin)
        raise RuntimeError("crash before commit")
    assert api.post_act(birth())["act_number"] == 1


@pytest.mark.postgres
def test_feed_never_skips_a_change_that_commits_after_a_later_one(pg_api) -> None:
    """Writer A takes the lower id and stays open; B commits; the reader must still get A."""
    api = pg_api
    admin = Principal(0, "admin")
    feed = api.auth("admin")
    slow = api.registry.sessionmaker()
    slow.begin()
    a = create_act(slow, ActCreate.model_validate(birth()), RABAT_HASSAN, admin)
    slow.flush()
    b = api.post_act(birth(RABAT_AGDAL))  # commits while A is open
    assert b["act_id"] > a.act_id

    seen: list[int] = []
    page = api.client.get("/api/v1/changes", params={"after": "0"}, headers=feed).json()
    seen += [r["act_id"] for r in page["data"]]
    cursor = page["next_cursor"]
    assert b["act_id"] not in seen, "a change behind an open transaction was served: the reader could skip A"
    slow.commit()
    slow.close()
    deadline = time.monotonic() + 60  # other sessions on the cluster may hold the horizon a moment
    while len(seen) < 2 and time.monotonic() < deadline:
        page = api.client.get("/api/v1/changes", params={"after": cursor}, headers=feed).json()
        seen += [r["act_id"] for r in page["data"]]
        cursor = page["next_cursor"]
        time.sleep(0.05)
    assert seen == [a.act_id, b["act_id"]]


def test_feed_pages_cover_every_change_once_under_concurrent_writers(live) -> None:
    """Readers page through the feed while writers commit; at the end every change was seen once."""
    api = live.api
    feed = api.auth("admin")
    headers = api.officer(RABAT_HASSAN)
    seen: list[int] = []
    cursor = "0"

    def write(_: int) -> None:
        with httpx.Client(base_url=live.url, timeout=60) as c:
            assert c.post("/api/v1/acts", json=birth(), headers=headers).status_code == 201

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(write, i) for i in range(40)]
        with httpx.Client(base_url=live.url, timeout=60) as reader:
            while not all(f.done() for f in futures):
                page = reader.get("/api/v1/changes", params={"after": cursor, "limit": 7}, headers=feed).json()
                seen += [r["change_id"] for r in page["data"]]
                cursor = page["next_cursor"]
    deadline = time.monotonic() + 60
    with api.registry.session(write=False) as s:
        total = s.scalar(select(func.count()).select_from(Change))
    while len(seen) < total and time.monotonic() < deadline:
        page = api.client.get("/api/v1/changes", params={"after": cursor, "limit": 7}, headers=feed).json()
        seen += [r["change_id"] for r in page["data"]]
        cursor = page["next_cursor"]
    assert total == 40
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 40


def test_idempotent_retries_return_the_first_response_and_create_nothing_twice(api) -> None:
    h = {**api.officer(), "Idempotency-Key": "retry-1"}
    first = api.client.post("/api/v1/acts", json=birth(), headers=h)
    again = api.client.post("/api/v1/acts", json=birth(), headers=h)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert api.count("acts") == 1
    other = api.client.post("/api/v1/acts", json=birth(sex="F"), headers=h)
    assert other.status_code == 422 and other.json()["detail"][0]["code"] == "idempotency_key_reused"
    # keys are per token: another officer's identical key is independent
    h2 = {**api.officer(RABAT_AGDAL), "Idempotency-Key": "retry-1"}
    assert api.client.post("/api/v1/acts", json=birth(RABAT_AGDAL), headers=h2).status_code == 201
    assert api.count("acts") == 2


def test_concurrent_duplicates_with_one_key_create_one_act(live) -> None:
    h = {**live.api.officer(), "Idempotency-Key": "race-7"}

    def post(_: int) -> tuple[int, dict]:
        with httpx.Client(base_url=live.url, timeout=60) as c:
            r = c.post("/api/v1/acts", json=birth(), headers=h)
        return r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, range(8)))
    bodies = [b for code, b in results if code == 201]
    assert len(bodies) == 8 and all(b == bodies[0] for b in bodies)
    with live.api.registry.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Act)) == 1


def test_read_feed_cursor_round_trips() -> None:
    assert Cursor.parse(str(Cursor(12, 34))) == Cursor(12, 34)
    assert Cursor.parse(None) == Cursor.parse("0") == Cursor()
    for bad in ("x", "1", "1.", ".2", "-1.2"):
        with pytest.raises(ValueError):
            Cursor.parse(bad)
    assert read_feed  # the HTTP feed and the landing share this function
