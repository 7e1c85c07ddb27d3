"""Quality policy in one place: ``quality/config.toml`` plus the law's values from the registry.

Thresholds that are *policy* (how strict to be: Whipple band, z-score cut-off, freshness) live in
``config.toml`` so an operator can tune them without touching code. Values that are *law*
(plausible parents' ages, marriage ages, maximum age) are read from
``registry_api.services.rules`` so the API, the simulator and the checks can never disagree.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from registry_api.services import rules

Severity = Literal["error", "warn"]
CONFIG_PATH = Path(__file__).with_name("config.toml")


@dataclass(frozen=True)
class Plausible:
    """The registry's plausible ranges (rules.toml ``[plausible]``)."""

    mother_age_min: int
    mother_age_max: int
    father_age_min: int
    father_age_max: int
    marriage_age_min: int
    marriage_age_min_authorised: int
    max_age: int

    @classmethod
    def from_rules(cls) -> Plausible:
        return cls(**{k: rules.plausible(k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class QualityConfig:
    gx_max_rows: int = 250_000
    sample_keys: int = 10
    docs_keep_runs: int = 5
    results_keep_days: int = 90
    duckdb_memory_limit: str = "4GB"
    national_id_pattern: str = r"^[A-Z]{1,2}[0-9]{4,6}$"
    sex_ratio_min_births: int = 1000
    sex_ratio_expected: float = 105.0
    sex_ratio_z_max: float = 3.29
    volume_window: int = 28
    volume_min_history: int = 20
    volume_z: float = 3.5
    volume_lookback_days: int = 7
    volume_min_abs_deviation: float = 5.0
    whipple_max: float = 125.0
    whipple_min_ages: int = 500
    whipple_tolerance: float = 0.5
    freshness_minutes: int = 30
    timezone: str = "Africa/Casablanca"
    opens: dt.time = dt.time(8, 30)
    closes: dt.time = dt.time(16, 30)
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    plausible: Plausible = field(default_factory=Plausible.from_rules)

    def severity(self, rule: str, default: Severity) -> Severity:
        return self.severity_overrides.get(rule, default)

    def replace(self, **changes: Any) -> QualityConfig:
        """A copy with some thresholds changed (tests and what-if runs)."""
        from dataclasses import replace

        return replace(self, **changes)


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def load_config(path: Path | str | None = None) -> QualityConfig:
    """Read the TOML policy (``CIVSTAT_QUALITY_CONFIG`` overrides the packaged file)."""
    path = Path(path or os.environ.get("CIVSTAT_QUALITY_CONFIG") or CONFIG_PATH)
    raw = tomllib.loads(path.read_text("utf-8"))
    eng, nid, sr, vol, ah, fr = (raw.get(k, {}) for k in ("engine", "national_id", "sex_ratio", "volume", "age_heaping", "freshness"))
    overrides = raw.get("severity", {})
    bad = {k: v for k, v in overrides.items() if v not in ("error", "warn")}
    if bad:
        raise ValueError(f"{path}: [severity] values must be 'error' or 'warn', got {bad}")
    d = QualityConfig()
    return QualityConfig(
        gx_max_rows=int(eng.get("gx_max_rows", d.gx_max_rows)),
        sample_keys=int(eng.get("sample_keys", d.sample_keys)),
        docs_keep_runs=int(eng.get("docs_keep_runs", d.docs_keep_runs)),
        results_keep_days=int(eng.get("results_keep_days", d.results_keep_days)),
        duckdb_memory_limit=str(eng.get("duckdb_memory_limit", d.duckdb_memory_limit)),
        national_id_pattern=str(nid.get("pattern", d.national_id_pattern)),
        sex_ratio_min_births=int(sr.get("min_births", d.sex_ratio_min_births)),
        sex_ratio_expected=float(sr.get("expected", d.sex_ratio_expected)),
        sex_ratio_z_max=float(sr.get("z_max", d.sex_ratio_z_max)),
        volume_window=int(vol.get("window_working_days", d.volume_window)),
        volume_min_history=int(vol.get("min_history_days", d.volume_min_history)),
        volume_z=float(vol.get("z_threshold", d.volume_z)),
        volume_lookback_days=int(vol.get("lookback_days", d.volume_lookback_days)),
        volume_min_abs_deviation=float(vol.get("min_abs_deviation", d.volume_min_abs_deviation)),
        whipple_max=float(ah.get("whipple_max", d.whipple_max)),
        whipple_min_ages=int(ah.get("min_ages", d.whipple_min_ages)),
        whipple_tolerance=float(ah.get("indicator_tolerance", d.whipple_tolerance)),
        freshness_minutes=int(fr.get("max_minutes", d.freshness_minutes)),
        timezone=str(fr.get("timezone", d.timezone)),
        opens=_time(fr.get("opens", "08:30")),
        closes=_time(fr.get("closes", "16:30")),
        severity_overrides=dict(overrides),
    )


@lru_cache
def default_config() -> QualityConfig:
    return load_config()
