"""GX Data Docs work without Internet access: every CDN script and stylesheet the GX templates ask
for is served from the vendored copies next to the site, the S3 logo is the site's own, nothing
else external is fetched; in a real Chromium the index's tables (built by jQuery and
bootstrap-table) fill in from file:// with no script error."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from quality.docs import _LOCAL, VENDOR, offline_html
from quality.runner import run_check
from tests.quality.conftest import QUIET_NOW

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else shutil.which("chromedriver")
FETCHED = re.compile(r'<(?:script|img)\b[^>]*\ssrc="(https?://[^"]*)"|<link\b[^>]*rel="stylesheet"[^>]*href="(https?://[^"]*)"'
                     r'|<link\b[^>]*href="(https?://[^"]*)"[^>]*rel="stylesheet"')


def test_offline_html_points_every_cdn_tag_at_the_vendored_copy() -> None:
    tags = "".join(
        f'<script src="{u}" integrity="sha384-x" crossorigin="anonymous"></script>' if u.endswith(".js")
        else f'<link rel="stylesheet" href="{u}" integrity="sha384-x" crossorigin="anonymous">'
        for u in _LOCAL)
    html = (
        f"<head>{tags}<script src=\"https://cdn.jsdelivr.net/npm/vega@5\"></script>"
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/x.css">'
        '<script>var inline = 1;</script></head><body>'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png" alt="GX">'
        '<a href="https://greatexpectations.io">Great Expectations</a>'
        '<footer>\n  <p>Stay current on everything GX with our newsletter <a href="https://greatexpectations.io/newsletter?utm_source=x">'
        'Subscribe</a></p>\n</footer></body>')
    out = offline_html(html, "../../")
    assert not FETCHED.search(out), FETCHED.search(out)
    for local in set(_LOCAL.values()):
        assert f'"../../static/vendor/{local}"' in out
        assert (VENDOR / local).is_file()
    assert "integrity=" not in out and "crossorigin=" not in out  # file:// pages cannot do CORS checks
    assert '<img src="../../static/images/logo-long.png" alt="GX">' in out
    assert "var inline = 1;" in out and '<a href="https://greatexpectations.io">' in out  # a link fetches nothing
    assert "newsletter" not in out and "vega" not in out and "bootstrap-dark" not in out


def _rendered_site(wh) -> Path:  # type: ignore[no-untyped-def]
    outcome = run_check("fct_birth_quality", wh, run_id="run-docs", use_settings_registry=False, now=QUIET_NOW)
    assert outcome.docs_index is not None and outcome.docs_index.exists()
    return outcome.docs_index


def test_rendered_site_fetches_nothing_from_the_internet(clean_wh) -> None:  # type: ignore[no-untyped-def]
    index = _rendered_site(clean_wh)
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) > 3
    for page in pages:
        found = FETCHED.search(page.read_text(encoding="utf-8"))
        assert found is None, (page, found.group(0) if found else None)
    assert (index.parent / "static" / "vendor" / "jquery.min.js").read_bytes() == (VENDOR / "jquery.min.js").read_bytes()


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                    reason="Debian chromium + chromedriver not installed (apt-get install -y chromium chromium-driver)")
def test_data_docs_index_fills_in_offline_in_chromium(clean_wh) -> None:  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    index = _rendered_site(clean_wh)
    profile = tempfile.mkdtemp(prefix="gx-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}", "--window-size=1440,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(index.as_uri())
        WebDriverWait(driver, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "table tbody tr")) > 0)
        assert "fct_birth" in driver.find_element(By.TAG_NAME, "body").text
        urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert [u for u in urls if not u.startswith("file:")] == []
        # the libraries the tables need came from the vendored files (there is no other source)
        assert driver.execute_script(
            "return typeof jQuery === 'function' && typeof jQuery.fn.bootstrapTable === 'function'"
            " && typeof jQuery.fn.datepicker === 'function'")
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
