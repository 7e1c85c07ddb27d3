"""Determinism, roll-out and weekly rhythm of the generated history (no database needed)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from simulator import calibration as cal
from simulator import history as H
from simulator import store
from simulator.timeline import from_day

END = dt.date(2026, 6, 30)


def _generate(seed: int, years: float = 1.0, scale: float = 0.001) -> H.History:
    return H.generate(H.Config(years=years, scale=scale, seed=seed, end_date=END, cutoff_ts=H.default_cutoff(END)))


def test_same_seed_gives_the_same_history_and_change_log() -> None:
    a, b, c = _generate(5), _generate(5), _generate(6)
    for name in ("acts", "act_changes", "declarations", "requests", "family_events", "notifications", "notes"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert not a.acts.equals(c.acts)
    first_a = next(store.change_chunks(a, "json", chunk=2000))
    first_b = next(store.change_chunks(b, "json", chunk=2000))
    assert first_a.equals(first_b)


def test_rollout_pilot_first_then_region_by_region() -> None:
    h = H.generate(H.Config(years=9, scale=0.003, seed=2, end_date=END, cutoff_ts=H.default_cutoff(END)))
    offs = cal.offices()
    acts = h.acts.select("office", "event_day", "reg_day")
    live = pl.Series(offs.live_since).gather(acts["office"])
    assert (acts["event_day"] >= live).all()
    first = acts.group_by(pl.col("office")).agg(pl.col("event_day").min())
    pilot = [i for i, c in enumerate(offs.code) if c.startswith("04.421.01")]
    earliest = from_day(int(acts["event_day"].min()))
    assert dt.date(2018, 2, 28) <= earliest < dt.date(2018, 5, 1)
    assert set(first.filter(pl.col("event_day") < H.day_number(dt.date(2019, 1, 1)))["office"].to_list()) <= set(pilot)
    region = pl.Series(offs.region).gather(acts["office"])
    dakhla = offs.region_codes.index("12")
    assert from_day(int(acts.filter(region == dakhla)["event_day"].min())) >= dt.date(2024, 4, 1)


def test_registrations_wait_for_working_days_while_events_do_not() -> None:
    h = _generate(3)
    tl = h.timeline
    events = tl.working[tl.idx(h.acts["event_day"].to_numpy())]
    registrations = tl.working[tl.idx(h.acts["reg_day"].to_numpy())]
    assert registrations.all()
    assert 0.2 < 1 - events.mean() < 0.4  # events happen on weekends and holidays too (about 2/7)
    weekday = tl.weekday[tl.idx(h.acts["event_day"].to_numpy())]
    assert np.bincount(weekday, minlength=7)[5:].sum() > 0
