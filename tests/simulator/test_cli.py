"""``civstat simulate``: bulk history, token minting, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civstat_cli.main import main


def test_bulk_writes_history_and_refuses_a_second_load(sqlite_registry_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--bulk", "--years", "1", "--scale", "0.001", "--seed", "2", "--end-date", "2026-06-30",
            "--registry", sqlite_registry_url, "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    acts = int(next(line.split()[1] for line in out.splitlines() if line.startswith("acts ")))
    assert acts > 300
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("civstat simulate: table acts already has rows") and "\n" not in err


def test_progress_bar_is_drawn_on_a_terminal_only(sqlite_registry_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``make demo | tee demo.log`` and CI logs: no redrawn bar frames when stderr is not a terminal."""
    args = ["simulate", "--bulk", "--years", "1", "--scale", "0.001", "--seed", "3", "--end-date", "2026-06-30",
            "--registry", sqlite_registry_url]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "acts " in captured.out
    assert "\r" not in captured.err and "rows/s" not in captured.err


def test_mint_tokens_writes_a_private_token_file(sqlite_registry_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    assert main(["simulate", "--mint-tokens", str(path), "--offices", "3", "--registry", sqlite_registry_url]) == 0
    tokens = json.loads(path.read_text())
    assert len(tokens["offices"]) == 3 and tokens["admin"].startswith("cst_") and tokens["portal"].startswith("cst_")
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bulk", "--years", "0"], "--years must be above 0 and at most 30 (got 0)"),
        (["--bulk", "--scale", "-1"], "--scale must be above 0 and at most 10, 1 being the whole of Morocco (got -1)"),
        (["--live", "http://127.0.0.1:9"], "--live needs --token-file"),
        (["--live", "http://127.0.0.1:9", "--token-file", "/nonexistent.json"], "token file /nonexistent.json not found"),
        (["--live", "http://127.0.0.1:9", "--rate", "0", "--token-file", "x"], "--rate must be positive"),
    ],
)
def test_user_errors_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"civstat simulate: {message}" or err.startswith(f"civstat simulate: {message}")


def test_live_reports_an_unreachable_api_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = tmp_path / "t.json"
    tokens.write_text(json.dumps({"admin": "a", "portal": "p", "offices": {"04.421.01.05": "o"}}))
    assert main(["simulate", "--live", "http://127.0.0.1:9", "--rate", "50", "--duration", "1", "--token-file", str(tokens)]) == 2
    assert capsys.readouterr().err.strip().startswith("civstat simulate: cannot reach the registry API at http://127.0.0.1:9")
