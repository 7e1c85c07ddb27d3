"""Every suite over a real ``dbt build`` of the dbt engineer's fixed change log (DuckDB).

This is where the suites meet the models the pipeline actually builds: column names and types,
codes, grains. A clean build must pass every check (reconciliation is skipped: no registry).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.lib.warehouse import Warehouse
from quality.runner import run_all

fixtures = pytest.importorskip("tests.dbt_project.fixtures")

pytestmark = pytest.mark.slow


def test_suites_pass_on_a_real_dbt_build(tmp_path: Path) -> None:
    w = fixtures.make_warehouse("duckdb", tmp_path)
    changes = fixtures.fixed_change_log()
    w.land(changes, run_id="full")
    last = max(changes, key=lambda c: (c["txid"], c["change_id"]))
    w.execute("insert into raw.landing_state values ('registry.changes', ?, ?, now())",
              [f"{last['txid']}.{last['change_id']}", len(changes)])
    w.dbt("build")
    outcomes = run_all(Warehouse(w.location, tmp_path), run_id="dbt-integration", use_settings_registry=False,
                       now=dt.datetime(2024, 6, 1, 22, tzinfo=dt.UTC))
    failed = [(o.check, r.suite, r.rule, r.column, r.observed_value) for o in outcomes for r in o.failed]
    assert failed == []
    ran = {r.suite for o in outcomes for r in o.results if r.success is not None}
    assert {"fct_birth", "fct_death__schema", "registry_acts", "ind_age_heaping", "office_daily_volume"} <= ran
