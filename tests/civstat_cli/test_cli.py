from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def civstat(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "civstat_cli.main", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=1500)


def test_token_create_prints_the_token_alone_and_bad_input_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "CIVSTAT_DATA_DIR": str(tmp_path)}
    ok = civstat("token", "create", "--role", "officer", "--office", "04.421.01.05", env=env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().startswith("cst_") and len(ok.stdout.strip().splitlines()) == 1
    bad = civstat("token", "create", "--role", "officer", "--office", "nope", env=env)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "unknown office" in bad.stderr
    missing = civstat("token", "create", "--role", "supervisor", env=env)
    assert missing.returncode == 2 and "needs --province" in missing.stderr


@pytest.mark.timeout(1500)
def test_demo_once_runs_the_platform_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "CIVSTAT_DATA_DIR": str(tmp_path / "data")}
    out = civstat("demo", "--once", "--no-history", "--port", "18099", env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Ready" in out.stdout and "demo_tokens.json" in out.stdout
    assert (tmp_path / "data" / "registry.sqlite").exists()
    # each step says what happened in a line or a table, not as a data dump; dbt's log goes to a file
    assert "registered as birth acts n° " in out.stdout
    assert "the public lookup returns no personal data" in out.stdout
    assert "status          ok" in out.stdout and "0 failed (error)" in out.stdout
    assert "of 337 START" not in out.stdout and "CheckOutcome(" not in out.stdout and "ReleaseResult(" not in out.stdout
    [log] = (tmp_path / "data" / "logs").glob("pipeline-*.log")
    assert "Completed successfully" in log.read_text()
    assert re.search(r"^landed_changes_quality +ok ", out.stdout, re.M)
    assert "births_commune_month_sex" in out.stdout and "suppressed" in out.stdout
