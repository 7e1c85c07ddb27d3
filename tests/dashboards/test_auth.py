"""With CIVSTAT_DASHBOARD_AUTH=1 the registry's tokens decide the pages and the offices shown."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import i18n
from registry_api.core.config import get_settings
from registry_api.core.db import Registry
from registry_api.core.security import create_token
from tests.dashboards import fixture_data as fx
from tests.dashboards.apptest_helpers import APP, PAGES, metric, table
from tests.dashboards.fixture_data import Built


@pytest.fixture
def auth_app(app_env: Built, sqlite_registry_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Auth on, a real (SQLite) registry with one token per role."""
    monkeypatch.setenv("CIVSTAT_DASHBOARD_AUTH", "1")
    monkeypatch.setenv("CIVSTAT_REGISTRY_URL", sqlite_registry_url)
    get_settings.cache_clear()
    registry = Registry(sqlite_registry_url)
    tokens: dict[str, str] = {}
    with registry.session() as session:
        tokens["supervisor"], _ = create_token(session, "supervisor", province_code="04.441", label="dash test")
        tokens["officer"], _ = create_token(session, "officer", office_code=fx.HASSAN, label="dash test")
        tokens["analyst"], _ = create_token(session, "analyst", label="dash test")
        tokens["sector"], _ = create_token(session, "sector", sector_code="health", label="dash test")
    registry.dispose()
    return tokens


def sign_in(token: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "fr"
    at.run()
    assert at.title[0].value == i18n.t("auth.title", "fr")
    at.text_input(key="auth.token").input(token)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_no_page_without_a_valid_token(auth_app: dict[str, str]) -> None:
    at = sign_in("cst_not-a-real-token")
    assert at.title[0].value == i18n.t("auth.title", "fr")
    assert [e.value for e in at.error] == [i18n.t("auth.invalid", "fr")]
    assert not at.metric  # nothing of the warehouse leaked


def test_supervisor_sees_only_their_province_with_identifiers(auth_app: dict[str, str]) -> None:
    at = sign_in(auth_app["supervisor"])
    assert at.title[0].value == i18n.t("monitor.title", "fr")
    assert at.selectbox(key="monitor.region").options == ["Rabat-Salé-Kénitra"]
    assert at.selectbox(key="monitor.province").options == ["Salé"]
    assert len(at.selectbox(key="monitor.office").options) == 3  # the province + its 2 offices
    pending = table(at, "monitor.pending")
    assert i18n.t("cols.tracking_number", "fr") in pending.columns  # supervisors may see them
    comparison = table(at, "monitor.comparison")
    assert len(comparison) == 2
    at.switch_page(PAGES["quality"]).run()
    assert metric(at, "quality.quarantined_rows") == "1"  # only the Salé office's quarantined row
    with pytest.raises(ValueError):
        at.switch_page(PAGES["indicators"])  # not in a supervisor's menu


def test_officer_sees_only_their_office(auth_app: dict[str, str]) -> None:
    at = sign_in(auth_app["officer"])
    assert at.selectbox(key="monitor.office").options == ["Bureau d'état civil de l'arrondissement Hassan (Rabat)"]
    assert metric(at, "monitor.pending_total") == "8"
    assert len(table(at, "monitor.comparison")) == 1


def test_analyst_sees_everything_but_identifiers(auth_app: dict[str, str]) -> None:
    at = sign_in(auth_app["analyst"])
    assert len(at.selectbox(key="monitor.region").options) == 3
    at.selectbox(key="monitor.region").set_value("04").run()
    assert i18n.t("cols.tracking_number", "fr") not in table(at, "monitor.pending").columns
    at.switch_page(PAGES["indicators"]).run()
    assert at.title[0].value == i18n.t("indicators.title", "fr")


def test_sector_token_gets_only_the_datasets(auth_app: dict[str, str]) -> None:
    at = sign_in(auth_app["sector"])
    assert at.title[0].value == i18n.t("datasets.title", "fr")
    with pytest.raises(ValueError):
        at.switch_page(PAGES["office"])


def test_sign_out_returns_to_the_login(auth_app: dict[str, str]) -> None:
    at = sign_in(auth_app["analyst"])
    at.sidebar.button(key="auth.sign_out").click().run()
    assert at.title[0].value == i18n.t("auth.title", "fr")
