"""Small, hand-built warehouse tables with the contract's column names (docs/contracts.md §2-3).

Every factory returns a *clean* frame: each rule of each suite passes on it. A test copies one,
plants exactly one kind of defect in a known number of rows, and expects exactly that count.
``build_warehouse`` writes all of them (plus the raw layer) into a real DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.lib.warehouse import Warehouse
from quality.suites import (
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
    registry_changes,
)
from registry_api.services.geography import geography

REGIONS = ("01", "02")
SQL_TYPES = {"integer": "bigint", "number": "double", "text": "varchar", "date": "date",
             "timestamp": "timestamptz", "boolean": "boolean"}
UTC = dt.UTC


def reference() -> dict[str, list[dict[str, Any]]]:
    """Regions 01 and 02 of the real geography, plus the Paris consulate."""
    g = geography()
    regions = [r for r in g["regions"] if r["region_code"] in REGIONS]
    provinces = [p for p in g["provinces"] if p["region_code"] in REGIONS]
    communes = [c for c in g["communes"] if c["region_code"] in REGIONS]
    offices = [o for o in g["offices"] if o["region_code"] in REGIONS or o["office_code"] == "CON-FR-PAR"]
    return {"regions": regions, "provinces": provinces, "communes": communes, "offices": offices}


def _offices() -> list[dict[str, Any]]:
    return [o for o in reference()["offices"] if o["office_kind"] != "consular"]


OFFICES = [o["office_code"] for o in _offices()[:3]]


def _office(i: int) -> dict[str, Any]:
    o = _offices()[i % 3]
    return {"office_code": o["office_code"], "commune_code": o["commune_code"],
            "province_code": o["province_code"], "region_code": o["region_code"]}


def _ts(d: dt.date, hour: int = 10) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.combine(d, dt.time(hour), tzinfo=UTC))


# ----------------------------------------------------------------------------- facts
def births(n: int = 12) -> pd.DataFrame:
    rows = []
    for i in range(n):
        ev = dt.date(2024, 1, 1) + dt.timedelta(days=i)
        reg = ev + dt.timedelta(days=3)
        rows.append({
            "act_id": 1000 + i, **_office(i), "register_year": 2024, "act_number": i // 3 + 1,
            "event_date": ev, "event_month": ev.replace(day=1), "registration_date": reg,
            "registered_at": _ts(reg), "registration_delay_days": 3, "timeliness_class": "on_time",
            "registration_basis": "declaration", "sex": "MF"[i % 2], "is_cancelled": False,
            "is_corrected": False, "correction_count": 0, "version": 1, "mother_age": 20 + i % 20,
            "father_age": 25 + i % 30, "plurality": 1, "mother_nationality": "MA",
            "father_nationality": "MA", "event_place_kind": "health_facility",
        })
    return pd.DataFrame(rows)


def deaths(n: int = 12) -> pd.DataFrame:
    rows = []
    for i in range(n):
        ev = dt.date(2024, 2, 1) + dt.timedelta(days=i)
        reg = ev + dt.timedelta(days=1)
        age = 40 + i
        rows.append({
            "act_id": 5000 + i, **_office(i), "register_year": 2024, "act_number": i // 3 + 1,
            "event_date": ev, "event_month": ev.replace(day=1), "registration_date": reg,
            "registered_at": _ts(reg), "registration_delay_days": 1, "timeliness_class": "on_time",
            "registration_basis": "declaration", "sex": "FM"[i % 2], "is_cancelled": False,
            "is_corrected": False, "correction_count": 0, "version": 1, "age_years": age,
            "age_group": "35-44" if age < 45 else "45-54", "is_infant": False,
            "national_id_present": True, "birth_date": ev.replace(year=ev.year - age),
            "event_place_kind": "home",
        })
    return pd.DataFrame(rows)


def _family(n: int, first_id: int, divorce: bool) -> pd.DataFrame:
    rows = []
    for i in range(n):
        ev = dt.date(2024, 3, 1) + dt.timedelta(days=i)
        o = _office(i)
        row = {"family_event_id": first_id + i, "event_date": ev, "event_month": ev.replace(day=1),
               "court_province_code": o["province_code"], "region_code": o["region_code"],
               "husband_age": 30 + i, "wife_age": 25 + i, "notes_applied": 1, "notes_expected": 2}
        if divorce:
            row["divorce_kind"] = ("talaq", "tatliq", "mutual_consent", "other")[i % 4]
        rows.append(row)
    return pd.DataFrame(rows)


def marriages(n: int = 8) -> pd.DataFrame:
    return _family(n, 100, divorce=False)


def divorces(n: int = 8) -> pd.DataFrame:
    return _family(n, 200, divorce=True)


def declarations(n: int = 8) -> pd.DataFrame:
    rows = []
    for i in range(n):
        ev = dt.date(2024, 4, 1) + dt.timedelta(days=i)
        sub = ev + dt.timedelta(days=2)
        dec = sub + dt.timedelta(days=1)
        o = _office(i)
        rows.append({
            "declaration_id": 300 + i, "tracking_number": f"D{300 + i:08d}", "event_type": "birth",
            "event_date": ev, "office_code": o["office_code"], "region_code": o["region_code"],
            "province_code": o["province_code"], "channel": "portal", "status": "registered",
            "submitted_at": _ts(sub), "submitted_date": sub, "deadline_date": ev + dt.timedelta(days=30),
            "decided_at": _ts(dec), "decided_date": dec, "act_id": 1000 + i, "days_to_registration": 1,
            "is_pending": False, "is_overdue": False,
        })
    return pd.DataFrame(rows)


def document_requests(n: int = 8) -> pd.DataFrame:
    rows = []
    for i in range(n):
        req = dt.date(2024, 5, 1) + dt.timedelta(days=i)
        o = _office(i)
        rows.append({
            "request_id": 400 + i, "act_id": 1000 + i, "office_code": o["office_code"],
            "region_code": o["region_code"], "document_kind": "extract", "channel": "counter",
            "status": "issued", "requested_at": _ts(req, 9), "issued_at": _ts(req, 11), "hours_to_issue": 2.0,
        })
    return pd.DataFrame(rows)


def notifications(n: int = 8) -> pd.DataFrame:
    rows = []
    for i in range(n):
        d = dt.date(2024, 6, 1) + dt.timedelta(days=i)
        a, b = _office(i), _office(i + 1)
        rows.append({
            "notification_id": 600 + i, "event_type": "marriage", "source_kind": "court",
            "from_office_code": a["office_code"], "from_region_code": a["region_code"],
            "to_office_code": b["office_code"], "to_region_code": b["region_code"], "status": "applied",
            "created_at": _ts(d, 8), "received_at": _ts(d, 9), "applied_at": _ts(d, 12),
            "hours_to_receive": 1.0, "hours_to_apply": 3.0, "hours_total": 4.0,
        })
    return pd.DataFrame(rows)


def act_changes(n: int = 8) -> pd.DataFrame:
    rows = []
    for i in range(n):
        d = dt.date(2024, 1, 5) + dt.timedelta(days=i)
        o = _office(i)
        rows.append({"change_id": 10 + i, "act_id": 1000 + i, "office_code": o["office_code"],
                     "region_code": o["region_code"], "change_kind": "create", "legal_basis_kind": None,
                     "changed_at": _ts(d), "changed_date": d})
    return pd.DataFrame(rows)


def act_history(n: int = 6) -> pd.DataFrame:
    rows = []
    for i in range(n):
        t0 = _ts(dt.date(2024, 1, 5) + dt.timedelta(days=i))
        rows.append({"act_id": 1000 + i, "valid_from": t0, "valid_to": t0 + pd.Timedelta(days=1)})
        rows.append({"act_id": 1000 + i, "valid_from": t0 + pd.Timedelta(days=1), "valid_to": None})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- dimensions
def dim_geography_rows() -> pd.DataFrame:
    ref = reference()
    com = {c["commune_code"]: c for c in ref["communes"]}
    pro = {p["province_code"]: p for p in ref["provinces"]}
    reg = {r["region_code"]: r for r in ref["regions"]}
    rows = []
    for o in ref["offices"]:
        c, p, r = com.get(o["commune_code"] or ""), pro.get(o["province_code"] or ""), reg.get(o["region_code"] or "")
        rows.append({
            "office_code": o["office_code"], "office_kind": o["office_kind"], "office_name_fr": o["name_fr"],
            "office_name_ar": o["name_ar"], "commune_code": o["commune_code"],
            "commune_name_fr": c and c["name_fr"], "commune_name_ar": c and c["name_ar"],
            "province_code": o["province_code"], "province_name_fr": p and p["name_fr"],
            "province_name_ar": p and p["name_ar"], "region_code": o["region_code"],
            "region_name_fr": r and r["name_fr"], "region_name_ar": r and r["name_ar"],
            "country_code": o["country_code"], "live_since": o["live_since"],
            "population_2024": o["population_2024"],
        })
    return pd.DataFrame(rows)


def dim_region_rows() -> pd.DataFrame:
    return pd.DataFrame([{"region_code": r["region_code"], "region_name_fr": r["name_fr"], "region_name_ar": r["name_ar"],
                          "population_2014": r["population_2014"], "population_2024": r["population_2024"]}
                         for r in reference()["regions"]])


def dim_date_rows(days: int = 40) -> pd.DataFrame:
    rows = []
    for i in range(days):
        d = dt.date(2024, 1, 1) + dt.timedelta(days=i)
        rows.append({"date_day": d, "year": d.year, "month": d.month, "month_start": d.replace(day=1),
                     "day_of_week": d.isoweekday(), "is_working_day": d.weekday() < 5})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- indicators
def ind_vital_rows() -> pd.DataFrame:
    rows = []
    for r in REGIONS:
        for m in (1, 2):
            rows.append({
                "region_code": r, "region_name_fr": f"R{r}", "region_name_ar": f"R{r}",
                "month_start": dt.date(2024, m, 1), "year": 2024, "month": m, "births": 10, "births_male": 5,
                "births_female": 5, "deaths": 4, "deaths_male": 2, "deaths_female": 2, "infant_deaths": 1,
                "marriages": 3, "divorces": 1, "population": 100000, "crude_birth_rate": 1.2,
                "crude_death_rate": 0.5, "sex_ratio_at_birth": 100.0, "mean_mother_age": 28.5,
                "infant_deaths_per_1000_births": 100.0,
            })
    return pd.DataFrame(rows)


def ind_timeliness_rows() -> pd.DataFrame:
    rows = []
    for i, office in enumerate(OFFICES):
        for ev in ("birth", "death"):
            rows.append({"region_code": _office(i)["region_code"], "office_code": office,
                         "registration_month": dt.date(2024, 1, 1), "event_type": ev, "registrations": 10,
                         "on_time": 7, "late": 2, "delayed": 1, "share_on_time": 0.7, "share_late": 0.2,
                         "share_delayed": 0.1})
    return pd.DataFrame(rows)


def ind_completeness_rows() -> pd.DataFrame:
    rows = []
    for r in REGIONS:
        for sex in ("M", "F"):
            for ev in ("birth", "death"):
                rows.append({"region_code": r, "year": 2024, "sex": sex, "event_type": ev, "expected": 100.0,
                             "registered_within_deadline": 80, "registered_within_1y": 90,
                             "registered_within_5y": 95, "completeness_deadline": 0.8, "completeness_1y": 0.9,
                             "completeness_5y": 0.95})
    return pd.DataFrame(rows)


def ind_office_daily_rows(days: int = 5) -> pd.DataFrame:
    rows = []
    for i, office in enumerate(OFFICES):
        o = _office(i)
        for k in range(days):
            rows.append({
                "office_code": office, "province_code": o["province_code"], "region_code": o["region_code"],
                "day": dt.date(2024, 1, 1) + dt.timedelta(days=k), "births_registered": 3, "deaths_registered": 1,
                "acts_registered": 4, "declarations_received": 2, "declarations_registered": 1,
                "declarations_rejected": 0, "declarations_expired": 0, "backlog_end_of_day": 1,
                "p50_days_to_registration": 1.0, "p90_days_to_registration": 3.0, "documents_issued": 5,
                "notifications_waiting": 0,
            })
    return pd.DataFrame(rows)


def ind_notification_lag_rows() -> pd.DataFrame:
    return pd.DataFrame([{"from_region_code": a, "to_region_code": b, "event_type": "marriage", "notifications": 10,
                          "applied": 8, "p50_hours": 5.0, "p95_hours": 20.0} for a in REGIONS for b in REGIONS])


def ind_rollout_rows() -> pd.DataFrame:
    return pd.DataFrame([{"region_code": r, "month_start": dt.date(2024, m, 1), "offices_total": 10, "offices_live": 8,
                          "share_offices_live": 0.8, "events": 100, "events_electronic": 60, "share_electronic": 0.6}
                         for r in REGIONS for m in (1, 2)])


def ind_age_heaping_rows() -> pd.DataFrame:
    return pd.DataFrame([{"region_code": r, "year": 2024, "measure": m, "n_ages_23_62": 100, "whipple_index": 110.0}
                         for r in REGIONS for m in ("age_at_death", "mother_age", "father_age")])


# ----------------------------------------------------------------------------- raw layer
def act_image(row: Mapping[str, Any], act_type: str, **extra: Any) -> dict[str, Any]:
    """An act after-image (contract §1) for a fact row."""
    img = {
        "act_id": int(row["act_id"]), "act_type": act_type, "office_code": row["office_code"],
        "register_year": int(row["register_year"]), "act_number": int(row["act_number"]), "status": "active",
        "version": 1, "registration_basis": "declaration", "event_date": row["event_date"].isoformat(),
        "registration_date": row["registration_date"].isoformat(), "sex": row["sex"],
        "birth_date": (row.get("birth_date") or row["event_date"]).isoformat(),
        "age_years": row.get("age_years"), "mother_age": row.get("mother_age"), "father_age": row.get("father_age"),
        "national_id": extra.pop("national_id", "AB123456" if act_type == "death" else None),
        "event_place_kind": row["event_place_kind"], "marginal_notes": [],
    }
    for k in ("age_years", "mother_age", "father_age"):
        if img[k] is not None:
            img[k] = int(img[k])
    img.update(extra)
    return img


def change_row(change_id: int, entity_type: str, entity_id: int, kind: str, image: dict[str, Any], *,
               act_id: int | None = None, office_code: str | None = None, version: int = 1,
               at: dt.datetime | None = None, landed_at: dt.datetime | None = None, txid: int = 0) -> dict[str, Any]:
    at = at or dt.datetime(2024, 6, 1, 10, tzinfo=UTC) + dt.timedelta(seconds=change_id)
    return {
        "change_id": change_id, "txid": txid, "entity_type": entity_type, "entity_id": entity_id, "act_id": act_id,
        "office_code": office_code, "change_kind": kind, "version": version,
        "after_image": json.dumps(image), "actor": "officer#1", "reason": None, "legal_basis": None,
        "changed_at": at, "landed_at": landed_at or at + dt.timedelta(minutes=1), "landing_run_id": "run-1",
    }


def raw_changes(b: pd.DataFrame | None = None, d: pd.DataFrame | None = None, *, marriages_n: int = 2) -> pd.DataFrame:
    """One create change per birth and death act, and marriages between the first births."""
    b = births() if b is None else b
    d = deaths() if d is None else d
    rows, cid = [], 1
    for frame, act_type in ((b, "birth"), (d, "death")):
        for r in frame.to_dict("records"):
            rows.append(change_row(cid, "act", r["act_id"], "create", act_image(r, act_type),
                                   act_id=r["act_id"], office_code=r["office_code"]))
            cid += 1
    males = [r for r in b.to_dict("records") if r["sex"] == "M"]
    females = [r for r in b.to_dict("records") if r["sex"] == "F"]
    for i in range(marriages_n):
        h, w = males[i], females[i]
        image = {"family_event_id": 700 + i, "event_type": "marriage", "husband_birth_act_id": int(h["act_id"]),
                 "wife_birth_act_id": int(w["act_id"]), "husband_age": 30, "wife_age": 25, "version": 1}
        rows.append(change_row(cid, "family_event", 700 + i, "create", image, office_code=h["office_code"]))
        cid += 1
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- writing
MARTS: dict[str, tuple[dict[str, str], Any]] = {
    "fct_birth": (fct_birth.COLUMNS, births), "fct_death": (fct_death.COLUMNS, deaths),
    "fct_marriage": (fct_marriage.COLUMNS, marriages), "fct_divorce": (fct_divorce.COLUMNS, divorces),
    "fct_declaration": (fct_declaration.COLUMNS, declarations),
    "fct_document_request": (fct_document_request.COLUMNS, document_requests),
    "fct_notification": (fct_notification.COLUMNS, notifications),
    "fct_act_change": (fct_act_change.COLUMNS, act_changes),
    "int_act__history": (int_act__history.COLUMNS, act_history),
    "dim_geography": (dim_geography.COLUMNS, dim_geography_rows), "dim_region": (dim_region.COLUMNS, dim_region_rows),
    "dim_date": (dim_date.COLUMNS, dim_date_rows),
    "ind_vital_region_month": (ind_vital_region_month.COLUMNS, ind_vital_rows),
    "ind_timeliness": (ind_timeliness.COLUMNS, ind_timeliness_rows),
    "ind_completeness": (ind_completeness.COLUMNS, ind_completeness_rows),
    "ind_office_daily": (ind_office_daily.COLUMNS, ind_office_daily_rows),
    "ind_notification_lag": (ind_notification_lag.COLUMNS, ind_notification_lag_rows),
    "ind_rollout": (ind_rollout.COLUMNS, ind_rollout_rows),
    "ind_age_heaping": (ind_age_heaping.COLUMNS, ind_age_heaping_rows),
}
RAW_CHANGES_COLUMNS = {**registry_changes.COLUMNS, "after_image": "json"}


def write_table(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, columns: Mapping[str, str],
                *, primary_key: str | None = None) -> None:
    """Create ``name`` with the contract's types and insert ``df`` (columns in contract order)."""
    types = {c: SQL_TYPES.get(t, t) for c, t in columns.items()}
    ddl = ", ".join(f"{c} {t}" for c, t in types.items())
    if primary_key:
        ddl += f", primary key ({primary_key})"
    con.execute(f"create or replace table {name} ({ddl})")
    if len(df):
        con.register("_src", df[list(columns)])
        casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in types.items())
        con.execute(f"insert into {name} select {casts} from _src")
        con.unregister("_src")


def write_reference(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    for name, rows in reference().items():
        con.register("_ref", pd.DataFrame(rows))
        con.execute(f"create or replace table raw.registry_{name} as select * from _ref")
        con.unregister("_ref")


def write_raw(con: duckdb.DuckDBPyConnection, changes: pd.DataFrame, *, primary_key: bool = True,
              cursor: str | None = None) -> None:
    con.execute("create schema if not exists raw")
    write_table(con, "raw.registry_changes", changes, RAW_CHANGES_COLUMNS,
                primary_key="change_id" if primary_key else None)
    con.execute("create or replace table raw.landing_state (source varchar primary key, cursor varchar,"
                " landed_rows bigint, updated_at timestamptz)")
    if cursor is None and len(changes):
        last = changes.sort_values(["txid", "change_id"]).iloc[-1]
        cursor = f"{int(last['txid'])}.{int(last['change_id'])}"
    con.execute("insert into raw.landing_state values ('registry.changes', ?, ?, now())",
                [cursor or "0", len(changes)])


def build_warehouse(tmp_path: Path, overrides: Mapping[str, pd.DataFrame] | None = None,
                    raw: pd.DataFrame | None = None) -> Warehouse:
    """A DuckDB working warehouse with every mart (clean unless overridden) and the raw layer."""
    overrides = dict(overrides or {})
    wh = Warehouse(str(tmp_path / "warehouse.duckdb"), tmp_path)
    con = duckdb.connect(str(wh.duckdb_path))
    try:
        con.execute("set TimeZone = 'UTC'")
        write_reference(con)
        frames = {name: overrides.get(name, make()) for name, (_, make) in MARTS.items()}
        for name, (columns, _) in MARTS.items():
            write_table(con, f"main.{name}", frames[name], columns)
        write_raw(con, raw if raw is not None else raw_changes(frames["fct_birth"], frames["fct_death"]))
    finally:
        con.close()
    return wh


def small_warehouse(tmp_path: Path, tables: Mapping[str, pd.DataFrame] | None = None,
                    raw: pd.DataFrame | None = None, *, raw_primary_key: bool = True) -> Warehouse:
    """Reference codes plus only the given marts (and raw changes if given): one test's warehouse."""
    wh = Warehouse(str(tmp_path / "warehouse.duckdb"), tmp_path)
    con = duckdb.connect(str(wh.duckdb_path))
    try:
        con.execute("set TimeZone = 'UTC'")
        write_reference(con)
        for name, df in (tables or {}).items():
            write_table(con, f"main.{name}", df, MARTS[name][0])
        if raw is not None:
            write_raw(con, raw, primary_key=raw_primary_key)
    finally:
        con.close()
    return wh


# ----------------------------------------------------------------------------- PostgreSQL
PG_TYPES = {**SQL_TYPES, "number": "double precision", "json": "json"}


def _py(v: Any) -> Any:
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):
        return v.item()
    return v


def write_table_pg(conn: Any, name: str, df: pd.DataFrame, columns: Mapping[str, str]) -> None:
    """Same as ``write_table`` on a psycopg connection (autocommit)."""
    types = {c: PG_TYPES.get(t, t) for c, t in columns.items()}
    conn.execute(f"drop table if exists {name}")
    conn.execute(f"create table {name} ({', '.join(f'{c} {t}' for c, t in types.items())})")
    marks = ", ".join(["%s"] * len(types))
    with conn.cursor() as cur:
        cur.executemany(f"insert into {name} values ({marks})",
                        [[_py(v) for v in row] for row in df[list(columns)].itertuples(index=False)])


def pg_warehouse(url: str, tmp_path: Path, tables: Mapping[str, pd.DataFrame], raw: pd.DataFrame | None = None) -> Warehouse:
    import psycopg

    wh = Warehouse(url, tmp_path)
    with psycopg.connect(wh.pg_dsn, autocommit=True) as conn:
        conn.execute("set TimeZone to 'UTC'")
        conn.execute("create schema if not exists raw")
        conn.execute("create schema if not exists analytics")
        for ref, rows in reference().items():
            df = pd.DataFrame(rows)
            write_table_pg(conn, f"raw.registry_{ref}", df, {
                c: "bigint" if pd.api.types.is_numeric_dtype(df[c]) else "text" for c in df.columns if c != "live_since"})
        for name, df in tables.items():
            write_table_pg(conn, f"analytics.{name}", df, MARTS[name][0])
        if raw is not None:
            write_table_pg(conn, "raw.registry_changes", raw, RAW_CHANGES_COLUMNS)
            conn.execute("create table raw.landing_state (source text primary key, cursor text, landed_rows bigint,"
                         " updated_at timestamptz)")
            last = raw.sort_values(["txid", "change_id"]).iloc[-1]
            conn.execute("insert into raw.landing_state values ('registry.changes', %s, %s, now())",
                         [f"{int(last['txid'])}.{int(last['change_id'])}", len(raw)])
    return wh
