"""The API's documentation pages work offline: Swagger UI (/docs) and ReDoc (/redoc) load their
JavaScript, CSS and icon from the API itself, never from a CDN or Google Fonts; in a real
Chromium the Swagger UI renders every operation of the OpenAPI document, with an "Authorize"
button for the bearer token every operation declares."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry_api.core.config import Settings
from registry_api.main import create_app
from tests.registry_api.conftest import Api, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else shutil.which("chromedriver")
OUTPUT = Path(os.environ.get("CIVSTAT_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "registry_api"
ASSET = re.compile(r'(?:href|src)="([^"]+)"')


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_local_assets(api: Api, page: str) -> None:
    r = api.client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "http://" not in r.text and "https://" not in r.text, r.text[:500]
    assets = ASSET.findall(r.text)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        got = api.client.get(asset)
        assert got.status_code == 200 and len(got.content) > 1000, asset
    assert "/openapi.json" in r.text


def test_every_api_operation_declares_the_bearer_scheme(api: Api) -> None:
    """OpenAPI tools ignore a header parameter named Authorization: the scheme is what lets a
    client generator, or the Swagger UI's "Authorize" button, send the token."""
    spec = api.client.get("/openapi.json").json()
    [(name, scheme)] = spec["components"]["securitySchemes"].items()
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if path.startswith("/api/v1/"):
                assert op.get("security") == [{name: []}], (method, path)
                assert not any(p["name"].lower() == "authorization" for p in op.get("parameters", [])), (method, path)


@pytest.fixture
def served_app(sqlite_registry_url: str, tmp_path: Path) -> Iterator[str]:
    app = create_app(Settings(REGISTRY_URL=sqlite_registry_url, DATA_DIR=tmp_path), migrate=False)
    with serve(app) as url:
        yield url
    app.state.registry.dispose()


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                    reason="Debian chromium + chromedriver not installed (apt-get install -y chromium chromium-driver)")
def test_swagger_ui_renders_every_operation_offline(served_app: str) -> None:
    import httpx
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    spec: dict[str, Any] = httpx.get(f"{served_app}/openapi.json").json()
    operations = sum(1 for item in spec["paths"].values() for method in item if method in ("get", "post", "put", "patch", "delete"))
    profile = tempfile.mkdtemp(prefix="docs-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                 "--window-size=1440,2400"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(f"{served_app}/docs")
        WebDriverWait(driver, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= operations)
        OUTPUT.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(OUTPUT / "swagger-ui.png"))
        assert spec["info"]["title"] in driver.find_element(By.CSS_SELECTOR, ".information-container").text
        assert driver.find_elements(By.CSS_SELECTOR, ".btn.authorize")  # "Authorize": try it out with a token
        urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        outside = [u for u in urls if not u.startswith(served_app) and not u.startswith(("data:", "blob:"))]
        assert not outside, outside[:5]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
