"""Live mode: real-time activity posted through the registry's HTTP API with its own tokens.

Officers register births and deaths at the counter (a few late ones by judgment), the portal
files preliminary declarations that officers later review and register (or reject), copies are
requested and issued, courts record marriages and divorces, offices receive and apply their
notifications, clerks correct recent acts, and an administrator runs the daily expiry. Records
are sampled by the same vectorized samplers as the bulk history (``simulator.events``) and
turned into request bodies by the same row builders (``simulator.rows``).

``run_live`` is what ``civstat simulate --live`` and the demo run (the demo in a thread, with a
``stop_event``). Logs carry routes and status codes only, never names or numbers of people.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import polars as pl

from registry_api.schemas import ActCreate, DeclarationCreate
from simulator import calibration as cal
from simulator import events as E
from simulator import rows as R
from simulator.timeline import LOCAL_TZ, Timeline, build, day_number

log = logging.getLogger("civstat.simulator.live")
API = "/api/v1"
# A tiny valid PDF, attached to portal declarations as the medical certificate.
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").decode()
ACTIONS = {  # relative frequency of each kind of step
    "birth_at_counter": 26, "death_at_counter": 9, "declaration": 18, "process_declaration": 16, "document": 14,
    "family_event": 5, "notifications": 7, "correction": 3, "late_birth": 2,
}


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


# ------------------------------------------------------------------------------ payloads
def _act_frame(ev: E.Cols, tl: Timeline, judgment: np.ndarray | None = None) -> pl.DataFrame:
    """A compact act frame for sampled events, as if registered today (server fields are dummies)."""
    n = len(ev)
    today = day_number(_today())
    judged = judgment if judgment is not None else np.zeros(n, dtype=bool)
    cols = {k: v for k, v in ev.items() if k not in ("src_birth", "elder")}
    return pl.DataFrame(cols).with_columns(
        act_id=pl.lit(1, dtype=pl.Int64), register_year=pl.lit(_today().year, dtype=pl.Int16), act_number=pl.lit(1, dtype=pl.Int32),
        status=pl.lit("active"), version=pl.lit(1, dtype=pl.Int32), judgment=pl.Series(judged),
        judgment_day=pl.Series(np.where(judged, tl.pwd(np.full(n, today - 3)), -1).astype(np.int32)),
        judgment_no=pl.Series(np.arange(n, dtype=np.int32) + 101), declaration_id=pl.lit(-1, dtype=pl.Int64),
        reg_ts=pl.lit(int(time.time()), dtype=pl.Int64), reg_day=pl.lit(today, dtype=pl.Int32),
        updated_ts=pl.lit(int(time.time()), dtype=pl.Int64), given_variant=pl.lit(False), family_variant=pl.lit(False),
        cancel_reason=pl.lit(None, dtype=pl.String), birth_act_id=pl.lit(-1, dtype=pl.Int64),
    )


def act_payloads(rng: np.random.Generator, tl: Timeline, act_type: str, offices: np.ndarray, *, late: bool = False) -> list[dict[str, Any]]:
    """Act bodies (``ActCreate`` without ``office_code``) for acts registered today at ``offices``:
    on time by default, or late (45-300 days) with the declaratory judgment the law then requires."""
    n = len(offices)
    today = day_number(_today())
    if late:
        delay = rng.integers(45, 300, n)
    else:
        delay = np.minimum(np.floor(E.lognormal_days(rng, n, 3.0 if act_type == "birth" else 1.5, 0.8)), 25).astype(int)
    live = cal.offices().live_since[offices]
    day = np.maximum(today - delay, live).astype(np.int32)
    ev = E.births(rng, tl, offices, day) if act_type == "birth" else E.adult_deaths(rng, tl, offices, day)
    rows = R.acts(_act_frame(ev, tl, np.full(n, late)), "json")
    fields = [f for f in ActCreate.model_fields if f in rows.columns and f != "office_code"]
    out = []
    for row in rows.select(fields).to_dicts():
        row = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}
        out.append({k: v for k, v in row.items() if v is not None})
    return out


# ------------------------------------------------------------------------------ tokens
def mint_tokens(registry_url: str, n_offices: int = 12, offices: list[str] | None = None) -> dict[str, Any]:
    """Officer tokens for the ``n_offices`` most populous live offices (or the given ones), plus
    an admin and a portal token: the token file ``--live`` reads."""
    from registry_api.core.db import Registry
    from registry_api.core.security import create_token

    offs = cal.offices()
    if offices is None:
        today = day_number(_today())
        order = np.argsort(-np.where((offs.live_since <= today) & (offs.kind != cal.KIND_CONSULAR), offs.pop2024, -1))
        offices = [offs.code[i] for i in order[:n_offices]]
    reg = Registry(registry_url)
    try:
        with reg.session() as s:
            admin, _ = create_token(s, "admin", label="simulator live")
            portal, _ = create_token(s, "portal", label="simulator live")
            officers = {code: create_token(s, "officer", office_code=code, label="simulator live")[0] for code in offices}
    finally:
        reg.dispose()
    return {"admin": admin, "portal": portal, "offices": officers}


# ------------------------------------------------------------------------------ the loop
@dataclass
class _State:
    declarations: collections.deque[dict[str, Any]] = field(default_factory=lambda: collections.deque(maxlen=5000))
    acts: collections.deque[tuple[int, str]] = field(default_factory=lambda: collections.deque(maxlen=5000))
    stats: collections.Counter[str] = field(default_factory=collections.Counter)
    last_expiry: float = 0.0


class LiveSimulator:
    """One client posting a stream of realistic steps; ``step()`` performs one of them."""

    def __init__(self, client: httpx.Client, tokens: dict[str, Any], seed: int = 1) -> None:
        self.client = client
        # officer tokens under "offices" (mint_tokens) or "officers" (the demo's token file)
        self.officers: dict[str, str] = dict(tokens.get("offices") or tokens.get("officers") or {})
        if not self.officers:
            raise ValueError("tokens need officer tokens under 'offices': {office_code: token}")
        self.tokens = tokens
        self.rng = np.random.default_rng([seed, 99])
        self.office_codes = list(self.officers)
        index = {c: i for i, c in enumerate(cal.offices().code)}
        self.office_index = np.array([index[c] for c in self.office_codes], dtype=np.int32)
        today = _today()
        self.tl = build(today - dt.timedelta(days=400), today + dt.timedelta(days=40))
        self.state = _State()
        kinds = list(ACTIONS)
        self.kinds = kinds
        self.weights = np.array([ACTIONS[k] for k in kinds], dtype=float) / sum(ACTIONS.values())

    # -- http
    def _post(self, path: str, body: dict[str, Any], token: str) -> httpx.Response | None:
        r = self.client.post(API + path, json=body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
        route = path.split("/")[1] if "/" in path else path
        if r.status_code >= 400:
            self.state.stats[f"http_{r.status_code}"] += 1
            log.warning("live step %s -> %s", route, r.status_code)
            return None
        return r

    def _officer(self, office: str) -> str:
        return self.officers[office]

    def _pick_office(self) -> tuple[str, np.ndarray]:
        i = int(self.rng.integers(0, len(self.office_codes)))
        return self.office_codes[i], self.office_index[i : i + 1]

    # -- steps
    def step(self) -> str:
        kind = self.kinds[int(E.choice(self.rng, 1, self.weights)[0])]
        done = getattr(self, f"_{kind}")()
        self.state.stats[kind if done else f"{kind}_skipped"] += 1
        if time.monotonic() - self.state.last_expiry > 60:
            self.state.last_expiry = time.monotonic()
            self._post("/declarations/expire-overdue", {}, self.tokens["admin"])
        return kind

    def _register(self, act_type: str, late: bool = False) -> bool:
        office, idx = self._pick_office()
        body = act_payloads(self.rng, self.tl, act_type, idx, late=late)[0]
        if act_type == "death" and self.rng.random() < 0.5:  # born in another office we serve: a notification
            body["birth_office_code"] = self.office_codes[int(self.rng.integers(0, len(self.office_codes)))]
        r = self._post("/acts", {**body, "office_code": office}, self._officer(office))
        if r is not None:
            self.state.acts.append((r.json()["act_id"], office))
        return r is not None

    def _birth_at_counter(self) -> bool:
        return self._register("birth")

    def _late_birth(self) -> bool:
        return self._register("birth", late=True)

    def _death_at_counter(self) -> bool:
        return self._register("death")

    def _declaration(self) -> bool:
        office, idx = self._pick_office()
        act_type = "birth" if self.rng.random() < 0.78 else "death"
        act = act_payloads(self.rng, self.tl, act_type, idx)[0]
        relation = "father" if act_type == "birth" else "child"
        name = act.get("father_name_lat") or f"{act['given_name_lat']} {act['family_name_lat']}"
        body = DeclarationCreate.model_validate({
            "event_type": act_type, "event_date": act["event_date"], "office_code": office, "channel": "portal",
            "event_place_kind": act["event_place_kind"], "declarant_name": name,
            "declarant_phone": f"+2126{int(self.rng.integers(0, 10**8)):08d}", "declarant_relation": relation,
            "locale": "ar" if self.rng.random() < 0.55 else "fr",
            "payload": {k: act[k] for k in ("given_name_ar", "given_name_lat", "family_name_ar", "family_name_lat", "sex")},
            "documents": [{"document_kind": "medical_certificate", "media_type": "application/pdf", "content_base64": PDF}],
        }).model_dump(mode="json")
        r = self._post("/declarations", body, self.tokens["portal"])
        if r is None:
            return False
        self.state.declarations.append({"id": r.json()["declaration_id"], "office": office, "version": 1, "act": act})
        return True

    def _process_declaration(self) -> bool:
        if not self.state.declarations:
            return False
        d = self.state.declarations.popleft()
        token = self._officer(d["office"])
        if d["version"] == 1 and self.rng.random() < 0.6:
            r = self._post(f"/declarations/{d['id']}/review", {"version": 1}, token)
            if r is None:
                return False
            d["version"] = r.json()["version"]
            self.state.declarations.append(d)  # registered on a later visit
            return True
        if self.rng.random() < 0.04:
            r = self._post(f"/declarations/{d['id']}/reject", {"version": d["version"], "reason": E.REJECTION_REASONS[1]}, token)
            return r is not None
        r = self._post(f"/declarations/{d['id']}/register", {"version": d["version"], "act": d["act"]}, token)
        if r is not None:
            self.state.acts.append((r.json()["act_id"], d["office"]))
        return r is not None

    def _document(self) -> bool:
        if not self.state.acts:
            return False
        act_id, office = self.state.acts[int(self.rng.integers(0, len(self.state.acts)))]
        kind = "extract" if self.rng.random() < 0.55 else "full_copy"
        channel = "portal" if self.rng.random() < 0.3 else "counter"
        token = self._officer(office)
        r = self._post("/document-requests", {"act_id": act_id, "document_kind": kind, "channel": channel}, token)
        if r is None:
            return False
        return self._post(f"/document-requests/{r.json()['request_id']}/issue", {"version": 1}, token) is not None

    def _family_event(self) -> bool:
        offs = cal.offices()
        office, idx = self._pick_office()
        province = offs.province_codes[int(offs.province[idx[0]])]
        marriage = self.rng.random() < 0.9
        wife = int(np.clip(18 + self.rng.gamma(2.2, 3.5), 18, 70))
        husband = int(np.clip(wife + self.rng.normal(7, 4.5), 18, 95))
        spouses = self.rng.choice(self.office_codes, 2)
        body = {
            "event_type": "marriage" if marriage else "divorce", "event_date": (_today() - dt.timedelta(days=int(self.rng.integers(1, 10)))).isoformat(),
            "divorce_kind": None if marriage else str(self.rng.choice(["mutual_consent", "tatliq", "talaq"])),
            "court_name": f"Section de la famille, TPI de {offs.province_names[int(offs.province[idx[0]])]}",
            "court_province_code": province, "contract_reference": f"{'MAR' if marriage else 'DIV'}-{_today().year}-L{uuid.uuid4().hex[:8].upper()}",
            "husband_age": husband, "wife_age": wife,
            "husband_birth_office_code": str(spouses[0]), "wife_birth_office_code": str(spouses[1]),
        }
        return self._post("/family-events", body, self.tokens["admin"]) is not None

    def _notifications(self) -> bool:
        office, _ = self._pick_office()
        token = self._officer(office)
        r = self.client.get(f"{API}/notifications", params={"office_code": office, "limit": 20},
                            headers={"Authorization": f"Bearer {token}"})
        if r.status_code != 200:
            self.state.stats[f"http_{r.status_code}"] += 1
            return False
        handled = False
        for n in r.json()["data"]:
            if n["status"] == "sent":
                handled |= self._post(f"/notifications/{n['notification_id']}/receive", {"version": n["version"]}, token) is not None
            elif n["status"] == "received":
                handled |= self._post(f"/notifications/{n['notification_id']}/apply", {"version": n["version"]}, token) is not None
        return handled

    def _correction(self) -> bool:
        if not self.state.acts:
            return False
        act_id, office = self.state.acts[int(self.rng.integers(0, len(self.state.acts)))]
        token = self._officer(office)
        r = self.client.get(f"{API}/acts/{act_id}", headers={"Authorization": f"Bearer {token}"})
        if r.status_code != 200 or r.json()["status"] != "active":
            return False
        act = r.json()
        from simulator.names import given

        names = given(act["sex"])
        lat = names.lat.to_list()
        variant = names.variant[lat.index(act["given_name_lat"])] if act["given_name_lat"] in lat else act["given_name_lat"] + "e"
        body = {"kind": "correct", "version": act["version"], "fields": {"given_name_lat": variant},
                "reason": "Orthographe du prénom rectifiée", "legal_basis": f"Jugement TPI n° {int(self.rng.integers(1, 9999))}/{_today().year}"}
        return self._post(f"/acts/{act_id}/changes", body, token) is not None


def run_live(
    base_url: str | None,
    tokens: dict[str, Any],
    rate: float,
    duration_s: float | None = None,
    seed: int = 1,
    stop_event: threading.Event | None = None,
    *,
    client: httpx.Client | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Post about ``rate`` steps per second (Poisson arrivals) until ``duration_s`` elapses or
    ``stop_event`` is set. Returns how many steps of each kind were done (and HTTP errors).

    ``tokens``: ``{"admin": ..., "portal": ..., "offices": {office_code: officer token}}``
    (``"officers"`` is accepted for ``"offices"``), e.g. from ``mint_tokens``."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    own = client is None
    http = client or httpx.Client(base_url=base_url or "", timeout=30.0)
    sim = LiveSimulator(http, tokens, seed)
    stop = stop_event or threading.Event()
    start = time.monotonic()
    next_at = start
    try:
        while not stop.is_set() and (duration_s is None or time.monotonic() - start < duration_s):
            now = time.monotonic()
            if now < next_at:
                stop.wait(next_at - now)
                continue
            kind = sim.step()
            if on_step:
                on_step(kind)
            next_at += float(sim.rng.exponential(1.0 / rate))
    except KeyboardInterrupt:  # Ctrl-C ends a session started "until stopped": report what was done
        pass
    finally:
        if own:
            http.close()
    return dict(sim.state.stats)


__all__ = ["run_live", "mint_tokens", "act_payloads", "LiveSimulator"]
