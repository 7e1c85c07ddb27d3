"""``load_history``: years of synthetic registry activity written straight into the database.

Generation is vectorized (``simulator.history``) and loading goes through ``simulator.store``
(PostgreSQL ``COPY`` + server-built change log; SQLite large transactions). The registry is
migrated and its geography seeded first if needed, so a fresh data directory works.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

from registry_api.core.db import Registry, upgrade
from registry_api.services.geography import seed_geography
from simulator import history, store


def load_history(
    registry_url: str,
    years: float = 2,
    scale: float = 0.001,
    seed: int = 1,
    end_date: dt.date | None = None,
    progress: bool = True,
    *,
    cutoff: dt.datetime | None = None,
) -> dict[str, Any]:
    """Generate ``years`` of history ending ``end_date`` (default today) at ``scale`` (1 = the
    whole of Morocco) and write it into the empty registry at ``registry_url``.

    The same ``seed``, ``scale``, ``years`` and ``end_date`` give the same rows. When the history
    ends today it stops at the current instant (``cutoff``), so declarations still pending
    today are in the registry. Returns counts and timings (no personal data)."""
    end_date = end_date or dt.date.today()
    cutoff_ts = int(cutoff.timestamp()) if cutoff else history.default_cutoff(end_date)
    reg = Registry(registry_url)
    try:
        upgrade(reg.engine)
        with reg.session() as s:
            seed_geography(s)
    finally:
        reg.dispose()
    t0 = time.perf_counter()
    h = history.generate(history.Config(years=years, scale=scale, seed=seed, end_date=end_date, cutoff_ts=cutoff_ts))
    generated = time.perf_counter() - t0
    total = store.total_rows(h)
    bar = _bar(total) if progress else None

    def advance(n: int, what: str) -> None:
        if bar is not None:
            bar.set_description(f"{what:<18}")
            bar.update(n)

    t1 = time.perf_counter()
    try:
        timings = store.load(registry_url, h, store.Progress(total, advance))
    finally:
        if bar is not None:
            bar.close()
    loaded = time.perf_counter() - t1
    _mark_synthetic(registry_url, scale)
    acts = h.acts.height
    return {
        **h.stats,
        "changes": store.change_count(h),
        "rows": total,
        "first_event_date": str(h.config.start_date),
        "end_date": str(end_date),
        "generate_s": round(generated, 3),
        "load_s": round(loaded, 3),
        "total_s": round(generated + loaded, 3),
        "acts_per_s": round(acts / max(generated + loaded, 1e-9), 1),
        **{k: round(v, 3) for k, v in timings.items()},
    }


def _mark_synthetic(registry_url: str, scale: float) -> None:
    """Say in the registry that it holds simulated activity at ``scale`` of the national volume:
    the warehouse scales the population it divides rates by, the dashboards flag the data."""
    from registry_api.models import SYNTHETIC_SCALE, RegistrySetting

    reg = Registry(registry_url)
    try:
        with reg.session() as s:
            s.merge(RegistrySetting(setting=SYNTHETIC_SCALE, value=repr(float(scale))))
    finally:
        reg.dispose()


def _bar(total: int):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    # disable=None: drawn on a terminal only (a log file or a pipe would fill with redrawn frames)
    return tqdm(total=total, unit="rows", unit_scale=True, file=sys.stderr, dynamic_ncols=True, leave=False, disable=None)
