"""Schema contract stability: what each administration receives is pinned here. Changing a
column is a deliberate act that updates this file (and tells the sector)."""

from __future__ import annotations

import csv
import json
import re

import pyarrow.parquet as pq
import pytest

from datasets import catalog
from datasets.release import DESCRIPTOR, verify_release
from registry_api.core.security import DIRECT_IDENTIFIERS
from tests.datasets.conftest import Released

CONTRACT: dict[str, list[tuple[str, str]]] = {
    "births_commune_month_sex": [
        ("month_start", "date"), ("region_code", "string"), ("province_code", "string"), ("commune_code", "string"),
        ("commune_name_fr", "string"), ("commune_name_ar", "string"), ("sex", "string"), ("births", "integer"),
        ("is_suppressed", "boolean"),
    ],
    "deaths_province_month_sex_age": [
        ("month_start", "date"), ("region_code", "string"), ("province_code", "string"), ("province_name_fr", "string"),
        ("province_name_ar", "string"), ("sex", "string"), ("age_group", "string"), ("deaths", "integer"),
        ("is_suppressed", "boolean"),
    ],
    "vital_events_region_year": [
        ("year", "integer"), ("region_code", "string"), ("region_name_fr", "string"), ("region_name_ar", "string"),
        ("population", "integer"), ("births", "integer"), ("births_male", "integer"), ("births_female", "integer"),
        ("deaths", "integer"), ("deaths_male", "integer"), ("deaths_female", "integer"), ("infant_deaths", "integer"),
        ("marriages", "integer"), ("divorces", "integer"), ("crude_birth_rate", "number"), ("crude_death_rate", "number"),
        ("sex_ratio_at_birth", "number"), ("infant_deaths_per_1000_births", "number"), ("mean_mother_age", "number"),
        ("has_suppressed", "boolean"),
    ],
    "deceased_adults_national_id": [
        ("national_id", "string"), ("date_of_death", "date"), ("registration_date", "date"), ("death_act_reference", "string"),
    ],
    "births_pseudonymized_health": [
        ("person_pseudonym", "string"), ("birth_month", "yearmonth"), ("sex", "string"), ("region_code", "string"),
        ("province_code", "string"), ("commune_code", "string"), ("event_place_kind", "string"), ("plurality", "integer"),
        ("mother_age", "integer"),
    ],
    "births_pseudonymized_social_protection": [
        ("person_pseudonym", "string"), ("birth_period", "string"), ("region_code", "string"), ("province_code", "string"),
        ("mother_age_group", "string"), ("multiple_birth", "boolean"), ("timeliness_class", "string"),
        ("generalisation_level", "integer"),
    ],
}
ACCESS = {
    "births_commune_month_sex": ("health", "statistics", "planning"),
    "deaths_province_month_sex_age": ("statistics", "health"),
    "vital_events_region_year": ("planning", "statistics", "health", "social_protection", "elections", "public"),
    "deceased_adults_national_id": ("elections",),
    "births_pseudonymized_health": ("health",),
    "births_pseudonymized_social_protection": ("social_protection",),
}
ARABIC = re.compile(r"[\u0600-\u06FF]")


def test_catalog_matches_the_pinned_contract() -> None:
    assert {n: [(c.name, c.type) for c in d.columns] for n, d in catalog.DATASETS.items()} == CONTRACT
    assert {n: d.sectors for n, d in catalog.DATASETS.items()} == ACCESS


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_text_exists_in_french_and_arabic(name: str) -> None:
    d = catalog.DATASETS[name]
    assert d.title_fr and d.description_fr and not ARABIC.search(d.title_fr)
    assert ARABIC.search(d.title_ar) and ARABIC.search(d.description_ar)
    for c in d.columns:
        assert c.description_fr and ARABIC.search(c.description_ar), (name, c.name)


def test_disclosure_rules_of_the_catalog() -> None:
    for d in catalog.DATASETS.values():
        names = {c.name for c in d.columns}
        if d.disclosure != "identified":
            assert not names & DIRECT_IDENTIFIERS, d.name
        if d.disclosure == "pseudonymized":
            assert not any(c.type == "date" for c in d.columns), f"{d.name}: dates are coarsened to the month"
        if d.is_public:
            assert d.licence == catalog.OPEN_LICENCE and d.disclosure == "aggregate_public"
    identified = catalog.DATASETS["deceased_adults_national_id"]
    assert len(identified.columns) == 4 and identified.sectors == ("elections",)


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_released_files_follow_the_contract(released: Released, name: str) -> None:
    r = released.results[name]
    desc = verify_release(r.path)  # hashes, sizes and the version re-checked
    assert desc["name"] == name and desc["version"] == r.version
    assert desc["profile"] == "tabular-data-package" and desc["licenses"]
    assert desc["civstat"]["rows"] == r.rows and desc["civstat"]["data_as_of"]
    assert desc["civstat"]["title_ar"] and desc["civstat"]["sectors"] == list(ACCESS[name])
    expected = [c for c, _ in CONTRACT[name]]
    for res in desc["resources"]:
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", res["hash"])
        assert res["bytes"] == (r.path / res["path"]).stat().st_size
        assert [(f["name"], f["type"]) for f in res["schema"]["fields"]] == CONTRACT[name]
        assert all(f["description"] and ARABIC.search(f["description_ar"]) for f in res["schema"]["fields"])
        assert res["rows"] == r.rows
    table = pq.read_table(r.path / f"{name}.parquet")
    assert table.schema.names == expected and table.num_rows == r.rows
    assert table.schema == catalog.DATASETS[name].schema()
    assert not table.schema.metadata  # nothing time- or tool-dependent of ours in the file
    with open(r.path / f"{name}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == expected and len(rows) == r.rows + 1
    assert sorted(p.name for p in r.path.iterdir()) == sorted([f"{name}.csv", f"{name}.parquet", DESCRIPTOR])
    assert r.rows > 0


def test_primary_keys_are_unique_in_the_releases(released: Released) -> None:
    import duckdb

    for name, r in released.results.items():
        key = ", ".join(catalog.DATASETS[name].primary_key)
        dup = duckdb.sql(f"select count(*) from (select {key} from '{r.path / (name + '.parquet')}' group by all having count(*) > 1)")
        assert dup.fetchall()[0][0] == 0, name


def test_descriptor_is_valid_json_with_utf8_arabic(released: Released) -> None:
    r = released.results["vital_events_region_year"]
    text = (r.path / DESCRIPTOR).read_text(encoding="utf-8")
    assert "وقائع" in text  # not \\u-escaped
    assert json.loads(text)["licenses"][0]["name"] == "CC-BY-4.0"
