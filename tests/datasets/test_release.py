"""Releases: same inputs → same bytes (checksums), immutable content-addressed folders, a
latest pointer, and the gates that stop a release (quality, keys)."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from datasets import catalog
from datasets.pseudonyms import PseudonymKeyError
from datasets.release import (
    LATEST,
    QualityGateError,
    ReleaseError,
    latest_version,
    list_versions,
    release_all,
    verify_release,
)
from datasets.synthetic import SyntheticSpec
from pipelines.lib.publish import publish_duckdb
from pipelines.lib.warehouse import Warehouse
from registry_api.core.config import Settings
from tests.datasets.conftest import KEYS, SPEC, Released, make_env

AGGREGATES = ["births_commune_month_sex", "deaths_province_month_sex_age", "vital_events_region_year"]


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_published_data_gives_the_same_bytes_even_republished(released: Released, tmp_path: Path) -> None:
    """Re-publishing identical marts (new file, new published_at) and releasing into another
    folder without the suppression cache reproduces every file byte for byte."""
    con = duckdb.connect(str(released.wh.duckdb_path))
    try:
        as_of = con.execute(
            "select max(registered_at) from (select registered_at from fct_birth union all select registered_at from fct_death)"
        ).fetchone()[0]  # type: ignore[index]
        publish_duckdb(con, released.wh, meta={"data_as_of": as_of, "run_id": SPEC.run_id})
    finally:
        con.close()
    again = release_all(released.wh, settings=released.settings, root=tmp_path / "releases", cache=False)
    for r in again:
        first = released.results[r.name]
        assert r.version == first.version, r.name
        assert _digests(r.path) == _digests(first.path), r.name


def test_same_seed_in_another_folder_gives_the_same_versions(released: Released, tmp_path: Path, _templates) -> None:  # type: ignore[no-untyped-def]
    wh, settings, _ = make_env(tmp_path / "other", _templates)
    again = {r.name: r for r in release_all(wh, settings=settings, names=AGGREGATES + ["births_pseudonymized_health"])}
    for name, r in again.items():
        assert r.version == released.results[name].version, name


def test_rerelease_is_a_no_op_and_releases_are_read_only(fresh_env) -> None:  # type: ignore[no-untyped-def]
    wh, settings, _ = fresh_env
    first = release_all(wh, settings=settings, names=AGGREGATES)
    stamps = {r.name: {p.name: p.stat().st_mtime_ns for p in r.path.iterdir()} for r in first}
    second = release_all(wh, settings=settings, names=AGGREGATES)
    for a, b in zip(first, second, strict=True):
        assert a.created and not b.created and a.version == b.version
        assert {p.name: p.stat().st_mtime_ns for p in b.path.iterdir()} == stamps[b.name]  # untouched
        for p in b.path.iterdir():
            assert not p.stat().st_mode & 0o222, f"{p} is writable"
        assert (b.path.parent / LATEST).read_text().strip() == b.version


def test_new_data_makes_a_new_version_and_moves_latest(fresh_env, tmp_path: Path, _templates) -> None:  # type: ignore[no-untyped-def]
    wh, settings, _ = fresh_env
    old = release_all(wh, settings=settings, names=["vital_events_region_year"])[0]
    other, _, _ = make_env(tmp_path / "newer", _templates, SyntheticSpec(**{**SPEC.__dict__, "births": 6100}))
    # publish the newer marts into the first data folder: same readers, new data
    con = duckdb.connect(str(other.duckdb_path))
    try:
        publish_duckdb(con, wh, meta={"data_as_of": dt.datetime(2025, 4, 1), "run_id": "run-2"})
    finally:
        con.close()
    new = release_all(wh, settings=settings, names=["vital_events_region_year"])[0]
    assert new.version != old.version and new.created
    root = Path(settings.DATA_DIR) / "releases"
    assert latest_version(root, "vital_events_region_year") == new.version
    versions = list_versions(root, "vital_events_region_year")
    assert [v["version"] for v in versions] == [new.version, old.version]  # newest data first
    assert [v["is_latest"] for v in versions] == [True, False]
    verify_release(old.path)  # the old release is still there, intact


def test_tampering_is_detected(released: Released, tmp_path: Path) -> None:
    r = released.results["vital_events_region_year"]
    copy = tmp_path / r.version
    shutil.copytree(r.path, copy)
    csv_file = copy / "vital_events_region_year.csv"
    csv_file.chmod(0o644)
    csv_file.write_text(csv_file.read_text().replace(",true", ",false", 1))
    with pytest.raises(ReleaseError, match="does not match its descriptor"):
        verify_release(copy)


def _quality(rows: list[tuple[str, str, bool | None, str]]) -> list[dict[str, object]]:
    return [
        {"run_id": run, "suite": "fct_birth", "model": "fct_birth", "expectation": exp, "rule": exp, "severity": sev,
         "success": ok, "checked_at": dt.datetime(2025, 4, 1, 0, i, tzinfo=dt.UTC)}
        for i, (run, sev, ok, exp) in enumerate(rows)
    ]


def test_an_error_severity_failure_blocks_every_release(tmp_path: Path, _templates) -> None:  # type: ignore[no-untyped-def]
    quality = _quality([
        ("run-0", "error", False, "old_failure_since_fixed"),
        (SPEC.run_id, "error", False, "sex_in_set"),
        (SPEC.run_id, "warn", False, "age_heaping"),
        (SPEC.run_id, "error", True, "act_id_unique"),
    ])
    wh, settings, _ = make_env(tmp_path / "data", _templates, quality=quality)
    with pytest.raises(QualityGateError, match=r"1 error-severity quality check\(s\) failed in run synthetic-run-1.*sex_in_set"):
        release_all(wh, settings=settings, names=["vital_events_region_year"])
    assert not (tmp_path / "data" / "releases" / "vital_events_region_year").exists()
    # an operator may override, knowingly
    assert release_all(wh, settings=settings, names=["vital_events_region_year"], quality_gate=False)[0].created


def test_warnings_and_older_runs_do_not_block(tmp_path: Path, _templates) -> None:  # type: ignore[no-untyped-def]
    quality = _quality([
        ("run-0", "error", False, "old_failure_since_fixed"),
        (SPEC.run_id, "warn", False, "age_heaping"),
        (SPEC.run_id, "error", None, "skipped_check"),
        (SPEC.run_id, "error", True, "act_id_unique"),
    ])
    wh, settings, _ = make_env(tmp_path / "data", _templates, quality=quality)
    assert release_all(wh, settings=settings, names=["vital_events_region_year"])[0].rows > 0


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("social_protection=test-key-social-000002", "no pseudonym key for sector 'health'"),
        ("health=short", "shorter than 16"),
        ("health=the-same-key-for-both,social_protection=the-same-key-for-both", "share a pseudonym key"),
    ],
)
def test_pseudonym_keys_must_exist_be_long_and_differ(released: Released, tmp_path: Path, keys: str, message: str) -> None:
    settings = Settings(DATA_DIR=tmp_path, WAREHOUSE=released.wh.target, PSEUDONYM_KEYS=keys)
    with pytest.raises(PseudonymKeyError, match=message):
        release_all(released.wh, settings=settings, names=["vital_events_region_year", "births_pseudonymized_health"],
                    root=tmp_path / "releases")
    assert not (tmp_path / "releases").exists()  # failed before writing anything


def test_unknown_dataset_and_missing_mart_are_clear_errors(released: Released, tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="unknown dataset 'nope'"):
        release_all(released.wh, settings=released.settings, names=["nope"])
    data = tmp_path / "data"
    wh = Warehouse(str(data / "warehouse.duckdb"), data)
    data.mkdir()
    con = duckdb.connect(str(wh.duckdb_path))
    con.execute("create table dim_geography as select 1 as office_code")
    publish_duckdb(con, wh)
    con.close()
    with pytest.raises(ReleaseError, match="has no fct_birth"):
        release_all(wh, settings=Settings(DATA_DIR=data, PSEUDONYM_KEYS=KEYS), names=["births_commune_month_sex"])


def test_catalog_covers_every_release(released: Released) -> None:
    assert set(released.results) == set(catalog.DATASETS)
