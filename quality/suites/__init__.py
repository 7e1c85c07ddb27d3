"""Every suite, grouped into the Dagster asset checks that run them.

``CHECKS`` is the one list the Dagster definitions, the CLI (``civstat quality run``) and the
benchmark iterate over. Each mart has a ``<model>__schema`` suite (columns and types) and a
``<model>`` suite (rows); plausibility and reconciliation suites ride on the asset whose data
they judge.
"""

from __future__ import annotations

from quality.suites import (
    age_heaping,
    dim_date,
    dim_geography,
    dim_region,
    fct_act_change,
    fct_birth,
    fct_death,
    fct_declaration,
    fct_divorce,
    fct_document_request,
    fct_marriage,
    fct_notification,
    ind_age_heaping,
    ind_completeness,
    ind_notification_lag,
    ind_office_daily,
    ind_rollout,
    ind_timeliness,
    ind_vital_region_month,
    int_act__history,
    landing_freshness,
    office_daily_volume,
    reconciliation,
    registry_acts,
    registry_changes,
    registry_family_events,
    sex_ratio_at_birth,
)
from quality.suites._base import CheckSpec, Inputs, RefCodes, SuiteSpec

LANDING = ("registry", "changes")

_MARTS = (
    dim_geography, dim_region, dim_date, int_act__history, fct_birth, fct_death, fct_marriage,
    fct_divorce, fct_declaration, fct_document_request, fct_notification, fct_act_change,
    ind_vital_region_month, ind_timeliness, ind_completeness, ind_office_daily,
    ind_notification_lag, ind_rollout, ind_age_heaping,
)
_EXTRA: dict[str, tuple[SuiteSpec, ...]] = {
    "fct_birth": sex_ratio_at_birth.SUITES,
    "ind_office_daily": office_daily_volume.SUITES,
    "ind_age_heaping": age_heaping.SUITES,
}
_EXTRA_DEPS: dict[str, tuple[tuple[str, ...], ...]] = {"ind_age_heaping": (("fct_birth",), ("fct_death",))}

CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "landed_changes_quality", LANDING,
        registry_changes.SUITES + registry_acts.SUITES + registry_family_events.SUITES,
        "Landed change log: keys, codes, change kinds; new acts' dates, ages, national id format "
        "and spouses' sex (bad acts quarantined for exclusion).",
    ),
    CheckSpec("landing_freshness", LANDING, landing_freshness.SUITES,
              "In office hours the newest landed change is at most N minutes old."),
    CheckSpec("landing_reconciliation", LANDING, reconciliation.LANDING_SUITES,
              "Every registry change up to the cursor landed exactly once; the cursor is the newest landed change.",
              needs_registry=True),
    *(
        CheckSpec(
            f"{m.MODEL}_quality", (m.MODEL,), m.SUITES + _EXTRA.get(m.MODEL, ()),
            (m.__doc__ or m.MODEL).strip().splitlines()[0],
            additional_deps=_EXTRA_DEPS.get(m.MODEL, ()),
        )
        for m in _MARTS
    ),
    CheckSpec("acts_reconciliation", ("fct_birth",), reconciliation.ACTS_SUITES,
              "Acts per office and register year equal the registry's (as of the landed cursor).",
              additional_deps=(("fct_death",),), needs_registry=True),
)

SUITES: dict[str, SuiteSpec] = {s.name: s for c in CHECKS for s in c.suites}
CHECKS_BY_NAME: dict[str, CheckSpec] = {c.name: c for c in CHECKS}

__all__ = ["CHECKS", "CHECKS_BY_NAME", "SUITES", "CheckSpec", "Inputs", "RefCodes", "SuiteSpec"]
