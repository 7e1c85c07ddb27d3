"""``civstat dashboard``: serve the Streamlit app, headless and offline.

``start_dashboard`` is what ``civstat demo`` (and the browser tests) call: it returns the
running ``streamlit run`` process so the caller decides when to stop it. The privacy settings
are passed as flags (not only in ``.streamlit/config.toml``) because Streamlit reads that file
from the working directory, which the caller chooses.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
PROJECT_ROOT = APP.parent.parent


def streamlit_command(port: int, host: str) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--server.runOnSave", "false",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
    ]


def anchored_locations(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the data directory, warehouse file and SQLite registry made absolute.

    Streamlit runs from the app's folder (``cwd=APP.parent``), so a relative ``./data`` — the
    default — would otherwise point inside the package; paths are resolved from the caller's
    working directory, as every other ``civstat`` command resolves them.
    """
    from sqlalchemy.engine import make_url

    full = dict(env)
    full["CIVSTAT_DATA_DIR"] = str(Path(full.get("CIVSTAT_DATA_DIR") or "data").resolve())
    warehouse = full.get("CIVSTAT_WAREHOUSE")
    if warehouse and "://" not in warehouse:
        full["CIVSTAT_WAREHOUSE"] = str(Path(warehouse).resolve())
    registry = full.get("CIVSTAT_REGISTRY_URL")
    if registry and registry.startswith("sqlite"):
        url = make_url(registry)
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            full["CIVSTAT_REGISTRY_URL"] = url.set(database=str(Path(url.database).resolve())).render_as_string(hide_password=False)
    return full


def start_dashboard(port: int = 8501, env: Mapping[str, str] | None = None, *, host: str = "127.0.0.1") -> subprocess.Popen[bytes]:
    """Start the dashboards in the background and return the process (the caller stops it).

    ``env`` is added to the current environment (``CIVSTAT_DATA_DIR``, ``CIVSTAT_WAREHOUSE``,
    ``CIVSTAT_DASHBOARD_AUTH``…). The project root goes on ``PYTHONPATH`` so sibling packages
    (``pipelines``, ``registry_api``, ``datasets``) import even from a plain checkout.
    """
    full = anchored_locations({**os.environ, **(env or {})})
    full["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    full["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), full.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(streamlit_command(port, host), cwd=str(APP.parent), env=full)


def wait_until_healthy(port: int, host: str = "127.0.0.1", timeout: float = 60.0) -> bool:
    """Poll Streamlit's health endpoint until it answers ``ok`` (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    url = f"http://{host}:{port}/_stcore/health"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    return False


def _run(args: argparse.Namespace) -> int:
    process = start_dashboard(args.port, host=args.host)
    print(f"civstat dashboards on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        return 130


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("dashboard", help="serve the dashboards (Streamlit)")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.set_defaults(func=_run)
