"""``civstat quality run`` and ``civstat quality docs`` through the real command line entry point."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from civstat_cli.main import main
from registry_api.core.config import get_settings
from tests.quality import factories as f
from tests.quality.test_rules import shift


@pytest.fixture
def settings_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CIVSTAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CIVSTAT_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("CIVSTAT_REGISTRY_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_docs_before_any_run_says_so(settings_in: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quality", "docs"]) == 1
    assert capsys.readouterr().out.strip() == str(settings_in / "quality_docs" / "index.html")


def test_run_reports_and_exit_code_follows_error_severity(settings_in: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f.build_warehouse(settings_in)
    assert main(["quality", "run", "--check", "fct_birth_quality", "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    assert summary["passed"] and summary["check"] == "fct_birth_quality"
    assert main(["quality", "docs"]) == 0
    assert Path(capsys.readouterr().out.strip()).exists()

    bad = shift("registration_date", [1], pd.Timedelta(days=-9))(f.births())
    f.build_warehouse(settings_in, {"fct_birth": bad})
    assert main(["quality", "run", "--check", "fct_birth_quality", "--no-docs"]) == 1
    out = capsys.readouterr().out
    assert "ERROR" in out and "fct_birth:event_before_registration" in out and "1001" in out


def test_unknown_check_and_missing_warehouse_are_user_errors(settings_in: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quality", "run"]) == 2
    assert "no warehouse" in capsys.readouterr().err
    f.small_warehouse(settings_in)
    assert main(["quality", "run", "--check", "nope"]) == 2
    assert "unknown check" in capsys.readouterr().err
