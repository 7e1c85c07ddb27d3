"""The same checks on a PostgreSQL warehouse (models in ``analytics``): both engines, persisted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psycopg
import pytest

from quality.config import default_config
from quality.runner import run_checks, validate
from tests.quality import factories as f
from tests.quality.conftest import QUIET_NOW
from tests.quality.test_rules import image, rows, shift

pytestmark = pytest.mark.postgres


def test_checks_run_and_persist_on_postgres(pg_database_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    births = shift("registration_date", [3], pd.Timedelta(days=-10))(rows([2, 9], mother_age=65)(f.births()))
    raw = image(14, national_id="12345")(f.raw_changes())
    wh = f.pg_warehouse(pg_database_factory(), tmp_path, {"fct_birth": births}, raw=raw)

    for cfg in (default_config(), default_config().replace(gx_max_rows=-1)):
        results = validate(wh, "fct_birth", persist=False, now=QUIET_NOW, config=cfg)
        failed = sorted((r.rule, r.unexpected_count, tuple(sorted(r.sample_keys))) for r in results if r.failed)
        assert failed == [("event_before_registration", 1, ("1003",)),
                          ("mother_age_plausible", 2, ("1002", "1009"))], cfg.gx_max_rows

    outcomes = run_checks(["landed_changes_quality", "fct_birth_quality"], wh, run_id="pg-run", now=QUIET_NOW,
                          config=default_config().replace(gx_max_rows=-1))
    by_check = {o.check: o for o in outcomes}
    assert by_check["fct_birth_quality"].blocking
    assert not by_check["landed_changes_quality"].blocking
    assert outcomes[0].docs_index is not None and outcomes[0].docs_index.exists()
    with psycopg.connect(wh.pg_dsn) as conn:
        q = conn.execute("select suite, rule, row_key, observed_value, action from analytics.quarantine"
                         " order by suite, rule, row_key").fetchall()
        n = conn.execute("select count(*) from analytics.quality_results where run_id = 'pg-run'").fetchone()
    assert q == [
        ("fct_birth", "event_before_registration", "1003", "registration_date=2023-12-28, event_date=2024-01-04",
         "flag"),
        ("fct_birth", "mother_age_plausible", "1002", "mother_age=65", "flag"),
        ("fct_birth", "mother_age_plausible", "1009", "mother_age=65", "flag"),
        ("registry_acts", "national_id_cnie", "5001", "national_id=99999", "flag"),
    ]
    assert n is not None and n[0] == sum(len(o.results) for o in outcomes)
