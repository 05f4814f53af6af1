"""Who is using the dashboard: sign-in, sessions, roles, place scopes, the demo role switcher.

How a session gets its user, first match wins:

1. **Trusted proxy.** When ``server.trustedUserHeaders`` maps a header to ``st.user``'s
   ``warmvisits_user`` key (see :mod:`warmvisits.auth`), the name there is looked up in the users
   file: listed → signed in with that entry's role and scope; not listed → refused.
2. **A signed-in session** (``st.session_state["wv_session"]``, a
   :class:`warmvisits.auth.Session`), refreshed on every run: it ends when idle or old, or when the
   user leaves the users file.
3. **The generated demo** (the current build's ``build_info.is_demo`` is ``true``): no sign-in
   needed; a role switcher (``st.session_state["wv_role"]``, tests may set it) and a place-scope
   switcher (``wv_demo_scope``) in the sidebar, and a 演示数据 banner on every page. Users from
   the users file may still sign in.
4. Otherwise (real data) the sign-in form, and nothing else runs.

Roles and pages (:data:`PAGE_ROLES`; a page not listed is for administrators only):

- leader (领导): overview, the analysis pages and satisfaction results; no personal data
  (masked to ``***`` by :mod:`warmvisits.masking`).
- analyst (分析员): the same and the callback page, personal data masked.
- callback (回访员): the callback pages, with full names and phone numbers.
- admin (管理员): everything, including the data and users pages.

The user's place scope clamps the shared scope (``ui.state`` asks :func:`user`): a township user
who opens another township's scope in the URL gets their own township instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import streamlit as st

from warmvisits import audit, i18n
from warmvisits import auth as wauth

ROLES: tuple[str, ...] = wauth.ROLES
ROLE_KEY = "wv_role"
DEMO_SCOPE_KEY = "wv_demo_scope"
SESSION_KEY = "wv_session"
NOTICE_KEY = "wv_auth_notice"
ERROR_KEY = "wv_auth_error"
DEFAULT_ROLE = "analyst"
NO_ROLE = ""  # nobody signed in: no page, every personal value hidden

_ANALYSIS = frozenset({"leader", "analyst", "admin"})
# page name (file stem) -> roles that may open it
PAGE_ROLES: dict[str, frozenset[str]] = {
    "overview": _ANALYSIS,
    "coverage": _ANALYSIS,
    "cases": _ANALYSIS,
    "resolution": _ANALYSIS,
    "petitions": _ANALYSIS,
    "questionnaire": _ANALYSIS,
    "callbacks": frozenset({"analyst", "callback", "admin"}),
    "satisfaction": frozenset({"leader", "analyst", "callback", "admin"}),
    "data": frozenset({"admin"}),
    "users": frozenset({"admin"}),
}


@dataclass(frozen=True)
class User:
    name: str
    role: str
    scope: str = ""  # '' = the whole district, else a township code
    via: str = "demo"  # "demo" | "password" | "proxy" | "none"

    @property
    def signed_in(self) -> bool:
        return self.via in ("password", "proxy")


def _lang() -> str:
    return i18n.normalise_lang(st.session_state.get("wv_lang"))


def _t(key: str, **fmt: Any) -> str:
    return i18n.t(key, _lang(), **fmt)


def _is_demo() -> bool:
    from .header import is_demo

    try:
        return is_demo()
    except Exception:  # noqa: BLE001 - a broken build is not a demo
        return False


def users_file() -> Path:
    return wauth.users_path()


def audit_store() -> Path:
    return audit.store_path()


@lru_cache(maxsize=8)
def _load_users_at(
    path: Path, mtime_ns: int, size: int
) -> tuple[dict[str, wauth.User], str | None]:
    try:
        return wauth.load_users(path), None
    except wauth.UsersFileError as exc:
        return {}, str(exc)


def _load_users() -> tuple[dict[str, wauth.User], str | None]:
    """The users file's entries, and an error message when it cannot be used (re-read when
    the file changes; the mode is checked on every change)."""
    path = users_file()
    try:
        st_ = path.stat()
    except FileNotFoundError:
        return {}, None
    users, error = _load_users_at(path, st_.st_mtime_ns, st_.st_size)
    if error is None:
        try:
            wauth.check_mode(path)  # a chmod does not change the mtime
        except wauth.UsersFileError as exc:
            return {}, str(exc)
    return dict(users), error


def _open_access() -> bool:
    """No sign-in needed: the generated demo, or no database and no users yet (a fresh
    machine: there is nothing to protect, and the page says how to build)."""
    if _is_demo():
        return True
    from .data import current_build

    return current_build() is None and not _load_users()[0]


def _client() -> str:
    try:
        return str(st.context.ip_address or "")
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        return ""


def _proxy_name() -> str | None:
    try:
        value = st.user.get(wauth.PROXY_USER_KEY)
    except Exception:  # noqa: BLE001 - st.user unavailable
        return None
    return value if isinstance(value, str) and value.strip() else None


def _session() -> wauth.Session | None:
    s = st.session_state.get(SESSION_KEY)
    return s if isinstance(s, wauth.Session) else None


def _role_label(role: str) -> str:
    return i18n.t(f"enums.role.{role}", _lang()) if role else "—"


def _resolve() -> wauth.Session | None:
    """This run's signed-in session, after the proxy identity, expiry and users-file checks."""
    users, error = _load_users()
    _proxy_sign_in(users, error)
    _refresh_or_expire(users)
    return _session()


def user(gate: bool = True) -> User:
    """The current user: signed in (password or proxy), the demo role, or — on real data with
    nobody signed in — the sign-in screen, and the run stops there (``gate=False``: a user
    with no role instead, for callbacks)."""
    s = _resolve() if gate else _session()
    if s is not None:
        return User(s.username, s.role, s.scope, s.via)
    if _open_access():
        role = st.session_state.get(ROLE_KEY, DEFAULT_ROLE)
        if role not in ROLES:
            role = DEFAULT_ROLE
        scope = st.session_state.get(DEMO_SCOPE_KEY) or ""
        scope = scope if isinstance(scope, str) and scope.isdigit() and len(scope) == 9 else ""
        return User(_role_label(role), role, scope, "demo")
    if gate:
        _gate_sign_in()
    return User("", NO_ROLE, "", "none")


def can_open(page: str, role: str) -> bool:
    return role in PAGE_ROLES.get(page, frozenset({"admin"}))


def sees_personal_data(role: str) -> bool:
    """Leaders see figures only; other roles see (masked) household lists."""
    return role in {"analyst", "callback", "admin"}


def require_page(page: str) -> User:
    """For a page script: the user, or a refusal and ``st.stop()`` when the role may not open it.

    Calls ``ensure_router()`` first, so a deep link opened before the shell ever ran reruns
    through app.py (its chrome and its sign-in) instead of running this page on its own."""
    from .router import ensure_router

    ensure_router()
    u = user()
    if not can_open(page, u.role):
        st.error(_t("auth.not_allowed"))
        st.stop()
    return u


def log_download(what: str, **detail: Any) -> None:
    """Audit a download of personal data (call lists): who, when, what."""
    u = user(gate=False)
    try:
        audit.record(
            audit_store(),
            "download",
            who=u.name if u.signed_in else f"demo:{u.role}",
            role=u.role,
            client=_client(),
            what=what,
            detail=detail,
        )
    except OSError:
        pass


def record(event: str, what: str, **detail: Any) -> None:
    """Audit an action of the current user (builds, uploads, making a build current)."""
    u = user(gate=False)
    audit.record(
        audit_store(),
        event,
        who=u.name if u.signed_in else f"demo:{u.role}",
        role=u.role,
        client=_client(),
        what=what,
        detail=detail,
    )


# ---------------------------------------------------------------------------- drawing


def _do_sign_in() -> None:
    """The sign-in button's callback (callbacks run before the script, so a rerun of the
    script cannot lose the click)."""
    users, error = _load_users()
    if error:
        return
    name = str(st.session_state.get("wv_signin_user") or "")
    password = str(st.session_state.get("wv_signin_password") or "")
    st.session_state["wv_signin_password"] = ""
    result = wauth.authenticate(users, name, password, store=audit_store(), client=_client())
    if result.ok and result.user is not None:
        st.session_state[SESSION_KEY] = wauth.start_session(result.user, "password")
        st.session_state.pop(ERROR_KEY, None)
        st.session_state.pop(NOTICE_KEY, None)
    elif result.reason == "locked" and result.locked_until:
        until = datetime.fromtimestamp(result.locked_until).strftime("%H:%M")
        st.session_state[ERROR_KEY] = ("auth.locked", {"until": until})
    else:
        st.session_state[ERROR_KEY] = ("auth.bad_credentials", {})


def _sign_in_form(users: dict[str, wauth.User], error: str | None) -> None:
    if error:
        st.error(_t("auth.users_file_refused", error=error))
        return
    if not users:
        st.warning(_t("auth.no_users", path=str(users_file())))
    failed = st.session_state.pop(ERROR_KEY, None)
    if failed:
        st.error(_t(failed[0], **failed[1]))
    with st.form("wv_signin", clear_on_submit=False):
        st.text_input(_t("auth.username"), key="wv_signin_user", max_chars=64)
        st.text_input(_t("auth.password"), type="password", key="wv_signin_password", max_chars=256)
        st.form_submit_button(_t("auth.sign_in"), type="primary", on_click=_do_sign_in)


def _sign_out() -> None:
    s = _session()
    if s is not None:
        try:
            audit.record(
                audit_store(),
                "sign_out",
                who=s.username,
                role=s.role,
                client=_client(),
                what=s.via,
            )
        except OSError:
            pass
    for key in (SESSION_KEY, "wv_signin_password"):
        st.session_state.pop(key, None)


def _refresh_or_expire(users: dict[str, wauth.User]) -> None:
    s = _session()
    if s is None or s.via == "proxy":
        return
    fresh = wauth.refresh_session(s, users, time.time())
    if fresh is None:
        st.session_state.pop(SESSION_KEY, None)
        st.session_state[NOTICE_KEY] = "auth.session_expired"
    else:
        st.session_state[SESSION_KEY] = fresh


def _proxy_sign_in(users: dict[str, wauth.User], error: str | None) -> bool:
    """Sign in from the trusted proxy header. True when a proxy identity was present."""
    name = _proxy_name()
    if name is None:
        return False
    s = _session()
    if s is not None and s.via == "proxy" and s.username == name:
        entry = users.get(name)
        if entry is not None:
            st.session_state[SESSION_KEY] = wauth.Session(
                name, entry.role, entry.scope, "proxy", s.started_at, time.time()
            )
            return True
    entry = wauth.user_from_proxy(users, name)
    if error or entry is None:
        st.session_state.pop(SESSION_KEY, None)
        message = _t("auth.proxy_unknown", name=name) if not error else error
        if st.session_state.get("wv_proxy_refused") != name:
            st.session_state["wv_proxy_refused"] = name
            audit.record(audit_store(), "sign_in_failed", who=name, client=_client(), what="proxy")
        _gate(lambda: st.error(message))
    assert entry is not None
    st.session_state[SESSION_KEY] = wauth.start_session(entry, "proxy")
    audit.record(
        audit_store(), "sign_in", who=entry.name, role=entry.role, client=_client(), what="proxy"
    )
    return True


def _demo_switchers(lang: str) -> None:
    from .state import places, seed

    role = st.session_state.get(ROLE_KEY)
    st.sidebar.selectbox(
        i18n.t("common.role", lang),
        ROLES,
        index=seed(ROLE_KEY, list(ROLES), role if role in ROLES else DEFAULT_ROLE),
        key=ROLE_KEY,
        format_func=lambda r: i18n.t(f"enums.role.{r}", lang),
        help=i18n.t("common.role_demo_help", lang),
    )
    df = places()
    towns = (
        df.select("township_code", "township_name").unique().sort("township_code").rows()
        if df.height
        else []
    )
    names = {code: name for code, name in towns if code}
    options = ["", *names]
    scope = st.session_state.get(DEMO_SCOPE_KEY)
    st.sidebar.selectbox(
        _t("auth.demo_scope"),
        options,
        index=seed(DEMO_SCOPE_KEY, options, str(scope) if scope in options else ""),
        key=DEMO_SCOPE_KEY,
        format_func=lambda c: names.get(c, c) if c else i18n.t("common.district", lang),
        help=_t("auth.demo_scope_help"),
    )


def _scope_name(scope: str) -> str:
    from .state import scope_path

    try:
        return scope_path(scope)
    except Exception:  # noqa: BLE001 - names are a nicety
        return scope


def _gate(body: Callable[[], object]) -> NoReturn:
    """Show only ``body`` (the sign-in screen) as the app's one page, then stop the run.

    Registering it through ``st.navigation`` means no page file is registered or listed for a
    visitor who is not signed in."""
    page = st.Page(body, title=_t("auth.sign_in"), url_path="signin", default=True)
    st.navigation([page], position="hidden").run()
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises


def _gate_sign_in() -> NoReturn:
    users, error = _load_users()
    notice = st.session_state.pop(NOTICE_KEY, None)
    lang = _lang()

    def sign_in_page() -> None:
        st.title(i18n.t("common.app_title", lang))
        st.subheader(_t("auth.sign_in_title"))
        if notice:
            st.info(_t(notice))
        _sign_in_form(users, error)

    _gate(sign_in_page)


def draw_sidebar(lang: str, is_demo: bool) -> User:
    """Resolve the session's user and draw the sign-in/sign-out controls.

    On real data with nobody signed in, shows the sign-in screen and stops the run (already
    when the shell first asks for the user, before any data is drawn)."""
    u = user()
    s = _session()
    if s is not None:
        st.sidebar.caption(
            _t("auth.signed_in_as", name=s.username, role=_role_label(s.role))
            + (" · " + _t("auth.scope_line", scope=_scope_name(s.scope)) if s.scope else "")
        )
        if s.via == "password":
            st.sidebar.button(_t("auth.sign_out"), key="wv_sign_out", on_click=_sign_out)
    else:
        _demo_switchers(lang)
        users, error = _load_users()
        notice = st.session_state.pop(NOTICE_KEY, None)
        if users or error or notice:
            with st.sidebar.expander(_t("auth.sign_in"), expanded=bool(notice)):
                if notice:
                    st.info(_t(notice))
                _sign_in_form(users, error)
    if is_demo:
        st.warning(_t("auth.demo_banner"), icon=":material/science:")
    return user() if s is None else u
