"""Freshness: during office hours the newest landed change is at most N minutes old.

Offices register acts all day on working days, so a change log that stops moving in office
hours means landing (or the registry) is stuck. Outside office hours, and during the first N
minutes after opening (the newest change is legitimately yesterday's), nothing is judged.
Office days are ``registry_api.services.rules.is_working_day`` (weekends and public holidays).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import great_expectations as gx
import pandas as pd

from quality.config import QualityConfig
from quality.suites._base import Frame, Inputs, SuiteBuilder, SuiteSpec
from registry_api.services.rules import is_working_day

if TYPE_CHECKING:
    from quality.db import QualityDB

MODEL = "raw.registry_changes"
NEVER = 10**9  # minutes: nothing landed at all


def build_landing_freshness_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    b = SuiteBuilder("landing_freshness", inputs)
    b.between("lag_minutes", "landing_freshness", "warn", max_value=inputs.config.freshness_minutes)
    return b.suite


def judged_now(now: dt.datetime, cfg: QualityConfig) -> bool:
    """True in office hours, from ``opens + max_minutes`` to ``closes``, on office days."""
    local = now.astimezone(ZoneInfo(cfg.timezone))
    start = (dt.datetime.combine(local.date(), cfg.opens) + dt.timedelta(minutes=cfg.freshness_minutes)).time()
    return is_working_day(local.date()) and start <= local.time().replace(tzinfo=None) < cfg.closes


def frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    newest = db.scalar(f"select max(changed_at) from {db.qualified(MODEL)}")
    if isinstance(newest, dt.datetime) and newest.tzinfo is None:
        newest = newest.replace(tzinfo=dt.UTC)
    judged = judged_now(inputs.now, inputs.config)
    lag = (inputs.now - newest).total_seconds() / 60 if newest is not None else NEVER
    row = {
        "source": "registry.changes",
        "newest_changed_at": newest.isoformat() if newest is not None else None,
        "in_office_hours": judged,
        "lag_minutes": round(lag, 1) if judged else None,
        "age_minutes": round(lag, 1),
    }
    return Frame(key=("source",), df=pd.DataFrame([row]), info={"in_office_hours": judged, "age_minutes": row["age_minutes"]})


SUITES = (SuiteSpec("landing_freshness", MODEL, build_landing_freshness_suite, frame, requires=(MODEL,), key=("source",)),)
