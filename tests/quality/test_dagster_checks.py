"""The checks as Dagster asset checks: an error-severity failure stops publication, a warning
does not. A small graph (a ``fct_birth`` asset, our real blocking check, a downstream publish
asset) is materialized in-process on a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipelines.defs.quality import QualityResource, build_check, build_checks, defs
from pipelines.lib.warehouse import Warehouse
from pipelines.lib.writer import duckdb_writer
from quality.suites import CHECKS, CHECKS_BY_NAME
from tests.quality import factories as f
from tests.quality.test_rules import rows, shift


def _graph(wh: Warehouse, births: pd.DataFrame, published: Path) -> list:  # type: ignore[type-arg]
    @dg.asset(name="fct_birth")
    def fct_birth() -> None:
        with duckdb_writer(wh) as con:
            f.write_table(con, "main.fct_birth", births, f.MARTS["fct_birth"][0])

    @dg.asset(deps=[fct_birth])
    def publish() -> None:
        published.write_text("published")

    return [fct_birth, publish, build_check(CHECKS_BY_NAME["fct_birth_quality"])]


def _materialize(tmp_path: Path, births: pd.DataFrame) -> tuple[dg.ExecuteInProcessResult, Path]:
    wh = f.small_warehouse(tmp_path)
    published = tmp_path / "published.txt"
    result = dg.materialize(
        _graph(wh, births, published),
        resources={"quality": QualityResource(warehouse=str(wh.duckdb_path), data_dir=str(tmp_path),
                                              registry_url="sqlite:///" + str(tmp_path / "none.sqlite"))},
        raise_on_error=False,
    )
    return result, published


def _evaluation(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_error_severity_failure_blocks_publication(tmp_path: Path) -> None:
    bad = shift("registration_date", [3], pd.Timedelta(days=-10))(f.births())
    result, published = _materialize(tmp_path, bad)
    ev = _evaluation(result)
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR
    assert "event_before_registration" in ev.metadata["failed_error_rules"].value
    assert not result.success
    assert not published.exists()
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {dg.AssetKey("fct_birth")}


def test_warning_does_not_block_publication(tmp_path: Path) -> None:
    warn_only = rows([2], mother_age=65)(f.births())
    result, published = _materialize(tmp_path, warn_only)
    ev = _evaluation(result)
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
    assert ev.metadata["failed_warn_rules"].value == "fct_birth:mother_age_plausible"
    assert result.success and published.read_text() == "published"
    assert dg.AssetKey("publish") in {e.asset_key for e in result.get_asset_materialization_events()}


def test_clean_data_passes_and_publishes(tmp_path: Path) -> None:
    result, published = _materialize(tmp_path, f.births())
    assert _evaluation(result).passed and published.exists()


def test_definitions_attach_every_check_to_its_asset() -> None:
    specs = {k: v for k, v in ((c.key, c) for c in defs.asset_checks for c in c.check_specs)}
    assert len(specs) == len(CHECKS)
    keys = {(k.asset_key.to_user_string(), k.name) for k in specs}
    assert ("registry/changes", "landed_changes_quality") in keys
    assert ("registry/changes", "landing_reconciliation") in keys
    assert ("fct_birth", "fct_birth_quality") in keys and ("fct_birth", "acts_reconciliation") in keys
    assert ("ind_age_heaping", "ind_age_heaping_quality") in keys
    assert all(s.blocking for s in specs.values())
    dg.Definitions.validate_loadable(defs)


@pytest.mark.parametrize("present", [{"fct_birth"}, {"fct_birth", "fct_death"}])
def test_build_checks_keeps_only_checks_whose_assets_exist(present: set[str]) -> None:
    checks = build_checks([dg.AssetKey([k]) for k in present])
    names = {s.name for c in checks for s in c.check_specs}
    assert "fct_birth_quality" in names
    assert ("acts_reconciliation" in names) == ("fct_death" in present)
