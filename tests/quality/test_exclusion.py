"""Quarantined acts are left out of the marts, and the marts say how many they left out.

The dbt engineer's fixed change log plus one defective birth (registered before it happened)
is landed; the landed-changes check quarantines it for exclusion; ``dbt build`` leaves it out of
``fct_birth`` and of every indicator; the ``fct_birth`` check records 1 excluded act in
``quality_exclusions``. Then a good act already in the marts gets a bad correction: after the
incremental run it is gone too (delete+insert alone would have kept its old row). Real dbt runs,
real quality runs, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.lib.warehouse import Warehouse
from quality.runner import run_check

fixtures = pytest.importorskip("tests.dbt_project.fixtures")

pytestmark = pytest.mark.slow

NOW = dt.datetime(2024, 6, 1, 22, tzinfo=dt.UTC)  # a Saturday night: freshness is not judged
BAD_ACT = 30


def _with_bad_birth() -> list[dict]:
    b = fixtures.ChangeLogBuilder(next_change_id=500)
    # registered on 2024-03-22 for a birth on 2024-03-25: event after registration
    b.create_act(BAD_ACT, "birth", fixtures.OFFICE_A, "2024-03-22T10:00:00Z", event_date="2024-03-25", sex="M",
                 mother_age=30, father_age=31)
    rows = b.rows
    for i, r in enumerate(rows):
        r["txid"] = 900_000 + i
    return fixtures.fixed_change_log() + rows


def _correction(act_id: int, change_id: int, txid: int, image: dict, **updates: object) -> dict:
    after = {**image, **updates, "version": image["version"] + 1, "updated_at": "2024-03-25T10:00:00Z"}
    return {"change_id": change_id, "txid": txid, "entity_type": "act", "entity_id": act_id, "act_id": act_id,
            "office_code": image["office_code"], "change_kind": "correct", "version": after["version"],
            "after_image": after, "actor": "officer#2", "reason": "erreur", "legal_basis": "Jugement 9/2024",
            "changed_at": dt.datetime(2024, 3, 25, 10, tzinfo=dt.UTC)}


def _set_cursor(w: fixtures.Warehouse, changes: list[dict]) -> None:
    last = max(changes, key=lambda c: (c["txid"], c["change_id"]))
    w.execute("delete from raw.landing_state where source = 'registry.changes'")
    w.execute("insert into raw.landing_state values ('registry.changes', " + ("?, ?" if w.kind == "duckdb" else "%s, %s")
              + ", now())", [f"{last['txid']}.{last['change_id']}", len(changes)])


def _scenario(w: fixtures.Warehouse, wh: Warehouse) -> None:
    changes = _with_bad_birth()
    w.land(changes, run_id="batch1")
    _set_cursor(w, changes)

    landed = run_check("landed_changes_quality", wh, run_id="q1", use_settings_registry=False, now=NOW, render_docs=False)
    assert not landed.blocking  # the date rule on landed acts is a warning that quarantines
    q = w.query("select row_key, rule, action from quarantine where suite = 'registry_acts'")
    assert q == [{"row_key": str(BAD_ACT), "rule": "event_before_registration", "action": "exclude"}]

    w.dbt("build")
    births = {r["act_id"] for r in w.query("select act_id from fct_birth")}
    assert BAD_ACT not in births and {1, 2, 3, 7} <= births
    # region 04, March 2024: the bad act's month; no other birth happened then
    march = w.query("select births from ind_vital_region_month where region_code = '04' and month_start = date '2024-03-01'")
    assert sum(r["births"] for r in march) == 0
    office_day = w.query(f"select births_registered from ind_office_daily where office_code = '{fixtures.OFFICE_A}'"
                         " and day = date '2024-03-22'")
    assert [r["births_registered"] for r in office_day] == [0]
    timeliness = w.query(f"select coalesce(sum(registrations), 0) as n from ind_timeliness where office_code = '{fixtures.OFFICE_A}'"
                         " and registration_month = date '2024-03-01' and event_type = 'birth'")
    assert timeliness[0]["n"] == 1  # act 3 only (late), not the quarantined act

    birth_check = run_check("fct_birth_quality", wh, run_id="q2", use_settings_registry=False, now=NOW, render_docs=False)
    assert not birth_check.blocking, [(r.rule, r.observed_value) for r in birth_check.failed]
    ex = w.query("select quarantined_rows, excluded_rows, still_published_rows from quality_exclusions"
                 " where run_id = 'q2' and model = 'fct_birth'")
    assert ex == [{"quarantined_rows": 1, "excluded_rows": 1, "still_published_rows": 0}]

    jan_sql = "select births from ind_vital_region_month where region_code = '04' and month_start = date '2024-01-01'"
    jan_before = sum(r["births"] for r in w.query(jan_sql))
    assert jan_before >= 1

    # act 7 (born 2024-01-04, region 04) is in the marts; a correction gives it a mother aged 0:
    # quarantined, then left out
    image = w.query("select after_image from raw.registry_changes where entity_type = 'act' and entity_id = 7 order by version desc limit 1")[0]["after_image"]
    import json

    image = json.loads(image) if isinstance(image, str) else image
    bad = [_correction(7, 900, 990_000, image, mother_age=0)]
    w.land(bad, run_id="batch2")
    _set_cursor(w, changes + bad)
    run_check("landed_changes_quality", wh, run_id="q3", use_settings_registry=False, now=NOW, render_docs=False)
    assert {r["row_key"] for r in w.query("select row_key from quarantine where suite = 'registry_acts' and action = 'exclude'")} == {
        str(BAD_ACT), "7"}
    w.dbt("build")  # incremental: act 7 is touched and quarantined
    births = {r["act_id"] for r in w.query("select act_id from fct_birth")}
    assert 7 not in births and BAD_ACT not in births and 1 in births
    assert sum(r["births"] for r in w.query(jan_sql)) == jan_before - 1
    run_check("fct_birth_quality", wh, run_id="q4", use_settings_registry=False, now=NOW, render_docs=False)
    ex = w.query("select quarantined_rows, excluded_rows from quality_exclusions where run_id = 'q4' and model = 'fct_birth'")
    assert ex == [{"quarantined_rows": 2, "excluded_rows": 2}]


def test_quarantined_acts_are_left_out_on_duckdb(tmp_path: Path) -> None:
    w = fixtures.make_warehouse("duckdb", tmp_path)
    _scenario(w, Warehouse(w.location, tmp_path))


@pytest.mark.postgres
def test_quarantined_acts_are_left_out_on_postgres(tmp_path: Path, pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    w = fixtures.make_warehouse("postgres", tmp_path, pg_database_factory())
    _scenario(w, Warehouse(w.location, tmp_path))
