"""Who is looking: the registry's own tokens and roles, reused rather than reinvented.

With ``CIVSTAT_DASHBOARD_AUTH=1`` the app asks for a registry API token and resolves it with
``registry_api.core.security.principal_for`` on a *read* session of the registry (SQLite reads
take no write lock, so signing in never queues behind the registry's writers). The resulting
``Principal`` drives everything: which pages exist, which offices a page may list
(``Principal.office_filter``), and whether direct identifiers may appear
(``Principal.sees_identifiers``). Without the variable (the demo) everyone is an analyst: all
pages, all offices, no identifiers.
"""

from __future__ import annotations

import os

import streamlit as st

from dashboards import i18n
from registry_api.core.security import Principal

AUTH_ENV = "CIVSTAT_DASHBOARD_AUTH"
PRINCIPAL_KEY = "auth.principal"
TOKEN_KEY = "auth.token"
ANONYMOUS_ANALYST = Principal(token_id=0, role="analyst")

Viewer = Principal


def auth_enabled() -> bool:
    return os.environ.get(AUTH_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def principal_from_token(token: str) -> Principal | None:
    """Look the token up in the registry (hash compare; revoked tokens give None)."""
    from registry_api.core.config import get_settings
    from registry_api.core.db import registry_for
    from registry_api.core.security import principal_for

    token = token.strip()
    if not token:
        return None
    registry = registry_for(get_settings().registry_url)
    with registry.session(write=False) as session:
        return principal_for(session, token)


def current_viewer() -> Viewer | None:
    """The signed-in principal, the demo's analyst when auth is off, or None (must sign in)."""
    if not auth_enabled():
        return ANONYMOUS_ANALYST
    found = st.session_state.get(PRINCIPAL_KEY)
    return found if isinstance(found, Principal) else None


def sign_out() -> None:
    st.session_state.pop(PRINCIPAL_KEY, None)
    st.session_state.pop(TOKEN_KEY, None)


def _submit() -> None:
    token = str(st.session_state.get(TOKEN_KEY) or "")
    principal = principal_from_token(token) if token else None
    st.session_state[PRINCIPAL_KEY] = principal
    st.session_state["auth.failed"] = bool(token) and principal is None
    st.session_state[TOKEN_KEY] = ""  # never keep the secret around in the session


def login_page() -> None:
    """The only page before sign-in: a password field for the registry token."""
    lang = i18n.normalize_lang(st.session_state.get("lang"))
    st.title(i18n.t("auth.title", lang))
    st.write(i18n.t("auth.explain", lang))
    with st.form("auth.form"):
        st.text_input(i18n.t("auth.token", lang), type="password", key=TOKEN_KEY)
        st.form_submit_button(i18n.t("auth.sign_in", lang), on_click=_submit)
    if st.session_state.get("auth.failed"):
        st.error(i18n.t("auth.invalid", lang))


def no_access_page() -> None:
    """A valid token whose role has no dashboard (for example the portal's server token)."""
    lang = i18n.normalize_lang(st.session_state.get("lang"))
    st.title(i18n.t("auth.no_access_title", lang))
    st.write(i18n.t("auth.no_access", lang))
