"""The page header every page draws: title, scope, data as-of and build time, friendly states."""

from __future__ import annotations

import streamlit as st

from . import data, state
from .fmt import fmt_ts
from .router import ensure_router


def build_info() -> dict[str, str]:
    try:
        df = data.run_raw("overview_build_info")
    except FileNotFoundError:
        return {}
    return {k: v for k, v in df.iter_rows()}


def is_demo() -> bool:
    return build_info().get("is_demo", "").lower() == "true"


def page_header(title_key: str) -> bool:
    """Draw the title and "数据截至 … · 构建于 …"; False (after a friendly message) when there is
    no database or the quarter has no data."""
    ensure_router()
    t = state.t
    st.title(t(title_key))
    if data.current_build() is None:
        st.info(t("common.no_database") + "\n\n" + t("common.no_database_hint"))
        return False
    f = state.filters()
    info = build_info()
    st.caption(
        t("common.scope_line", path=state.scope_path(f.scope))
        + " · "
        + state.quarter_label(f.quarter)
        + " · "
        + t("common.as_of_line", as_of=fmt_ts(f.as_of), built_at=fmt_ts(info.get("built_at")))
    )
    if not f.quarter or f.quarter not in state.quarters():
        st.info(
            t("common.no_data_quarter", quarter=state.quarter_label(f.quarter))
            + "\n\n"
            + t("common.no_data_quarter_hint")
        )
        return False
    return True
