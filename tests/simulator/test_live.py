"""Live mode posts through a real HTTP server; bulk and live records pass the API's validation."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select

from registry_api import models
from registry_api.core.config import Settings
from registry_api.core.db import Registry
from registry_api.main import create_app
from registry_api.schemas import ActCreate
from simulator import calibration as cal
from simulator.bulk import load_history
from simulator.live import act_payloads, mint_tokens, run_live
from simulator.timeline import build
from tests.registry_api.conftest import serve
from tests.simulator.helpers import counter_mismatches, invalid_acts, replay_mismatches


@pytest.fixture
def server(registry_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A registry with two years of bulk history, served by uvicorn on a free local port."""
    load_history(registry_url, years=1, scale=0.001, seed=3, progress=False)
    app = create_app(Settings(REGISTRY_URL=registry_url, DATA_DIR=tmp_path), migrate=False)
    with serve(app) as base_url:
        yield base_url, registry_url
    app.state.registry.dispose()


def test_live_mode_posts_realistic_steps_through_the_api(server: tuple[str, str]) -> None:
    base_url, url = server
    tokens = mint_tokens(url, n_offices=6)
    reg = Registry(url)
    with reg.session(write=False) as s:
        before = s.scalar(select(func.count()).select_from(models.Change))
    stats = run_live(base_url, tokens, rate=40, duration_s=8, seed=5)
    assert not [k for k in stats if k.startswith("http_")], stats
    assert stats.get("birth_at_counter", 0) > 10 and stats.get("declaration", 0) > 5
    with reg.session(write=False) as s:
        actors = set(s.scalars(select(models.Change.actor).where(models.Change.change_id > before)))
        decl = s.scalars(select(models.Declaration.status).where(models.Declaration.declaration_id > 0)).all()
    assert actors and "simulator#0" not in actors and all(a.split("#")[0] in ("officer", "portal", "admin") for a in actors)
    assert "registered" in decl
    # the history written in bulk and the activity posted live keep the same invariants
    assert replay_mismatches(reg) == []
    assert invalid_acts(reg) == []
    assert counter_mismatches(reg) == []
    reg.dispose()


def test_run_live_stops_when_asked(server: tuple[str, str]) -> None:
    base_url, url = server
    tokens = mint_tokens(url, n_offices=2)
    stop = threading.Event()
    done: dict[str, int] = {}
    thread = threading.Thread(target=lambda: done.update(run_live(base_url, tokens, rate=5, seed=1, stop_event=stop)))
    thread.start()
    time.sleep(1.5)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive() and sum(done.values()) >= 1


def test_live_act_bodies_pass_the_request_schema() -> None:
    today = dt.date.today()
    tl = build(today - dt.timedelta(days=400), today + dt.timedelta(days=5))
    rng = np.random.default_rng(9)
    offs = cal.offices()
    live = np.nonzero(offs.live_since <= (today - dt.date(1970, 1, 1)).days)[0][:50].astype(np.int32)
    for act_type in ("birth", "death"):
        for late in (False, True):
            for body in act_payloads(rng, tl, act_type, live, late=late):
                act = ActCreate.model_validate({**body, "office_code": "04.421.01.05"})
                assert (act.registration_basis == "declaratory_judgment") == late
    with pytest.raises(httpx.ConnectError):
        run_live("http://127.0.0.1:9", {"admin": "x", "portal": "x", "offices": {"04.421.01.05": "x"}}, rate=100, duration_s=0.5)


def test_api_numbering_continues_after_a_bulk_load(registry_url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    load_history(registry_url, years=1, scale=0.002, seed=4, progress=False)
    reg = Registry(registry_url)
    year = dt.date.today().year
    with reg.session(write=False) as s:
        office, last = s.execute(text(
            "select office_code, last_number from act_counters where act_type = 'birth' and register_year = :y "
            "order by last_number desc limit 1"), {"y": year}).one()
        first_change = s.scalar(select(models.Change.change_id).order_by(models.Change.change_id).limit(1))
    tokens = mint_tokens(registry_url, offices=[office])
    today = dt.date.today()
    tl = build(today - dt.timedelta(days=400), today + dt.timedelta(days=5))
    index = cal.offices().code.index(office)
    body = act_payloads(np.random.default_rng(1), tl, "birth", np.array([index], dtype=np.int32))[0]
    app = create_app(Settings(REGISTRY_URL=registry_url, DATA_DIR=tmp_path), migrate=False)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {tokens['offices'][office]}"}
        r = client.post("/api/v1/acts", json={**body, "office_code": office}, headers=headers)
        assert r.status_code == 201, r.text
        assert (r.json()["register_year"], r.json()["act_number"]) == (year, last + 1)
        feed = client.get("/api/v1/changes", params={"after": "0", "limit": 5}, headers={"Authorization": f"Bearer {tokens['admin']}"})
        assert feed.status_code == 200, feed.text
        assert feed.json()["data"][0]["change_id"] == first_change, feed.json()["data"][:1]
    app.state.registry.dispose()
    with reg.session(write=False) as s:
        assert s.scalar(text("select last_number from act_counters where office_code = :o and register_year = :y and act_type = 'birth'"),
                        {"o": office, "y": year}) == last + 1
    reg.dispose()


def test_live_accepts_the_demo_token_file_shape() -> None:
    from simulator.live import LiveSimulator

    with httpx.Client() as client:
        sim = LiveSimulator(client, {"admin": "a", "portal": "p", "officers": {"04.421.01.05": "o"}})
        assert sim._officer("04.421.01.05") == "o"
        with pytest.raises(ValueError):
            LiveSimulator(client, {"admin": "a", "portal": "p"})
