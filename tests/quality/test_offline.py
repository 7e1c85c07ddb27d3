"""Offline: a quality run (GX validation and Data Docs included) opens no network connection."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from quality.runner import run_check
from tests.quality import factories as f
from tests.quality.conftest import QUIET_NOW


def test_a_run_makes_no_outside_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = f.build_warehouse(tmp_path)
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family != socket.AF_UNIX and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network disabled in this test: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    out = run_check("fct_birth_quality", wh, now=QUIET_NOW)
    assert out.passed and out.docs_index is not None and out.docs_index.exists()
    assert attempts == []
    assert os.environ["GX_ANALYTICS_ENABLED"] == "False"
