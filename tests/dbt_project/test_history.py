"""SCD2 history of acts: "the registry as it was at T" is one query on int_act__history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.dbt_project.fixtures import Warehouse

AS_OF_SQL = """
select act_id, version, status, sex, event_date, office_code
from int_act__history
where valid_from <= cast(? as timestamp)
    and (valid_to > cast(? as timestamp) or valid_to is null)
order by act_id
"""


def registry_as_of(warehouse: Warehouse, instant: str) -> dict[int, dict[str, Any]]:
    sql = AS_OF_SQL if warehouse.kind == "duckdb" else AS_OF_SQL.replace("?", "%s")
    return {r["act_id"]: r for r in warehouse.query(sql, [instant, instant])}


def test_registry_before_the_first_change_is_empty(warehouse: Warehouse) -> None:
    assert registry_as_of(warehouse, "2024-01-02 07:59:59") == {}
    assert set(registry_as_of(warehouse, "2024-01-02 08:00:00")) == {20}


def test_registry_as_it_was_mid_february(warehouse: Warehouse) -> None:
    acts = registry_as_of(warehouse, "2024-02-15 00:00:00")
    assert set(acts) == {1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20}  # act 3 registered on 2024-03-20
    assert (acts[2]["sex"], acts[2]["version"]) == ("M", 1)  # before the correction of 2024-03-01
    assert acts[5]["status"] == "active"  # cancelled on 2024-02-20
    assert acts[12]["event_date"] == dt.date(2023, 12, 28)  # corrected on 2024-03-05
    assert acts[6]["version"] == 1  # amended on 2024-02-15 10:00
    assert acts[20]["version"] == 2  # marginal note of 2024-01-17


def test_registry_as_it_is_now(warehouse: Warehouse) -> None:
    acts = registry_as_of(warehouse, "2030-01-01 00:00:00")
    assert set(acts) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20}
    assert (acts[2]["sex"], acts[2]["version"]) == ("F", 2)
    assert acts[5]["status"] == "cancelled"
    assert acts[12]["event_date"] == dt.date(2024, 1, 25)
    current = {r["act_id"]: r for r in warehouse.query(
        "select act_id, version, sex, is_cancelled, event_date from fct_birth union all "
        "select act_id, version, sex, is_cancelled, event_date from fct_death")}
    for act_id, row in acts.items():
        assert (row["version"], row["sex"], row["event_date"], row["status"] == "cancelled") == (
            current[act_id]["version"], current[act_id]["sex"], current[act_id]["event_date"],
            current[act_id]["is_cancelled"])


def test_history_rows_and_validity_chain(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select act_id, change_id, version, change_kind, valid_from, valid_to, is_current, sex"
        " from int_act__history order by act_id, version")
    assert len(rows) == 18  # 13 creations, 1 marginal note, 1 amendment, 1 cancellation, 2 corrections
    act2 = [r for r in rows if r["act_id"] == 2]
    assert [(r["version"], r["change_kind"], r["sex"], r["is_current"]) for r in act2] == [
        (1, "create", "M", False), (2, "correct", "F", True)]
    assert act2[0]["valid_from"] == dt.datetime(2024, 1, 25, 10, 0)
    assert act2[0]["valid_to"] == act2[1]["valid_from"] == dt.datetime(2024, 3, 1, 10, 0)
    assert act2[1]["valid_to"] is None and act2[1]["change_id"] == 5
    assert sum(r["is_current"] for r in rows) == 13
