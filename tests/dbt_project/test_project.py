"""The dbt project's shape: contracts, names, tests, schemas and layering, on the built manifest."""

from __future__ import annotations

import re

import pytest

from tests.dbt_project.fixtures import DBT_PROJECT_DIR, Warehouse

# docs/contracts.md §3: the columns dashboards, quality and datasets rely on.
CONTRACT_COLUMNS = {
    "dim_geography": "office_code, office_kind, office_name_fr, office_name_ar, commune_code, commune_name_fr, "
                     "commune_name_ar, province_code, province_name_fr, province_name_ar, region_code, region_name_fr, "
                     "region_name_ar, country_code, live_since, population_2024",
    "dim_region": "region_code, region_name_fr, region_name_ar, population_2014, population_2024",
    "dim_date": "date_day, year, month, month_start, day_of_week, is_working_day",
    "fct_birth": "act_id, office_code, commune_code, province_code, region_code, register_year, act_number, "
                 "event_date, event_month, registration_date, registered_at, registration_delay_days, timeliness_class, "
                 "registration_basis, sex, is_cancelled, is_corrected, correction_count, version, mother_age, father_age, "
                 "plurality, mother_nationality, father_nationality, event_place_kind",
    "fct_death": "act_id, office_code, commune_code, province_code, region_code, register_year, act_number, "
                 "event_date, event_month, registration_date, registered_at, registration_delay_days, timeliness_class, "
                 "registration_basis, sex, is_cancelled, is_corrected, correction_count, version, age_years, age_group, "
                 "is_infant, national_id_present, birth_date, event_place_kind",
    "fct_marriage": "family_event_id, event_date, event_month, court_province_code, region_code, husband_age, "
                    "wife_age, notes_applied, notes_expected",
    "fct_divorce": "family_event_id, event_date, event_month, court_province_code, region_code, husband_age, "
                   "wife_age, divorce_kind, notes_applied, notes_expected",
    "fct_declaration": "declaration_id, tracking_number, event_type, event_date, office_code, region_code, "
                       "province_code, channel, status, submitted_at, submitted_date, deadline_date, decided_at, "
                       "decided_date, act_id, days_to_registration, is_pending, is_overdue",
    "fct_document_request": "request_id, act_id, office_code, region_code, document_kind, channel, status, "
                            "requested_at, issued_at, hours_to_issue",
    "fct_notification": "notification_id, event_type, source_kind, from_office_code, from_region_code, "
                        "to_office_code, to_region_code, status, created_at, received_at, applied_at, "
                        "hours_to_receive, hours_to_apply, hours_total",
    "fct_act_change": "change_id, act_id, office_code, region_code, change_kind, legal_basis_kind, changed_at, "
                      "changed_date",
    "ind_vital_region_month": "region_code, region_name_fr, region_name_ar, month_start, year, month, births, "
                              "births_male, births_female, deaths, deaths_male, deaths_female, infant_deaths, "
                              "marriages, divorces, population, crude_birth_rate, crude_death_rate, "
                              "sex_ratio_at_birth, mean_mother_age, infant_deaths_per_1000_births",
    "ind_timeliness": "region_code, office_code, registration_month, event_type, registrations, on_time, late, "
                      "delayed, share_on_time, share_late, share_delayed",
    "ind_completeness": "region_code, year, sex, event_type, expected, registered_within_deadline, "
                        "registered_within_1y, registered_within_5y, completeness_deadline, completeness_1y, "
                        "completeness_5y",
    "ind_office_daily": "office_code, province_code, region_code, day, births_registered, deaths_registered, "
                        "acts_registered, declarations_received, declarations_registered, declarations_rejected, "
                        "declarations_expired, backlog_end_of_day, p50_days_to_registration, "
                        "p90_days_to_registration, documents_issued, notifications_waiting",
    "ind_notification_lag": "from_region_code, to_region_code, event_type, notifications, applied, p50_hours, "
                            "p95_hours",
    "ind_rollout": "region_code, month_start, offices_total, offices_live, share_offices_live, events, "
                   "events_electronic, share_electronic",
    "ind_age_heaping": "region_code, year, measure, n_ages_23_62, whipple_index",
    "int_act__history": "act_id, valid_from, valid_to",
}


def _models(wh: Warehouse) -> dict[str, dict]:
    return {n["name"]: n for n in wh.manifest()["nodes"].values() if n["resource_type"] == "model"}


def test_contract_columns_exist_in_the_warehouse(warehouse: Warehouse) -> None:
    for model, expected in CONTRACT_COLUMNS.items():
        cols = _columns(warehouse, model)
        missing = [c for c in expected.split(", ") if c not in cols]
        assert not missing, f"{model} lacks {missing}"
    # the indicators start with exactly the contract columns, in order
    for model, expected in CONTRACT_COLUMNS.items():
        if model.startswith("ind_"):
            cols = _columns(warehouse, model)
            assert cols[: len(expected.split(", "))] == expected.split(", "), model


def _columns(warehouse: Warehouse, model: str) -> list[str]:
    rows = warehouse.query(
        "select column_name from information_schema.columns"
        f" where table_schema = '{warehouse.models_schema}' and table_name = '{model}'"
        " order by ordinal_position")
    return [r["column_name"] for r in rows]


def test_models_land_in_one_schema_and_sources_in_raw(warehouse: Warehouse) -> None:
    schemas = {r["table_schema"] for r in warehouse.query(
        "select distinct table_schema from information_schema.tables"
        " where table_schema not in ('information_schema', 'pg_catalog')")}
    # DuckDB also keeps the publish log (keys each incremental build changed, macros/publish_log.sql)
    assert schemas == {warehouse.models_schema, "raw"} | ({"publish_log"} if warehouse.kind == "duckdb" else set())
    models = _models(warehouse)
    assert {m["schema"] for m in models.values()} == {warehouse.models_schema}
    sources = warehouse.manifest()["sources"].values()
    assert {s["schema"] for s in sources} == {"raw"}
    assert {s["identifier"] for s in sources} == {
        "registry_changes", "registry_regions", "registry_provinces", "registry_communes", "registry_offices",
        "registry_settings"}


def test_indicators_have_enforced_contracts_and_described_columns(warehouse: Warehouse) -> None:
    models = _models(warehouse)
    indicators = {k: v for k, v in models.items() if k.startswith("ind_")}
    assert set(indicators) == {m for m in CONTRACT_COLUMNS if m.startswith("ind_")}
    for name, node in indicators.items():
        assert node["config"]["contract"]["enforced"] is True, name
        assert node["description"], name
        for column in node["columns"].values():
            assert column["data_type"], (name, column["name"])
            assert column["description"], (name, column["name"])


def test_every_model_is_described_and_tested(warehouse: Warehouse) -> None:
    manifest = warehouse.manifest()
    models = _models(warehouse)
    tested = {dep for n in manifest["nodes"].values() if n["resource_type"] == "test"
              for dep in n["depends_on"]["nodes"]}
    for name, node in models.items():
        assert node["description"], f"{name} has no description"
        assert node["unique_id"] in tested, f"{name} has no data test"
        undocumented = [c for c, col in node["columns"].items() if not col["description"]]
        assert not undocumented, (name, undocumented)
        built = set(_columns(warehouse, name))
        assert set(node["columns"]) <= built, (name, set(node["columns"]) - built)
        assert built <= set(node["columns"]), (name, "columns not documented", built - set(node["columns"]))


def test_naming_layering_and_incremental_config(warehouse: Warehouse) -> None:
    models = _models(warehouse)
    prefixes = {"staging": "stg_registry__", "intermediate": "int_", "marts": ("dim_", "fct_"), "indicators": "ind_"}
    for name, node in models.items():
        folder = node["fqn"][1]
        assert name.startswith(prefixes[folder]), (folder, name)
        if folder != "staging":
            assert not node["sources"], f"{name} reads a source: only staging may"
        sql = (DBT_PROJECT_DIR / node["original_file_path"]).read_text("utf-8")
        assert "select * from final" in sql or "select * from renamed" in sql, name
        if node["config"]["materialized"] == "incremental":
            assert node["config"]["incremental_strategy"] == "logged_delete_insert", name  # delete+insert + publish log
            assert node["config"]["unique_key"], name
            assert "feed_position" in sql, f"{name} must select new changes by feed position"
            assert not re.search(r"current_(date|timestamp)|now\(\)", sql), f"{name} uses the wall clock"
    incremental = {n for n, m in models.items() if m["config"]["materialized"] == "incremental"}
    assert {"int_act__history", "stg_registry__acts", "fct_birth", "fct_death", "ind_vital_region_month",
            "ind_timeliness", "ind_office_daily"} <= incremental


@pytest.mark.postgres
def test_duckdb_and_postgres_give_the_same_indicators(duckdb_warehouse: Warehouse,
                                                      postgres_warehouse: Warehouse) -> None:
    from tests.dbt_project.test_incremental import same_rows, snapshot

    models = [n for n in _models(duckdb_warehouse) if n.startswith(("ind_", "fct_", "dim_", "int_act__history"))]
    assert len(models) == 19  # 7 indicators, 8 facts, 3 dimensions, the history
    different = [m for m in models if not same_rows(snapshot(duckdb_warehouse, m), snapshot(postgres_warehouse, m))]
    assert different == []
