"""Results, quarantine, exclusions and Data Docs: what a run leaves behind in the warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib.publish import publish_duckdb, query
from quality.config import QualityConfig, default_config
from quality.runner import run_all, run_check
from tests.quality import factories as f
from tests.quality.conftest import QUIET_NOW
from tests.quality.test_rules import image, rows


def _q(wh, sql: str, params: list | None = None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(wh.duckdb_path), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def test_clean_warehouse_passes_every_check_and_renders_docs(clean_wh) -> None:  # type: ignore[no-untyped-def]
    outcomes = run_all(clean_wh, run_id="run-clean", use_settings_registry=False, now=QUIET_NOW)
    assert [o.check for o in outcomes if not o.passed] == []
    res = _q(clean_wh, "select * from main.quality_results where run_id = 'run-clean'")
    # every expectation of every suite has a row; reconciliation is skipped without a registry
    assert len(res) == sum(len(o.results) for o in outcomes) > 250
    skipped = res[res["success"].isna()]
    assert set(skipped["suite"]) == {"acts_reconciliation", "changes_reconciliation"}
    assert _q(clean_wh, "select count(*) as n from main.quarantine")["n"][0] == 0
    index = outcomes[0].docs_index
    assert index is not None and index == clean_wh.data_dir / "quality_docs" / "index.html"
    html = index.read_text()
    assert "fct_birth" in html and "registry_acts" in html


ENGINES = pytest.mark.parametrize("cfg", [default_config(), default_config().replace(gx_max_rows=-1)],
                                  ids=["gx", "sql"])


@ENGINES
def test_bad_rows_are_quarantined_with_rule_key_observed_value_and_run(tmp_path: Path, cfg: QualityConfig) -> None:
    b = rows([2, 9], mother_age=65)(f.births())
    b = rows([4], event_date=pd.Timestamp("2024-03-01").date())(b)  # after its registration (2024-01-08)
    wh = f.build_warehouse(tmp_path, {"fct_birth": b})
    outcome = run_check("fct_birth_quality", wh, run_id="run-q", now=QUIET_NOW, config=cfg)
    assert outcome.blocking  # event after registration is an error
    q = _q(wh, "select * from main.quarantine where suite = 'fct_birth' order by rule, row_key")
    assert list(zip(q["rule"], q["row_key"], strict=True)) == [
        ("event_before_registration", "1004"), ("mother_age_plausible", "1002"), ("mother_age_plausible", "1009")]
    assert set(q["run_id"]) == {"run-q"}
    assert q.loc[q["rule"] == "mother_age_plausible", "observed_value"].tolist() == ["mother_age=65"] * 2
    assert q.loc[q["rule"] == "event_before_registration", "observed_value"].item() == (
        "registration_date=2024-01-08, event_date=2024-03-01")
    assert set(q["action"]) == {"flag"}
    r = _q(wh, "select * from main.quality_results where run_id = 'run-q' and rule = 'mother_age_plausible'"
               " and not success")
    assert r["unexpected_count"].item() == 2 and r["severity"].item() == "warn"
    assert sorted(json.loads(r["sample_keys"].item())) == ["1002", "1009"]

    # a second run replaces the suite's verdicts rather than piling them up
    run_check("fct_birth_quality", wh, run_id="run-q2", now=QUIET_NOW, render_docs=False, config=cfg)
    q2 = _q(wh, "select run_id, count(*) as n from main.quarantine where suite = 'fct_birth' group by run_id")
    assert q2.to_dict("records") == [{"run_id": "run-q2", "n": 3}]
    assert _q(wh, "select count(distinct run_id) as n from main.quality_results")["n"][0] == 2


def test_results_and_quarantine_are_published_for_civstat_sql(tmp_path: Path) -> None:
    wh = f.build_warehouse(tmp_path, {"fct_birth": rows([1], mother_age=61)(f.births())})
    run_check("fct_birth_quality", wh, run_id="run-pub", now=QUIET_NOW, render_docs=False)
    con = duckdb.connect(str(wh.duckdb_path))
    try:
        publish_duckdb(con, wh)
    finally:
        con.close()
    got = query("select rule, row_key from quarantine", wh=wh)
    assert got.rows() == [("mother_age_plausible", "1001")]
    n = query("select count(*) from quality_results where run_id = 'run-pub' and not success", wh=wh).item()
    assert n == 1


@ENGINES
def test_landed_acts_are_validated_incrementally_and_corrections_leave_quarantine(
    tmp_path: Path, cfg: QualityConfig,
) -> None:
    raw = image(3, registration_date="2023-12-01")(f.raw_changes())  # act 1002: event after registration
    wh = f.build_warehouse(tmp_path, raw=raw)
    first = run_check("landed_changes_quality", wh, run_id="r1", now=QUIET_NOW, render_docs=False, config=cfg)
    assert first.suites["registry_acts"]["rows"] == 24  # everything, first time
    assert not first.blocking  # warn + quarantine for exclusion: dbt may go on
    q = _q(wh, "select row_key, action, severity from main.quarantine where suite = 'registry_acts'")
    assert q.to_dict("records") == [{"row_key": "1002", "action": "exclude", "severity": "warn"}]

    # nothing new landed: nothing re-validated, the verdict stays
    second = run_check("landed_changes_quality", wh, run_id="r2", now=QUIET_NOW, render_docs=False, config=cfg)
    assert second.suites["registry_acts"]["rows"] == 0
    assert _q(wh, "select count(*) as n from main.quarantine where suite = 'registry_acts'")["n"][0] == 1

    # a correction of act 1002 lands: only that act is re-validated and it leaves quarantine
    con = duckdb.connect(str(wh.duckdb_path))
    try:
        fixed = json.loads(raw.loc[2, "after_image"]) | {"registration_date": "2024-01-06", "version": 2}
        row = f.change_row(100, "act", 1002, "correct", fixed, act_id=1002, office_code=fixed["office_code"],
                           version=2, at=pd.Timestamp("2024-06-02T10:00:00Z").to_pydatetime())
        con.register("_c", pd.DataFrame([row])[list(f.RAW_CHANGES_COLUMNS)])
        con.execute("insert into raw.registry_changes select * from _c")
    finally:
        con.close()
    third = run_check("landed_changes_quality", wh, run_id="r3", now=QUIET_NOW, render_docs=False, config=cfg)
    assert third.suites["registry_acts"]["rows"] == 1
    assert _q(wh, "select count(*) as n from main.quarantine where suite = 'registry_acts'")["n"][0] == 0


def test_marts_state_how_many_quarantined_acts_they_excluded(tmp_path: Path) -> None:
    raw = image(3, registration_date="2023-12-01")(image(4, mother_age=0)(f.raw_changes()))  # acts 1002, 1003
    b = f.births()
    b = b[b["act_id"] != 1002].reset_index(drop=True)  # the mart left 1002 out, still publishes 1003
    wh = f.build_warehouse(tmp_path, {"fct_birth": b}, raw=raw)
    run_check("landed_changes_quality", wh, run_id="x1", now=QUIET_NOW, render_docs=False)
    out = run_check("fct_birth_quality", wh, run_id="x1", now=QUIET_NOW, render_docs=False)
    ex = _q(wh, "select model, quarantined_rows, excluded_rows, still_published_rows from main.quality_exclusions")
    assert ex.to_dict("records") == [
        {"model": "fct_birth", "quarantined_rows": 2, "excluded_rows": 1, "still_published_rows": 1}]
    assert out.suites["exclusions"] == {"quarantined_acts": 2, "excluded_acts": 1, "still_published_acts": 1}
