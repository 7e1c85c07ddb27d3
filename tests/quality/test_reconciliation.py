"""Reconciliation against a real registry (SQLite and PostgreSQL): acts per office and year, and
every change up to the cursor landed exactly once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import text

from pipelines.lib.warehouse import Warehouse
from quality.runner import run_check
from registry_api.core.db import Registry
from registry_api.models import Act
from registry_api.services.changes import Cursor, read_feed, record_change
from tests.quality import factories as f
from tests.quality.conftest import QUIET_NOW

OFFICE_A, OFFICE_B = f.OFFICES[:2]


def _act(act_type: str, office: str, number: int, year: int = 2024) -> Act:
    ev = dt.date(year, 1, 1) + dt.timedelta(days=number)
    reg = ev + dt.timedelta(days=2)
    return Act(
        act_type=act_type, office_code=office, register_year=year, act_number=number, event_date=ev,
        registered_at=dt.datetime.combine(reg, dt.time(10), tzinfo=dt.UTC), registration_date=reg,
        given_name_ar="س", given_name_lat="S", family_name_ar="ع", family_name_lat="A", sex="MF"[number % 2],
        declarant_relation="father" if act_type == "birth" else "child",
        age_years=70 if act_type == "death" else None,
    )


def _register(reg: Registry, acts: list[Act]) -> None:
    with reg.session() as s:
        for a in acts:
            s.add(a)
            s.flush()
            record_change(s, a, "create", "officer#1")


def _seed(reg: Registry) -> None:
    _register(reg, [_act("birth", OFFICE_A, 1), _act("birth", OFFICE_A, 2), _act("birth", OFFICE_B, 1),
                    _act("death", OFFICE_A, 1), _act("death", OFFICE_B, 1), _act("birth", OFFICE_A, 1, 2023)])
    with reg.session() as s:  # a later amendment: one more change, same act count
        a = s.get(Act, 1)
        assert a is not None
        a.given_name_lat, a.version = "Sara", 2
        record_change(s, a, "amend", "officer#1")


def _land(reg: Registry, tmp_path: Path, *, primary_key: bool = True) -> tuple[Warehouse, pd.DataFrame]:
    """What landing would write: the feed into raw.registry_changes, the acts into the facts."""
    with reg.session(write=False) as s:
        # every committed change, in feed order. Not read_feed: on a shared PostgreSQL server any
        # other database's open transaction holds the feed's horizon (xids are cluster-wide)
        cols = ", ".join(("change_id", "txid", "entity_type", "entity_id", "act_id", "office_code", "change_kind",
                          "version", "after_image", "actor", "reason", "legal_basis", "changed_at"))
        feed = [dict(r._mapping) for r in s.execute(text(f"select {cols} from changes order by txid, change_id"))]
        acts = s.query(Act).order_by(Act.act_id).all()
        facts = {t: [a for a in acts if a.act_type == t] for t in ("birth", "death")}
    landed = pd.DataFrame([{
        **{k: r[k] for k in ("change_id", "txid", "entity_type", "entity_id", "act_id", "office_code", "change_kind",
                             "version", "actor", "reason", "legal_basis", "changed_at")},
        "after_image": r["after_image"] if isinstance(r["after_image"], str) else json.dumps(r["after_image"]),
        "landed_at": dt.datetime.now(dt.UTC), "landing_run_id": "land-1",
    } for r in feed])

    def fact(frame: pd.DataFrame, rows: list[Act]) -> pd.DataFrame:
        out = frame.iloc[: len(rows)].copy()
        out["act_id"] = [a.act_id for a in rows]
        out["office_code"] = [a.office_code for a in rows]
        out["register_year"] = [a.register_year for a in rows]
        out["act_number"] = [a.act_number for a in rows]
        return out

    births = fact(f.births(), facts["birth"])
    deaths = fact(f.deaths(), facts["death"])
    wh = f.small_warehouse(tmp_path, {"fct_birth": births, "fct_death": deaths}, raw=landed,
                           raw_primary_key=primary_key)
    return wh, landed


def _edit(wh: Warehouse, *sql: str) -> None:
    con = duckdb.connect(str(wh.duckdb_path))
    try:
        for s in sql:
            con.execute(s)
    finally:
        con.close()


def _failed(outcome, rule: str):  # type: ignore[no-untyped-def]
    return [r for r in outcome.results if r.rule == rule and r.failed]


def _run(check: str, wh: Warehouse, reg: Registry):  # type: ignore[no-untyped-def]
    return run_check(check, wh, registry_url=reg.url, now=QUIET_NOW, render_docs=False)


def test_reconciled_warehouse_passes(registry: Registry, tmp_path: Path) -> None:
    _seed(registry)
    wh, landed = _land(registry, tmp_path)
    landing = _run("landing_reconciliation", wh, registry)
    acts = _run("acts_reconciliation", wh, registry)
    assert landing.passed and acts.passed, [(r.rule, r.observed_value) for r in landing.failed + acts.failed]
    assert landing.suites["changes_reconciliation"]["registry_changes"] == len(landed) == 7
    assert acts.suites["acts_reconciliation"]["registry_acts"] == 6


def test_a_missing_change_is_caught(registry: Registry, tmp_path: Path) -> None:
    _seed(registry)
    wh, landed = _land(registry, tmp_path)
    lost = int(landed["change_id"].iloc[2])
    _edit(wh, f"delete from raw.registry_changes where change_id = {lost}")
    out = _run("landing_reconciliation", wh, registry)
    [hit] = _failed(out, "change_missing")
    assert hit.unexpected_count == 1 and hit.sample_keys == [str(lost)]
    assert hit.severity == "error" and out.blocking
    assert not _failed(out, "change_duplicated")


def test_a_duplicated_change_is_caught(registry: Registry, tmp_path: Path) -> None:
    _seed(registry)
    wh, landed = _land(registry, tmp_path, primary_key=False)  # the key would have refused the copy
    twice = int(landed["change_id"].iloc[4])
    _edit(wh, f"insert into raw.registry_changes select * from raw.registry_changes where change_id = {twice}")
    out = _run("landing_reconciliation", wh, registry)
    [hit] = _failed(out, "change_duplicated")
    assert hit.unexpected_count == 1 and hit.sample_keys == [str(twice)]
    assert hit.observed_value == "copies=2"
    assert not _failed(out, "change_missing") and out.blocking
    assert out.suites["changes_reconciliation"]["landed_rows"] == 8


def test_an_act_missing_from_the_marts_is_caught(registry: Registry, tmp_path: Path) -> None:
    _seed(registry)
    wh, _ = _land(registry, tmp_path)
    _edit(wh, "delete from main.fct_death where act_id = (select max(act_id) from main.fct_death)")
    out = _run("acts_reconciliation", wh, registry)
    [hit] = _failed(out, "acts_reconcile")
    assert hit.unexpected_count == 1 and hit.sample_keys == [f"{OFFICE_B}|2024"]
    assert hit.observed_value == "difference=-1" and out.blocking


def test_a_registry_that_moved_on_reconciles_as_of_the_cursor(registry: Registry, tmp_path: Path) -> None:
    _seed(registry)
    wh, _ = _land(registry, tmp_path)
    _register(registry, [_act("birth", OFFICE_B, 2)])  # after the landing: not in the warehouse yet
    acts = _run("acts_reconciliation", wh, registry)
    assert acts.passed
    assert acts.suites["acts_reconciliation"]["registry_pending_changes"] == 1
    landing = _run("landing_reconciliation", wh, registry)
    assert not landing.blocking  # at most the warning that the cursor is behind
    with duckdb.connect(str(wh.duckdb_path), read_only=True) as con:
        cursor = Cursor.parse(con.execute("select cursor from raw.landing_state").fetchone()[0])  # type: ignore[index]
    with registry.session(write=False) as s:
        # what the feed would serve next (on PostgreSQL an open transaction elsewhere can hold it back)
        servable = len(read_feed(s, cursor, 100).rows)
    assert landing.suites["landing_cursor"]["registry_pending"] == servable
    if registry.dialect == "sqlite":
        [behind] = _failed(landing, "cursor_caught_up")
        assert behind.severity == "warn" and behind.observed_value == "registry_pending=1"


def test_a_cursor_that_disagrees_with_the_landed_rows_is_caught(registry: Registry, tmp_path: Path) -> None:
    _seed(registry)
    wh, landed = _land(registry, tmp_path)
    first = landed.iloc[0]
    _edit(wh, f"update raw.landing_state set cursor = '{int(first['txid'])}.{int(first['change_id'])}'")
    out = _run("landing_reconciliation", wh, registry)
    assert _failed(out, "cursor_matches_landed") and out.blocking


def test_reconciliation_is_skipped_not_passed_without_a_registry(tmp_path: Path) -> None:
    wh = f.small_warehouse(tmp_path, {"fct_birth": f.births(), "fct_death": f.deaths()}, raw=f.raw_changes())
    out = run_check("acts_reconciliation", wh, registry_url=None, use_settings_registry=False, render_docs=False)
    assert [r.success for r in out.results] == [None]
    assert out.results[0].observed_value == "skipped: no registry configured"


def test_an_unreachable_registry_fails_the_check_instead_of_crashing_it(tmp_path: Path) -> None:
    wh = f.small_warehouse(tmp_path, {"fct_birth": f.births(), "fct_death": f.deaths()}, raw=f.raw_changes())
    out = run_check("acts_reconciliation", wh, registry_url="postgresql://postgres@127.0.0.1:9/nowhere",
                    render_docs=False)
    [r] = out.results
    assert (r.rule, r.severity, r.success) == ("suite_error", "error", False)
    assert r.observed_value and r.observed_value.startswith("OperationalError")
    assert out.blocking
    missing = run_check("acts_reconciliation", wh, registry_url=f"sqlite:///{tmp_path / 'absent.sqlite'}",
                        render_docs=False)
    assert [x.success for x in missing.results] == [None]  # no file: skipped (and none created)
    assert not (tmp_path / "absent.sqlite").exists()


def test_acts_left_out_on_purpose_are_accounted_not_lost(sqlite_registry_url: str, tmp_path: Path) -> None:
    reg = Registry(sqlite_registry_url)
    try:
        _seed(reg)
        wh, landed = _land(reg, tmp_path)
        act = int(landed["act_id"].iloc[0])
        _edit(wh, "update raw.registry_changes set after_image = json_merge_patch(after_image,"
                  f" '{{\"registration_date\": \"2000-01-01\"}}') where act_id = {act} and change_kind = 'create'",
              f"delete from raw.registry_changes where act_id = {act} and change_kind = 'amend'")
        landing = run_check("landed_changes_quality", wh, now=QUIET_NOW, render_docs=False)
        assert [(r.rule, r.unexpected_count) for r in landing.failed] == [("event_before_registration", 1)]
        _edit(wh, f"delete from main.fct_birth where act_id = {act}")  # what the dbt exclusion does
        assert _run("acts_reconciliation", wh, reg).passed
    finally:
        reg.dispose()
