"""Who is using the dashboard.

TODO(auth helper, issue 9): sign-in, users file, trusted proxy headers. For now a demo role
switcher in the sidebar: the role lives in ``st.session_state["wv_role"]`` (tests may set it),
the scope is the whole district.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from warmvisits import i18n

ROLES: tuple[str, ...] = ("leader", "analyst", "callback", "admin")
ROLE_KEY = "wv_role"
DEFAULT_ROLE = "analyst"

# page name (file stem) -> roles that may open it; pages not listed are open to every role
PAGE_ROLES: dict[str, frozenset[str]] = {
    "data": frozenset({"admin"}),
    "users": frozenset({"admin"}),
}


@dataclass(frozen=True)
class User:
    name: str
    role: str
    scope: str = ""  # '' = the whole district, else a township code


def user() -> User:
    role = st.session_state.get(ROLE_KEY, DEFAULT_ROLE)
    if role not in ROLES:
        role = DEFAULT_ROLE
    lang = i18n.normalise_lang(st.session_state.get("wv_lang"))
    return User(name=i18n.t(f"enums.role.{role}", lang), role=role, scope="")


def can_open(page: str, role: str) -> bool:
    allowed = PAGE_ROLES.get(page)
    return allowed is None or role in allowed


def sees_personal_data(role: str) -> bool:
    """Leaders see figures only; other roles see (masked) household lists."""
    return role in {"analyst", "callback", "admin"}


def draw_sidebar(lang: str, is_demo: bool) -> User:
    """The demo role switcher (sidebar)."""
    if ROLE_KEY not in st.session_state or st.session_state[ROLE_KEY] not in ROLES:
        st.session_state[ROLE_KEY] = DEFAULT_ROLE
    st.sidebar.selectbox(
        i18n.t("common.role", lang),
        ROLES,
        key=ROLE_KEY,
        format_func=lambda r: i18n.t(f"enums.role.{r}", lang),
        help=i18n.t("common.role_demo_help", lang),
    )
    return user()
