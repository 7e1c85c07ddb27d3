"""Daily registrations per office against the office's own recent history (modified z-score).

For each of the newest ``lookback_days`` working days, an office's count ``x`` is compared with
its previous ``window_working_days`` working days: ``z = 0.6745 * (x - median) / MAD``
(Iglewicz & Hoaglin's modified z-score, robust to the outliers it looks for; the same statistic
public-health data-quality reviews use for monthly facility reports). When MAD is 0 (a steady
office) the mean absolute deviation is used instead (``z = (x - median) / (1.253314 * MeanAD)``);
when both are 0 any change is an outlier, reported as z = +/-99. Days missing from
``ind_office_daily`` between an office's first and last day count as 0 registrations;
differences smaller than ``min_abs_deviation`` acts are not judged.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import great_expectations as gx
import numpy as np
import pandas as pd

from quality.suites._base import Frame, Inputs, SuiteBuilder, SuiteSpec
from registry_api.services.rules import is_working_day

if TYPE_CHECKING:
    from quality.db import QualityDB

MODEL = "ind_office_daily"
KEY = ("office_code", "day")
Z_CAP = 99.0


def build_office_daily_volume_suite(inputs: Inputs | None = None) -> gx.ExpectationSuite:
    inputs = inputs or Inputs()
    z = inputs.config.volume_z
    b = SuiteBuilder("office_daily_volume", inputs)
    b.between("modified_z", "daily_volume_outlier", "warn", min_value=-z, max_value=z)
    return b.suite


def modified_z(x: float, history: np.ndarray) -> float:
    """Iglewicz-Hoaglin modified z-score of ``x`` against ``history`` (MeanAD fallback)."""
    med = float(np.median(history))
    mad = float(np.median(np.abs(history - med)))
    if mad > 0:
        return 0.6745 * (x - med) / mad
    mean_ad = float(np.mean(np.abs(history - med)))
    if mean_ad > 0:
        return (x - med) / (1.253314 * mean_ad)
    return 0.0 if x == med else float(np.sign(x - med)) * Z_CAP


def score(daily: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """One row per (office, judged day): count, history median, modified z (NaN: not judged)."""
    c = inputs.config
    cols = ["office_code", "day", "acts", "history_days", "median", "modified_z"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    daily = daily.assign(day=pd.to_datetime(daily["day"]).dt.date)
    newest = max(daily["day"])
    first_judged = newest - dt.timedelta(days=c.volume_lookback_days - 1)
    out: list[tuple] = []
    for office, g in daily.groupby("office_code", sort=True):
        counts = dict(zip(g["day"], g["acts"].astype(float), strict=True))
        start = min(counts)
        days = [start + dt.timedelta(days=i) for i in range((newest - start).days + 1)]
        # offices are closed on weekends and holidays: those days are neither judged nor history
        work = [(d, counts.get(d, 0.0)) for d in days if is_working_day(d)]
        for i, (d, x) in enumerate(work):
            if d < first_judged:
                continue
            hist = np.array([v for _, v in work[max(0, i - c.volume_window):i]])
            z = float("nan")
            med = float(np.median(hist)) if len(hist) else float("nan")
            if len(hist) >= c.volume_min_history and abs(x - med) >= c.volume_min_abs_deviation:
                z = round(modified_z(x, hist), 2)  # judged and shown at 2 decimals, as the sex-ratio z
            out.append((office, d, x, len(hist), med, z))
    return pd.DataFrame(out, columns=cols)


def frame(db: QualityDB, inputs: Inputs, suite: gx.ExpectationSuite) -> Frame:
    c = inputs.config
    newest = db.scalar(f"select max(day) from {db.qualified(MODEL)}")
    if newest is None:
        return Frame(key=KEY, df=score(pd.DataFrame(columns=["office_code", "day", "acts"]), inputs))
    newest = pd.Timestamp(newest).date()
    # enough calendar days to hold window + lookback working days, with holidays to spare
    since = newest - dt.timedelta(days=int((c.volume_window + c.volume_lookback_days) * 7 / 5) + 30)
    daily = db.df(
        f"select office_code, day, acts_registered as acts from {db.qualified(MODEL)}"
        " where day >= ? and acts_registered is not null", [since],
    )
    scored = score(daily, inputs)
    return Frame(key=KEY, df=scored, info={"judged_days": int(scored["modified_z"].notna().sum())})


SUITES = (SuiteSpec("office_daily_volume", MODEL, build_office_daily_volume_suite, frame, requires=(MODEL,), key=KEY),)
