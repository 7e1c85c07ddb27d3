"""Register plain birth/death acts the way the API does (act row + change-log row in one
transaction). For tests, the demo-free benchmark and smoke checks; the simulator is the real
source of realistic activity."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sqlalchemy import select

from registry_api.core.db import Registry
from registry_api.models import Act, Office
from registry_api.services.changes import record_change
from registry_api.services.numbering import next_act_number


def office_codes(url: str, n: int = 5) -> list[str]:
    return list(_office_codes(url, n))


@lru_cache(maxsize=64)
def _office_codes(url: str, n: int) -> tuple[str, ...]:
    reg = Registry(url)
    try:
        with reg.session(write=False) as s:
            return tuple(
                s.execute(
                    select(Office.office_code).where(Office.office_kind == "communal").order_by(Office.office_code).limit(n)
                ).scalars()
            )
    finally:
        reg.dispose()


def add_acts(
    url: str,
    n: int,
    *,
    per_tx: int = 200,
    start: dt.date = dt.date(2024, 3, 1),
    seed: int = 0,
    registry: Registry | None = None,
) -> list[int]:
    """Register ``n`` acts (every 5th a death), ``per_tx`` per transaction; returns their ids."""
    offices = office_codes(url)
    reg = registry or Registry(url)
    ids: list[int] = []
    try:
        done = 0
        while done < n:
            with reg.session() as s:
                for i in range(done, min(n, done + per_tx)):
                    k = i + seed
                    act_type = "death" if k % 5 == 0 else "birth"
                    office = offices[k % len(offices)]
                    event = start + dt.timedelta(days=k % 60)
                    registered = dt.datetime.combine(event + dt.timedelta(days=k % 40), dt.time(10, 0), dt.UTC)
                    act = Act(
                        act_type=act_type, office_code=office, register_year=registered.year,
                        act_number=next_act_number(s, office, registered.year, act_type),
                        event_date=event, registered_at=registered, registration_date=registered.date(),
                        given_name_ar="محمد", given_name_lat="Mohamed", family_name_ar="العلوي",
                        family_name_lat="Alaoui", sex="M" if k % 2 else "F",
                        age_years=70 if act_type == "death" else None,
                        mother_age=20 + k % 20 if act_type == "birth" else None,
                        father_age=25 + k % 25 if act_type == "birth" else None,
                        declarant_relation="father",
                    )
                    s.add(act)
                    record_change(s, act, "create", "officer#1", at=registered)
                    s.flush()
                    ids.append(act.act_id)
            done = min(n, done + per_tx)
    finally:
        if registry is None:
            reg.dispose()
    return ids
