from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry_api.core.config import Settings
from registry_api.core.db import Registry
from registry_api.core.security import create_token
from registry_api.main import create_app
from registry_api.models import utcnow
from registry_api.services.acts import local_date

RABAT_HASSAN = "04.421.01.05"  # live since the 2018 pilot
RABAT_AGDAL = "04.421.01.01"  # same province (prefecture of Rabat)
CASA_HAY_HASSANI = "06.141.01.31"  # another region
PARIS = "CON-FR-PAR"  # consular office


def today() -> dt.date:
    return local_date(utcnow())


def birth(office: str = RABAT_HASSAN, **over: Any) -> dict[str, Any]:
    d = today() - dt.timedelta(days=3)
    body = {
        "act_type": "birth", "office_code": office, "event_date": d.isoformat(), "event_time": "08:45",
        "event_place_kind": "health_facility", "registration_basis": "declaration",
        "given_name_ar": "ياسين", "given_name_lat": "Yassine", "family_name_ar": "العلوي", "family_name_lat": "El Alaoui",
        "sex": "M", "birth_date": d.isoformat(), "nationality": "MA",
        "father_name_ar": "محمد العلوي", "father_name_lat": "Mohammed El Alaoui",
        "mother_name_ar": "فاطمة بناني", "mother_name_lat": "Fatima Bennani",
        "father_age": 34, "mother_age": 29, "father_nationality": "MA", "mother_nationality": "MA",
        "declarant_relation": "father",
    }
    body.update(over)
    return body


def death(office: str = RABAT_HASSAN, **over: Any) -> dict[str, Any]:
    d = today() - dt.timedelta(days=2)
    body = {
        "act_type": "death", "office_code": office, "event_date": d.isoformat(), "event_place_kind": "home",
        "given_name_ar": "أحمد", "given_name_lat": "Ahmed", "family_name_ar": "التازي", "family_name_lat": "Tazi",
        "sex": "M", "birth_date": "1950-03-01", "age_years": (d.year - 1950 - ((d.month, d.day) < (3, 1))),
        "national_id": "A123456", "marital_status": "married", "declarant_relation": "child",
    }
    body.update(over)
    return body


@dataclass
class Api:
    client: TestClient
    registry: Registry
    _tokens: dict[tuple[Any, ...], dict[str, str]] = field(default_factory=dict)

    def auth(self, role: str, *, office: str | None = None, province: str | None = None, sector: str | None = None) -> dict[str, str]:
        key = (role, office, province, sector)
        if key not in self._tokens:
            with self.registry.session() as s:
                token, _ = create_token(s, role, office_code=office, province_code=province, sector_code=sector)
            self._tokens[key] = {"Authorization": f"Bearer {token}"}
        return self._tokens[key]

    def officer(self, office: str = RABAT_HASSAN) -> dict[str, str]:
        return self.auth("officer", office=office)

    def admin(self) -> dict[str, str]:
        return self.auth("admin")

    def post_act(self, body: dict[str, Any], office: str | None = None) -> dict[str, Any]:
        r = self.client.post("/api/v1/acts", json=body, headers=self.officer(office or body["office_code"]))
        assert r.status_code == 201, r.text
        return r.json()

    def count(self, table: str) -> int:
        from sqlalchemy import text

        with self.registry.session(write=False) as s:
            return int(s.execute(text(f"select count(*) from {table}")).scalar_one())


def make_api(registry_url: str, data_dir: Path) -> Iterator[Api]:
    app = create_app(Settings(REGISTRY_URL=registry_url, DATA_DIR=data_dir), migrate=False)
    with TestClient(app) as client:
        yield Api(client, app.state.registry)
    app.state.registry.dispose()


@pytest.fixture
def api(registry_url: str, tmp_path: Path) -> Iterator[Api]:
    """The real app on a fresh registry, SQLite and PostgreSQL."""
    yield from make_api(registry_url, tmp_path)


@pytest.fixture
def pg_api(pg_registry_url: str, tmp_path: Path) -> Iterator[Api]:
    yield from make_api(pg_registry_url, tmp_path)


@dataclass
class LiveServer:
    url: str
    api: Api


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any, timeout: float = 20) -> Iterator[str]:
    """``app`` served by a real uvicorn on a free loopback port, in a thread; yields its base URL."""
    import threading
    import time

    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live(api: Api) -> Iterator[LiveServer]:
    """The same app served by a real uvicorn on a loopback port (for concurrent clients)."""
    with serve(api.client.app) as url:
        yield LiveServer(url, api)
