"""The real thing: ``civstat dashboard``'s server in Debian's headless Chromium (selenium +
the system chromedriver). Every page in both languages, no exception box, right-to-left in
Arabic, nothing fetched from outside, a real CSV download; screenshots under test-output/."""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from dashboards import i18n
from dashboards.cli import start_dashboard, wait_until_healthy
from tests.dashboards import fixture_data as fx
from tests.dashboards.apptest_helpers import TITLES
from tests.dashboards.fixture_data import Built

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else shutil.which("chromedriver")
OUTPUT = Path(os.environ.get("CIVSTAT_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "dashboards"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="Debian chromium + chromedriver not installed (apt-get install -y chromium chromium-driver)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Built]]:
    built = fx.build(tmp_path_factory.mktemp("browser-wh"))
    port = _free_port()
    # started as ``civstat dashboard`` is by a user: from the folder holding ./data, with relative
    # paths (the app itself runs from its own folder, so they must be anchored at the caller's)
    here, home = Path.cwd(), built.data_dir.parent
    relative = {k: os.path.relpath(v, home) for k, v in built.env().items()}
    assert not any(os.path.isabs(v) for v in relative.values())
    os.chdir(home)
    try:
        process = start_dashboard(port, {**relative, "CIVSTAT_DASHBOARD_AUTH": "0"})
    finally:
        os.chdir(here)
    try:
        assert wait_until_healthy(port, timeout=90), "the dashboard server did not come up"
        yield f"http://127.0.0.1:{port}", built
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except Exception:  # noqa: BLE001
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = Path(tempfile.mkdtemp(prefix="dash-dl-"))
    profile = tempfile.mkdtemp(prefix="dash-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                 "--window-size=1440,2400", "--lang=fr-FR"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait_for_page(driver: Any, title: str, timeout: float = 60) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: any(h.text.strip() == title for h in d.find_elements(By.CSS_SELECTOR, "h1")))

    def settled(d: Any) -> bool:  # the script run finished and the charts are drawn
        running = d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]')
        charts = d.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')
        drawn = d.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg')
        return not running and len(drawn) >= len(charts)

    WebDriverWait(driver, timeout).until(settled)
    time.sleep(1.0)


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("page", list(TITLES))
def test_page_in_a_real_browser(server: tuple[str, Built], browser: Any, page: str, lang: str) -> None:
    from selenium.webdriver.common.by import By

    base, _built = server
    path = "" if page == "office" else page  # the default page lives at the root URL
    browser.get(f"{base}/{path}?lang={lang}")
    _wait_for_page(browser, i18n.t(TITLES[page], lang))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(OUTPUT / f"{page}-{lang}.png"))

    exceptions = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    assert not exceptions, [e.text[:500] for e in exceptions]
    dialogs = browser.find_elements(By.CSS_SELECTOR, '[role="dialog"]')
    assert not dialogs, [d.text[:200] for d in dialogs]  # e.g. Streamlit's "Page not found"
    if lang == "ar":  # coded values and names in Arabic script, not French left-overs
        main = browser.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text
        assert not any(word in main for word in ("Naissance", "Décès", "En examen", "Déposée", "Erreur")), main[:300]
    direction = browser.execute_script(
        "return getComputedStyle(document.querySelector('[data-testid=\"stMain\"]')).direction")
    assert direction == ("rtl" if lang == "ar" else "ltr")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert i18n.t("common.data_as_of", lang, as_of=i18n.fmt_datetime(fx.DATA_AS_OF, lang), published="")[:20] in body
    # offline: every resource the page loaded came from the dashboard server itself
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [u for u in urls if not u.startswith(base) and not u.startswith(("data:", "blob:"))]
    assert not outside, outside[:5]


def test_csv_download_in_the_browser_equals_the_marts(server: tuple[str, Built], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    base, built = server
    for old in browser.downloads.glob("*"):
        old.unlink()
    browser.get(f"{base}/indicators?lang=fr")
    _wait_for_page(browser, i18n.t("indicators.title", "fr"))
    button = browser.find_element(By.CSS_SELECTOR, '.st-key-table-indicators-regions_months [data-testid="stDownloadButton"] button')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    deadline = time.monotonic() + 30
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = [f for f in browser.downloads.glob("*.csv")]
        if files and not list(browser.downloads.glob("*.crdownload")):
            break
        time.sleep(0.3)
    assert files, "no CSV downloaded"
    rows = list(csv.DictReader(io.StringIO(files[0].read_text("utf-8-sig"))))
    mart = (built.frames["ind_vital_region_month"]
            .filter(pl.col("month_start").is_between(fx.months(fx.FIRST_MONTH, fx.LAST_MONTH)[-12], fx.LAST_MONTH))
            .sort(["month_start", "region_code"]))
    assert len(rows) == mart.height == 36
    assert [int(r[i18n.t("cols.births", "fr")]) for r in rows] == mart["births"].to_list()
    assert [r[i18n.t("cols.month", "fr")] for r in rows] == [d.isoformat() for d in mart["month_start"]]
