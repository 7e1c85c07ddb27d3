"""Checks shared by the simulator tests: the registry invariants every writer must keep."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import select, text

from registry_api import models
from registry_api.core.db import Registry
from registry_api.schemas import ActCreate
from registry_api.services import rules
from registry_api.services.acts import local_date
from registry_api.services.validation import check_office, reference, validate_act

ENTITIES = {
    "act": models.Act, "declaration": models.Declaration, "document_request": models.DocumentRequest,
    "notification": models.Notification, "family_event": models.FamilyEvent,
}
SERVER_FIELDS = {"act_id", "register_year", "act_number", "status", "version", "registered_at", "registration_date",
                 "cancel_reason", "created_at", "updated_at", "marginal_notes"}


def changes_by_entity(reg: Registry) -> dict[tuple[str, int], list[dict[str, Any]]]:
    out: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    with reg.session(write=False) as s:
        for c in s.scalars(select(models.Change).order_by(models.Change.change_id)):
            image = c.after_image if isinstance(c.after_image, dict) else json.loads(c.after_image)
            out[(c.entity_type, c.entity_id)].append({"version": c.version, "kind": c.change_kind, "image": image,
                                                      "changed_at": c.changed_at, "change_id": c.change_id})
    return out


def replay_mismatches(reg: Registry) -> list[str]:
    """Entities whose change rows do not replay to the stored row (versions 1..n, each image
    of its version, the last image equal to ``as_dict()``), and change rows of no entity."""
    log = changes_by_entity(reg)
    problems: list[str] = []
    seen = set()
    with reg.session(write=False) as s:
        for entity_type, model in ENTITIES.items():
            for row in s.scalars(select(model)):
                key = (entity_type, row.__mapper__.primary_key_from_instance(row)[0])
                seen.add(key)
                steps = log.get(key, [])
                versions = [c["version"] for c in steps]
                if versions != list(range(1, len(steps) + 1)):
                    problems.append(f"{key}: versions {versions}")
                elif any(c["image"].get("version", 1) != c["version"] for c in steps):
                    problems.append(f"{key}: image version differs")
                elif steps[-1]["image"] != row.as_dict():
                    current = row.as_dict()
                    diff = {k: (steps[-1]["image"].get(k), v) for k, v in current.items() if steps[-1]["image"].get(k) != v}
                    problems.append(f"{key}: last image differs {diff}")
    problems += [f"{k}: change rows without entity" for k in set(log) - seen]
    return problems


def act_payload(act: models.Act) -> dict[str, Any]:
    data = act.as_dict()
    return {k: v for k, v in data.items() if k in ActCreate.model_fields}


def invalid_acts(reg: Registry) -> list[str]:
    """Acts that the API would not accept as they stand (schema + domain rules at their date)."""
    out = []
    with reg.session(write=False) as s:
        ref = reference(s)
        for act in s.scalars(select(models.Act)):
            try:
                body = ActCreate.model_validate(act_payload(act))
            except Exception as exc:  # pydantic ValidationError
                out.append(f"act {act.act_id}: schema {exc}")
                continue
            errs = validate_act(body.model_dump(), act.office_code, act.registration_date, ref)
            errs += check_office(ref, act.office_code, act.registration_date, ("body", "office_code"))
            if errs:
                out.append(f"act {act.act_id}: {[(e.loc[-1], e.code) for e in errs]}")
            if local_date(act.registered_at) != act.registration_date:
                out.append(f"act {act.act_id}: registration_date is not the local date of registered_at")
            if not rules.is_working_day(act.registration_date):
                out.append(f"act {act.act_id}: registered on a closed day")
    return out


def counter_mismatches(reg: Registry) -> list[str]:
    """Registers whose numbers are not 1..n or whose counter is not n."""
    with reg.session(write=False) as s:
        numbers = s.execute(text(
            "select office_code, register_year, act_type, count(*), min(act_number), max(act_number) "
            "from acts group by office_code, register_year, act_type")).all()
        counters = {(o, y, t): n for o, y, t, n in s.execute(text(
            "select office_code, register_year, act_type, last_number from act_counters")).all()}
    out = []
    for office, year, act_type, count, lo, hi in numbers:
        if (lo, hi) != (1, count) or counters.get((office, year, act_type)) != hi:
            out.append(f"{office} {year} {act_type}: {count} acts numbered {lo}..{hi}, counter {counters.get((office, year, act_type))}")
    if len(counters) != len(numbers):
        out.append(f"{len(counters)} counters for {len(numbers)} registers")
    return out


def year_range(d: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)
