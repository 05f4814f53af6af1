"""The dashboard's entry script and router.

Draws the shared chrome once (language, quarter, cascading scope picker, role), then
``st.navigation`` with the page files of ``pages/`` grouped by who uses them
(领导总览 / 分析 / 回访 / 数据). A page file that does not exist yet is simply not registered.
Filters live in the session and the URL (``?quarter=2023Q1&scope=341602101&lang=zh``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st

import ui

ROOT = Path(__file__).resolve().parent

# (group key, [(page file stem, material icon)]); the first page is the default ("/")
GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("common.nav.leaders", [("overview", ":material/dashboard:")]),
    (
        "common.nav.analysis",
        [
            ("coverage", ":material/map:"),
            ("cases", ":material/assignment:"),
            ("resolution", ":material/timer:"),
            ("petitions", ":material/trending_down:"),
            ("questionnaire", ":material/quiz:"),
        ],
    ),
    (
        "common.nav.callbacks",
        [("callbacks", ":material/call:"), ("satisfaction", ":material/sentiment_satisfied:")],
    ),
    ("common.nav.data", [("data", ":material/database:"), ("users", ":material/group:")]),
]


def build_navigation(role: str) -> dict[str, list[st.Page]]:
    nav: dict[str, list[st.Page]] = {}
    first = True
    for group_key, pages in GROUPS:
        entries = []
        for stem, icon in pages:
            path = ROOT / "pages" / f"{stem}.py"
            if not path.exists() or not ui.auth.can_open(stem, role):
                continue
            entries.append(
                st.Page(
                    f"pages/{stem}.py",
                    title=ui.t(f"common.page.{stem}"),
                    icon=icon,
                    url_path=stem,
                    default=first,
                )
            )
            first = False
        if entries:
            nav[ui.t(group_key)] = entries
    return nav


_started = time.perf_counter()
ui.ensure_router()
st.set_page_config(page_title=ui.t("common.app_title"), page_icon="🏠", layout="wide")

st.sidebar.markdown(f"**{ui.t('common.app_title')}**")
ui.state.draw_chrome()
current_user = ui.auth.draw_sidebar(ui.lang(), ui.is_demo())  # sign-in, or the demo switchers

navigation = build_navigation(current_user.role)
if navigation:
    current_page = st.navigation(navigation)
    current_page.run()
    # bench/pages.py: every script run's duration, when asked for (one line per run)
    if timings := os.environ.get("WARMVISITS_SCRIPT_TIMES"):
        with open(timings, "a", encoding="utf-8") as log:
            log.write(
                f"{current_page.url_path or 'overview'}\t{time.perf_counter() - _started:.6f}\n"
            )
else:
    st.title(ui.t("common.app_title"))
