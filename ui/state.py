"""The shared filters (quarter, scope, language): session state mirrored in the URL.

``?quarter=2023Q1&scope=341602101&lang=zh`` opens the same view in a new session. The canonical
values live in ``st.session_state`` under ``wv_quarter``, ``wv_scope`` and ``wv_lang``; the
sidebar widgets are re-seeded from them on every run and write back through callbacks, so a
drill-down from a page (``set_scope``) and a widget change go through the same state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl
import streamlit as st

from warmvisits import i18n

from . import data

Q_KEY = "wv_quarter"
S_KEY = "wv_scope"
L_KEY = "wv_lang"
INIT_KEY = "wv_init"
QUARTER_RE = re.compile(r"^\d{4}Q[1-4]$")
SCOPE_RE = re.compile(r"^(\d{9}|\d{12}|\d{15})?$")

W_QUARTER = "wv_w_quarter"
W_LANG = "wv_w_lang"
W_TOWNSHIP = "wv_w_township"
W_VILLAGE = "wv_w_village"
W_GRID = "wv_w_grid"


@dataclass(frozen=True)
class Filters:
    quarter: str  # '2023Q1', or '' when there is no database
    scope: str  # '' (district) or a township / village / grid code
    lang: str  # 'zh' or 'en'
    as_of: str | None = None  # 'YYYY-MM-DD HH:MM:SS': the quarter's as-of moment (METRICS.md)

    @property
    def level(self) -> str:
        return scope_level(self.scope)


def scope_level(scope: str) -> str:
    return {0: "district", 9: "township", 12: "village", 15: "grid"}.get(len(scope), "district")


def parent_scope(scope: str) -> str:
    return {15: scope[:12], 12: scope[:9]}.get(len(scope), "")


_last_lang = i18n.DEFAULT_LANG


def lang() -> str:
    """The session's language. Outside a script run (AppTest calling a widget's format_func
    between runs) the language of the last run in this process."""
    global _last_lang
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return _last_lang
    _init()
    _last_lang = i18n.normalise_lang(st.session_state.get(L_KEY))
    return _last_lang


def t(key: str, **fmt: object) -> str:
    """The interface string for ``key`` in the session's language."""
    return i18n.t(key, lang(), **fmt)


def enum_label(domain: str, value: object) -> str:
    return i18n.enum_label(domain, value, lang())


def quarter_label(quarter: str, lang: str | None = None) -> str:
    """'2023Q1' -> '2023年第1季度' / '2023 Q1'."""
    if not QUARTER_RE.match(quarter or ""):
        return quarter or "—"
    return i18n.t(
        "common.quarter_fmt", lang or globals()["lang"](), year=quarter[:4], q=quarter[-1]
    )


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value if isinstance(value, str) else None


def _init() -> None:
    """Seed the session's filters from the URL, once per session."""
    ss = st.session_state
    if ss.get(INIT_KEY):
        return
    q = _param("quarter") or ""
    s = _param("scope") or ""
    lg = _param("lang") or i18n.DEFAULT_LANG
    ss[Q_KEY] = q if QUARTER_RE.match(q) else ""
    ss[S_KEY] = s if SCOPE_RE.match(s) else ""
    ss[L_KEY] = i18n.normalise_lang(lg)
    ss[INIT_KEY] = True


# ---------------------------------------------------------------------------- reference data


def quarters() -> list[str]:
    """Quarters that have data, newest first ([] without a database)."""
    try:
        df = data.run_raw("overview_quarters")
    except FileNotFoundError:
        return []
    return [q for q in df["quarter"].to_list() if q]


def rounds() -> list[str]:
    """Quarters that have a visit round, newest first."""
    try:
        df = data.run_raw("overview_quarters")
    except FileNotFoundError:
        return []
    return [q for q, n in zip(df["quarter"], df["n_visits"], strict=True) if q and n > 0]


def places() -> pl.DataFrame:
    try:
        return data.run_raw("overview_places")
    except FileNotFoundError:
        return pl.DataFrame(
            schema={
                c: pl.String
                for c in (
                    "township_code",
                    "township_name",
                    "village_code",
                    "village_name",
                    "grid_code",
                    "grid_name",
                    "leader_name",
                )
            }
        )


def place_names() -> dict[str, str]:
    """code -> name for every township, village and grid."""
    df = places()
    out: dict[str, str] = {}
    for code_col, name_col in (
        ("township_code", "township_name"),
        ("village_code", "village_name"),
        ("grid_code", "grid_name"),
    ):
        for code, name in df.select(code_col, name_col).unique().iter_rows():
            if code:
                out[code] = name or code
    return out


def scope_path(scope: str) -> str:
    """'全区 › 薛阁街道 › 马元社区' for a scope code."""
    names = _cached_place_names()
    parts = [t("common.district")]
    for n in (9, 12, 15):
        if len(scope) >= n:
            parts.append(names.get(scope[:n], scope[:n]))
    return " › ".join(parts)


def _cached_place_names() -> dict[str, str]:
    build = data.current_build()
    if build is None:
        return {}
    return _place_names_for(build)


@st.cache_data(max_entries=4, show_spinner=False)
def _place_names_for(build: str) -> dict[str, str]:
    return place_names()


def as_of(quarter: str) -> str | None:
    if not QUARTER_RE.match(quarter or ""):
        return None
    try:
        df = data.run_raw("kpi_as_of", quarter=quarter)
    except FileNotFoundError:
        return None
    value = df["as_of"][0]
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------------------- the filters


def _user_scope() -> str:
    from . import auth

    return auth.user().scope


def _valid_scope(scope: str) -> str:
    """The scope itself when it is a known place inside the user's scope, else the user's scope."""
    allowed = _user_scope()
    if not scope.startswith(allowed):
        return allowed
    if scope and scope not in _cached_place_names():
        return allowed
    return scope


def filters() -> Filters:
    """The shared filters of this session."""
    _init()
    ss = st.session_state
    qs = quarters()
    quarter = ss.get(Q_KEY) or ""
    if not quarter and qs:
        quarter = rounds()[0] if rounds() else qs[0]
        ss[Q_KEY] = quarter
    scope = _valid_scope(ss.get(S_KEY) or "")
    ss[S_KEY] = scope
    return Filters(quarter=quarter, scope=scope, lang=lang(), as_of=as_of(quarter))


def sync_url() -> None:
    """Write the filters into the URL (only what changed)."""
    ss = st.session_state
    want = {"quarter": ss.get(Q_KEY) or "", "scope": ss.get(S_KEY) or "", "lang": lang()}
    for key, value in want.items():
        current = st.query_params.get(key)
        if value == "" and key == "scope":
            if current is not None:
                del st.query_params[key]
        elif current != value:
            st.query_params[key] = value


def set_scope(code: str, rerun: bool = True) -> None:
    """Drill down (or up): make ``code`` the shared scope, update the URL, rerun."""
    code = code or ""
    if not SCOPE_RE.match(code):
        return
    st.session_state[S_KEY] = _valid_scope(code)
    sync_url()
    if rerun:
        st.rerun()


def set_quarter(quarter: str, rerun: bool = True) -> None:
    if QUARTER_RE.match(quarter or ""):
        st.session_state[Q_KEY] = quarter
        sync_url()
        if rerun:
            st.rerun()


# ---------------------------------------------------------------------------- sidebar widgets


def _on_quarter() -> None:
    st.session_state[Q_KEY] = st.session_state[W_QUARTER]


def _on_lang() -> None:
    st.session_state[L_KEY] = st.session_state[W_LANG]


def _on_place(widget: str, parent: str) -> None:
    value = st.session_state.get(widget) or ""
    st.session_state[S_KEY] = value or parent


def seed(key: str, options: list[str], value: str) -> int:
    """Make the keyed widget ``key`` show ``value``; returns its index in ``options``, to pass as
    the widget's ``index``.

    The index matters, not only the session state: with several sessions busy, the browser was
    seen to rebuild a sidebar widget from its default (``index``, 0 unless given) and send that
    back with the next click, so a demo analyst became a leader and lost the callback page. With
    the default equal to the value, a rebuilt widget still shows and sends the right value. The
    state is written only when it differs, so Streamlit does not warn about a default set twice.
    """
    ss = st.session_state
    if ss.get(key) != value:
        ss[key] = value
    return options.index(value) if value in options else 0


def draw_chrome() -> Filters:
    """Language, quarter and the cascading scope picker, in the sidebar. Returns the filters."""
    f = filters()
    sb = st.sidebar

    langs = list(i18n.LANGS)
    sb.radio(
        t("common.language"),
        langs,
        index=seed(W_LANG, langs, f.lang),
        key=W_LANG,
        format_func=lambda code: i18n.LANG_NAMES[code],
        horizontal=True,
        on_change=_on_lang,
    )

    qs = quarters()
    if f.quarter and f.quarter not in qs:
        qs = [f.quarter, *qs]
    if qs:
        sb.selectbox(
            t("common.quarter"),
            qs,
            index=seed(W_QUARTER, qs, f.quarter),
            key=W_QUARTER,
            format_func=lambda q, lg=f.lang: quarter_label(q, lg),
            on_change=_on_quarter,
        )

    df = places()
    if df.height:
        allowed = _user_scope()
        names = _cached_place_names()
        towns = sorted(c for c in df["township_code"].unique().to_list() if c.startswith(allowed))
        town_opts = ([""] if not allowed else []) + towns
        sb.selectbox(
            t("common.township"),
            town_opts,
            index=seed(W_TOWNSHIP, town_opts, f.scope[:9]),
            key=W_TOWNSHIP,
            format_func=lambda c, lg=f.lang: (
                names.get(c, c) if c else i18n.t("common.all_townships", lg)
            ),
            on_change=_on_place,
            args=(W_TOWNSHIP, allowed),
        )
        if len(f.scope) >= 9:
            town = f.scope[:9]
            villages = sorted(
                df.filter(pl.col("township_code") == town)["village_code"].unique().to_list()
            )
            village_opts = ["", *villages]
            sb.selectbox(
                t("common.village"),
                village_opts,
                index=seed(W_VILLAGE, village_opts, f.scope[:12] if len(f.scope) >= 12 else ""),
                key=W_VILLAGE,
                format_func=lambda c, lg=f.lang: (
                    names.get(c, c) if c else i18n.t("common.all_villages", lg)
                ),
                on_change=_on_place,
                args=(W_VILLAGE, town),
            )
        if len(f.scope) >= 12:
            village = f.scope[:12]
            grids = sorted(
                df.filter(pl.col("village_code") == village)["grid_code"].unique().to_list()
            )
            grid_opts = ["", *grids]
            sb.selectbox(
                t("common.grid"),
                grid_opts,
                index=seed(W_GRID, grid_opts, f.scope if len(f.scope) == 15 else ""),
                key=W_GRID,
                format_func=lambda c, lg=f.lang: (
                    names.get(c, c) if c else i18n.t("common.all_grids", lg)
                ),
                on_change=_on_place,
                args=(W_GRID, village),
            )
    sync_url()
    return f
