"""civstat dashboards: the Streamlit entrypoint (``streamlit run dashboards/app.py``).

Runs on every rerun, before the page: language (session + ``?lang=``), right-to-left layout
for Arabic, sign-in when ``CIVSTAT_DASHBOARD_AUTH=1``, the menu the viewer's role allows
(``st.navigation`` once, then ``page.run()``), and the "data as of" caption shared by all pages.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import auth, ui

HERE = Path(__file__).resolve().parent
VIEWS = HERE / "views"

# url path -> (page file, i18n key of its title, roles that see it)
PAGES: dict[str, tuple[str, str, frozenset[str]]] = {
    "office": ("monitor/office.py", "nav.office", frozenset({"officer", "supervisor", "analyst", "admin"})),
    "indicators": ("population/indicators.py", "nav.indicators", frozenset({"analyst", "admin"})),
    "quality": ("quality/checks.py", "nav.quality", frozenset({"officer", "supervisor", "analyst", "admin"})),
    "rollout": ("rollout/rollout.py", "nav.rollout", frozenset({"analyst", "admin"})),
    "datasets": ("datasets/catalog.py", "nav.datasets", frozenset({"analyst", "admin", "sector"})),
}
SECTIONS = (("nav.section_operations", ("office", "quality")), ("nav.section_population", ("indicators", "rollout", "datasets")))


def build_navigation(role: str) -> dict[str, list[st.Page]]:
    """The menu for a role, grouped in two sections (supervision, population)."""
    menu: dict[str, list[st.Page]] = {}
    first = True
    for section_key, slugs in SECTIONS:
        pages = []
        for slug in slugs:
            path, title_key, roles = PAGES[slug]
            if role in roles:
                pages.append(st.Page(VIEWS / path, title=ui.t(title_key), url_path=slug, default=first))
                first = False
        if pages:
            menu[ui.t(section_key)] = pages
    return menu


def main() -> None:
    ui.init_language()
    st.set_page_config(page_title=ui.t("app.title"), layout="wide")
    ui.language_switch()
    ui.inject_direction()

    viewer = auth.current_viewer()
    if viewer is None:
        st.navigation([st.Page(auth.login_page, title=ui.t("auth.title"), url_path="login")], position="hidden").run()
        return
    menu = build_navigation(viewer.role)
    if not menu:
        st.navigation([st.Page(auth.no_access_page, title=ui.t("auth.no_access_title"), url_path="no-access")], position="hidden").run()
        return
    page = st.navigation(menu)
    ui.viewer_caption(viewer)
    if auth.auth_enabled():
        st.sidebar.button(ui.t("auth.sign_out"), on_click=auth.sign_out, key="auth.sign_out")
    ui.freshness_caption()
    page.run()


main()
