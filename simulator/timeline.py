"""Day-indexed lookup tables for vectorized generation, computed FROM the registry's rules.

Every day between the first simulated event and a margin after the end of the history gets:
whether offices are open (``rules.is_working_day``), the next/previous working day, the legal
deadlines of an event that day (``rules.legal_deadline``), the UTC offset of Africa/Casablanca
(registers follow the local calendar, timestamps are UTC), and the Ramadan flag. Generation then
uses array indexing instead of calling the rules once per record.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from importlib import resources
from zoneinfo import ZoneInfo

import numpy as np

from registry_api.services import rules

EPOCH = dt.date(1970, 1, 1)
LOCAL_TZ = ZoneInfo("Africa/Casablanca")
DAY = 86_400


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def from_day(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def _ramadan_days(first: dt.date, last: dt.date) -> set[dt.date]:
    """Ramadan: the 29 days before the first day of Aïd al-Fitr (dates from the registry's
    holiday calendar, which follows the announced Hijri dates)."""
    text = resources.files("registry_api.reference").joinpath("holidays.csv").read_text("utf-8")
    fitr = sorted({dt.date.fromisoformat(r["date"]) for r in csv.DictReader(text.splitlines()) if "Fitr" in r["name_fr"]})
    first_days = [d for i, d in enumerate(fitr) if i == 0 or (d - fitr[i - 1]).days > 1]
    out: set[dt.date] = set()
    for eid in first_days:
        for k in range(1, 30):
            day = eid - dt.timedelta(days=k)
            if first <= day <= last:
                out.add(day)
    return out


@dataclass
class Timeline:
    """Lookup arrays indexed by ``day - base`` (days since 1970-01-01)."""

    base: int
    working: np.ndarray  # bool
    next_working: np.ndarray  # int32 absolute day number of the next working day (>= day)
    prev_working: np.ndarray  # int32 absolute day number of the previous working day (<= day)
    utc_offset: np.ndarray  # int32 seconds east of UTC at local noon
    year: np.ndarray  # int16
    month: np.ndarray  # int8 1..12
    weekday: np.ndarray  # int8 0=Monday
    ramadan: np.ndarray  # bool
    # absolute day of the legal deadline of an event on that day, keyed "birth", "death",
    # "birth_abroad", "death_abroad", "death_institution" (rules.legal_deadline)
    deadline: dict[str, np.ndarray]

    @property
    def last(self) -> int:
        return self.base + len(self.working) - 1

    def idx(self, days: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(days) - self.base, 0, len(self.working) - 1)

    def nwd(self, days: np.ndarray) -> np.ndarray:
        return self.next_working[self.idx(days)]

    def pwd(self, days: np.ndarray) -> np.ndarray:
        return self.prev_working[self.idx(days)]

    def to_utc(self, days: np.ndarray, local_seconds: np.ndarray) -> np.ndarray:
        """UTC epoch seconds of a local wall-clock time (seconds after local midnight) on ``days``."""
        days = np.asarray(days, dtype=np.int64)
        return days * DAY + np.asarray(local_seconds, dtype=np.int64) - self.utc_offset[self.idx(days)]

    def local_day(self, ts: np.ndarray) -> np.ndarray:
        """The local calendar day of UTC epoch seconds (what ``services.acts.local_date`` gives)."""
        ts = np.asarray(ts, dtype=np.int64)
        guess = ts // DAY
        return (ts + self.utc_offset[self.idx(guess)]) // DAY


def _deadlines(days: list[dt.date], event_type: str, *, abroad: bool = False, institution_death: bool = False) -> np.ndarray:
    return np.array(
        [day_number(rules.legal_deadline(event_type, d, abroad=abroad, institution_death=institution_death))  # type: ignore[arg-type]
         for d in days],
        dtype=np.int32,
    )


def build(first: dt.date, last: dt.date) -> Timeline:
    """Tables from ``first`` to ``last`` inclusive (add a margin for late registrations)."""
    n = (last - first).days + 1
    days = [first + dt.timedelta(days=i) for i in range(n)]
    base = day_number(first)
    working = np.array([rules.is_working_day(d) for d in days])
    nxt = np.empty(n, dtype=np.int32)
    upcoming: int | None = None
    for i in range(n - 1, -1, -1):
        if working[i]:
            upcoming = base + i
        nxt[i] = upcoming if upcoming is not None else day_number(rules.next_working_day(days[i]))
    prv = np.empty(n, dtype=np.int32)
    previous = base
    for i in range(n):
        if working[i]:
            previous = base + i
        prv[i] = previous
    offsets = np.array([
        int(dt.datetime(d.year, d.month, d.day, 12, tzinfo=LOCAL_TZ).utcoffset().total_seconds())  # type: ignore[union-attr]
        for d in days
    ], dtype=np.int32)
    ramadan = _ramadan_days(first, last)
    return Timeline(
        base=base,
        working=working,
        next_working=nxt,
        prev_working=prv,
        utc_offset=offsets,
        year=np.array([d.year for d in days], dtype=np.int16),
        month=np.array([d.month for d in days], dtype=np.int8),
        weekday=np.array([d.weekday() for d in days], dtype=np.int8),
        ramadan=np.array([d in ramadan for d in days]),
        deadline={
            "birth": _deadlines(days, "birth"),
            "death": _deadlines(days, "death"),
            "birth_abroad": _deadlines(days, "birth", abroad=True),
            "death_abroad": _deadlines(days, "death", abroad=True),
            "death_institution": _deadlines(days, "death", institution_death=True),
        },
    )
