"""The civil-status rules, in one place: deadlines, working days, timeliness classes, plausible ages.

The API, the simulator, the pipelines and the tests all call these functions; the values come
from ``registry_api/reference/rules.toml`` (sources in ``registry_api/reference/SOURCES.md``).
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

EventType = Literal["birth", "death", "marriage", "divorce"]
Timeliness = Literal["on_time", "late", "delayed"]


@lru_cache
def rules() -> dict[str, Any]:
    return tomllib.loads(resources.files("registry_api.reference").joinpath("rules.toml").read_text("utf-8"))


@lru_cache
def holidays() -> frozenset[dt.date]:
    text = resources.files("registry_api.reference").joinpath("holidays.csv").read_text("utf-8")
    return frozenset(dt.date.fromisoformat(r["date"]) for r in csv.DictReader(text.splitlines()))


def is_working_day(day: dt.date) -> bool:
    """Offices open Monday to Friday, except public holidays."""
    return day.weekday() < 5 and day not in holidays()


def next_working_day(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def legal_deadline_days(
    event_type: EventType, *, abroad: bool = False, institution_death: bool = False
) -> int:
    days = rules()["deadline_days"]
    if abroad:
        return int(days["abroad"])
    if event_type == "death" and institution_death:
        return int(days["institution_death"])
    return int(days[event_type])


def legal_deadline(
    event_type: EventType,
    event_date: dt.date,
    *,
    abroad: bool = False,
    institution_death: bool = False,
) -> dt.date:
    """Last day to declare: N days after the event, moved to the next working day when the
    office is closed that day (weekend or public holiday)."""
    last = event_date + dt.timedelta(days=legal_deadline_days(event_type, abroad=abroad, institution_death=institution_death))
    return next_working_day(last)


def timeliness_class(
    event_date: dt.date,
    registration_date: dt.date,
    event_type: EventType = "birth",
    *,
    abroad: bool = False,
) -> Timeliness:
    """on_time within the legal deadline, late up to ``late_max_days``, delayed beyond."""
    delay = (registration_date - event_date).days
    if registration_date <= legal_deadline(event_type, event_date, abroad=abroad):
        return "on_time"
    if delay <= int(rules()["timeliness"]["late_max_days"]):
        return "late"
    return "delayed"


def requires_judgment(event_type: EventType, event_date: dt.date, registration_date: dt.date, *, abroad: bool = False) -> bool:
    """Past the legal deadline a birth or death is registered only by declaratory judgment."""
    return registration_date > legal_deadline(event_type, event_date, abroad=abroad)


def plausible(name: str) -> int:
    return int(rules()["plausible"][name])
