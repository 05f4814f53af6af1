"""Users (用户管理), for administrators: who may sign in, with which role and place scope.

Read-only: the users file is managed on the server with ``warmvisits user add|passwd|remove``
(passwords are never typed into the dashboard). Reads: ``warmvisits.auth.load_users``.
Password hashes are never shown.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

import ui
from warmvisits import auth as wauth

user = ui.auth.require_page("users")
t = ui.t
st.title(t("data.users_title"))
st.caption(t("data.users_intro"))
path = wauth.users_path()
st.caption(t("data.users_file_line", path=str(path)))
try:
    users = wauth.load_users(path)
except wauth.UsersFileError as exc:
    st.error(t("auth.users_file_refused", error=str(exc)))
    st.stop()
if user.scope:
    users = {k: u for k, u in users.items() if u.scope.startswith(user.scope)}
if not users:
    st.info(t("data.users_none"))
    st.stop()
rows = sorted(users.values(), key=lambda u: u.name)
st.dataframe(
    pl.DataFrame(
        {
            t("data.col_user"): [u.name for u in rows],
            t("data.col_role"): [ui.enum_label("role", u.role) for u in rows],
            t("data.col_scope"): [ui.scope_path(u.scope) for u in rows],
            t("data.col_sign_in"): [
                t("data.sign_in_password") if u.has_password else t("data.sign_in_proxy")
                for u in rows
            ],
        }
    ),
    hide_index=True,
    width="stretch",
)
