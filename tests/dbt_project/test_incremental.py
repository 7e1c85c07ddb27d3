"""Incremental builds on micro-batches give exactly the full-refresh result.

The fixed change log lands in three batches (fixtures.landing_batches); after each one
`dbt run` updates the incremental models. The third batch carries late corrections that change
old months (act 2's sex in January; act 12's date of death, December -> January) and one of them
has a change_id lower than every change already landed. At the end every model must equal the
warehouse built from scratch on the whole log (the session `warehouse`), and a further run with
nothing new must change nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from tests.dbt_project.fixtures import OFFICE_A, OFFICE_C, Warehouse, landing_batches, make_warehouse

# landing bookkeeping differs by construction between the two warehouses
LANDING_COLUMNS = {"landed_at", "landing_run_id"}
# aggregates stamp the feed position their build had seen: bookkeeping, not data
STAMPED = {"ind_vital_region_month", "ind_timeliness", "ind_office_daily"}


def model_names(wh: Warehouse) -> list[str]:
    nodes = wh.manifest()["nodes"].values()
    return sorted(n["name"] for n in nodes if n["resource_type"] == "model")


def _sort_key(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else repr(value)
    if isinstance(value, (dict, list)):
        return repr(value)
    return repr(value)


def snapshot(wh: Warehouse, model: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A model's columns and rows, in a canonical order (floats compared with same_rows)."""
    rows = wh.query(f"select * from {model}")
    skip = LANDING_COLUMNS | ({"feed_position"} if model in STAMPED else set())
    columns = [c for c in (rows[0].keys() if rows else []) if c not in skip]
    data = [tuple(r[c] for c in columns) for r in rows]
    return columns, sorted(data, key=lambda row: tuple(_sort_key(v) for v in row))


def same_rows(left: tuple[list[str], list[tuple[Any, ...]]], right: tuple[list[str], list[tuple[Any, ...]]]) -> bool:
    """Equal column lists and rows; floats equal to 1e-9 relative (aggregation order may differ)."""
    if left[0] != right[0] or len(left[1]) != len(right[1]):
        return False
    for row_l, row_r in zip(left[1], right[1], strict=True):
        for a, b in zip(row_l, row_r, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                    return False
            elif a != b:
                return False
    return True


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_incremental_micro_batches_equal_full_refresh(kind: str, request: pytest.FixtureRequest, tmp_path,
                                                     fixture_reference, fixture_changes) -> None:
    full: Warehouse = request.getfixturevalue(f"{kind}_warehouse")
    pg_url = request.getfixturevalue("pg_database_factory")() if kind == "postgres" else None
    wh = make_warehouse(kind, tmp_path / "incremental", pg_url, fixture_reference)
    first, second, third = landing_batches(fixture_changes)
    assert min(c["change_id"] for c in third) < max(c["change_id"] for c in first + second)

    wh.land(first, run_id="batch-1")
    wh.dbt("seed")
    wh.dbt("run")
    wh.land(second, run_id="batch-2")
    wh.dbt("run")

    # before the corrections: act 2 still a boy, act 12 still a December death
    vital = {(r["region_code"], r["month_start"]): r for r in wh.query("select * from ind_vital_region_month")}
    jan = vital[("04", dt.date(2024, 1, 1))]
    assert (jan["births"], jan["births_male"], jan["births_female"]) == (4, 2, 2)
    assert vital[("08", dt.date(2023, 12, 1))]["deaths"] == 1
    assert wh.query("select sex from fct_birth where act_id = 2") == [{"sex": "M"}]

    wh.land(third, run_id="batch-3")
    wh.dbt("run")

    # the late corrections went through: the old months were rewritten
    vital = {(r["region_code"], r["month_start"]): r for r in wh.query("select * from ind_vital_region_month")}
    assert vital[("04", dt.date(2024, 1, 1))]["births_female"] == 4
    assert vital[("08", dt.date(2023, 12, 1))]["deaths"] == 0
    assert wh.query("select sex, is_corrected from fct_birth where act_id = 2") == [{"sex": "F", "is_corrected": True}]

    # ...and only the affected keys were: untouched rows keep the stamp of the build that wrote them
    stamp = {k: r["feed_position"] for k, r in vital.items()}
    assert stamp[("04", dt.date(1994, 3, 1))] < stamp[("04", dt.date(2024, 1, 1))]
    daily = {r["day"]: r["feed_position"] for r in wh.query(
        f"select day, feed_position from ind_office_daily where office_code = '{OFFICE_A}'"
        " and day in ('2018-01-01', '2024-03-20')")}
    assert daily[dt.date(2018, 1, 1)] < daily[dt.date(2024, 3, 20)]
    assert len({r["feed_position"] for r in full.query("select feed_position from ind_vital_region_month")}) == 1

    # every model equals the full build on the same data
    models = model_names(full)
    assert len(models) >= 35
    differences = [m for m in models if not same_rows(snapshot(wh, m), snapshot(full, m))]
    assert differences == []

    # a run with nothing new changes nothing
    before = {m: snapshot(wh, m) for m in models}
    wh.dbt("run")
    assert [m for m in models if not same_rows(snapshot(wh, m), before[m])] == []


def one_late_act(act_id: int, office: str, captured_at: str, **fields: Any) -> list[dict[str, Any]]:
    """The change rows of one birth act captured after every fixture transaction."""
    from tests.dbt_project.fixtures import ChangeLogBuilder

    late = ChangeLogBuilder(next_change_id=10_000)
    late.create_act(act_id, "birth", office, captured_at, **fields)
    for row in late.rows:
        row["txid"] += 1_000_000  # after every fixture transaction
    return late.rows


def office_daily_built(kind: str, request: pytest.FixtureRequest, path: Path, fixture_reference: Any,
                       fixture_changes: list[dict[str, Any]]) -> Warehouse:
    """A warehouse with the fixture log landed and ``ind_office_daily`` (and what it needs) built."""
    pg_url = request.getfixturevalue("pg_database_factory")() if kind == "postgres" else None
    wh = make_warehouse(kind, path, pg_url, fixture_reference)
    wh.land(fixture_changes, run_id="fixture")
    wh.dbt("seed")
    wh.dbt("run", "--select", "+ind_office_daily")
    return wh


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_office_daily_reaches_the_local_day_after_utc_midnight(kind: str, request: pytest.FixtureRequest, tmp_path,
                                                               fixture_reference, fixture_changes) -> None:
    """Registration dates are Morocco's local dates (UTC+1): an act registered at 00:30 local
    time on 21 March is captured at 23:30 UTC on the 20th. The newest change's UTC date is the
    20th, yet the office's day must hold the act, on a full build and on a micro-batch."""
    late = one_late_act(31, OFFICE_A, "2024-03-20T23:30:00Z", registration_date="2024-03-21",
                        event_date="2024-03-19", sex="F", mother_age=27, father_age=31)
    wh = office_daily_built(kind, request, tmp_path / "local-day", fixture_reference, fixture_changes)
    assert wh.query(f"select count(*) as n from ind_office_daily where office_code = '{OFFICE_A}' "
                    "and day = '2024-03-21'") == [{"n": 0}]

    wh.land(late, run_id="after-midnight")
    wh.dbt("run", "--select", "+ind_office_daily")  # incremental
    rows = wh.query(f"select births_registered from ind_office_daily where office_code = '{OFFICE_A}' "
                    "and day = '2024-03-21'")
    assert rows == [{"births_registered": 1}]
    assert wh.query("select registration_date from fct_birth where act_id = 31") == [
        {"registration_date": dt.date(2024, 3, 21)}]


@pytest.mark.parametrize("kind", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_office_daily_grid_reaches_back_for_a_digitised_act(kind: str, request: pytest.FixtureRequest, tmp_path,
                                                            fixture_reference, fixture_changes) -> None:
    """A register digitised after go-live brings acts registered years before (batch capture).
    On a micro-batch the office's daily grid must reach back to them as a full build does:
    int_office__activity_span carries each office's first day forward instead of rescanning
    every footprint, and must widen it."""
    old = one_late_act(32, OFFICE_C, "2024-03-20T10:00:00Z", registration_date="2021-05-10",
                       event_date="2021-05-07", sex="M", mother_age=30, father_age=35)
    wh = office_daily_built(kind, request, tmp_path / "digitised", fixture_reference, fixture_changes)
    office_c = f"select min(day) as first_day, count(*) as days, sum(births_registered) as births from ind_office_daily where office_code = '{OFFICE_C}'"
    [before] = wh.query(office_c)
    assert before["first_day"] > dt.date(2021, 5, 10)

    wh.land(old, run_id="digitised")
    wh.dbt("run", "--select", "+ind_office_daily")  # incremental
    [after] = wh.query(office_c)
    assert after["first_day"] == dt.date(2021, 5, 10)
    assert after["births"] == before["births"] + 1
    assert wh.query(f"select births_registered from ind_office_daily where office_code = '{OFFICE_C}' and day = '2021-05-10'") == [
        {"births_registered": 1}]
    assert wh.query(f"select first_day from int_office__activity_span where office_code = '{OFFICE_C}'") == [
        {"first_day": dt.date(2021, 5, 10)}]
    incremental = snapshot(wh, "ind_office_daily")

    wh.dbt("run", "--select", "+ind_office_daily", "--full-refresh")
    assert same_rows(snapshot(wh, "ind_office_daily"), incremental)
