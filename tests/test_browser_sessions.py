"""Several browser sessions at once keep their own role and filters.

Seen in the 10-session benchmark: with several sessions busy, a session's browser rebuilt the
sidebar's role picker from its default option and sent that back with the next click, so a demo
analyst became a leader and lost the 满意度回访 page. Here sessions with different quarters,
languages and scopes click through the pages together (each click sent to all of them before
any is awaited, so the server runs their scripts side by side), and after every step each
session must still show its own role, quarter, language and scope.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import error_elements, non_local_requests, start_server, wait_for_app
from test_app_shell import quarters_in

from warmvisits import i18n

pytestmark = pytest.mark.browser

SESSIONS = 4
# pages every demo analyst may open, in click order; the overview last (its URL is "/")
STEPS = ["coverage", "callbacks", "satisfaction", "cases"]


def _nav_titles(page: Any) -> list[str]:
    texts = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
    return [t.split("\n")[-1].strip() for t in texts]


def _role_shown(page: Any) -> str:
    return str(page.locator(".st-key-wv_role [role='combobox']").first.input_value())


def _params(page: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_concurrent_sessions_keep_their_own_role_and_filters(small_db: Path, browser: Any) -> None:
    quarters = quarters_in(small_db)
    assert len(quarters) >= 2
    with start_server(small_db) as url:
        sessions = []
        for k in range(SESSIONS):
            lang = "en" if k % 2 else "zh"
            # oldest quarters: a reset picker would jump to the newest, which is index 0
            want = {"quarter": quarters[k % 2], "lang": lang}
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda req, r=requests: r.append(req.url))
            page.goto(f"{url}/?quarter={want['quarter']}&lang={lang}")
            sessions.append((context, page, want, requests))
        for _, page, _, _ in sessions:
            wait_for_app(page, 120_000)
            page.wait_for_selector("[data-testid='stSidebarNav']", timeout=60_000)

        for stem in STEPS:
            for _, page, want, _ in sessions:  # every click first, then every wait
                title = i18n.t(f"common.page.{stem}", want["lang"])
                nav = page.locator("[data-testid='stSidebarNav']")
                link = nav.get_by_role("link", name=re.compile(rf"(^|\s){re.escape(title)}$"))
                link.click(timeout=30_000)
            for k, (_, page, want, _) in enumerate(sessions):
                page.wait_for_function(
                    "p => location.pathname.replace(/\\/$/, '').endsWith(p)",
                    arg="/" + stem,
                    timeout=60_000,
                )
                wait_for_app(page, 120_000)
                lang = want["lang"]
                where = f"session {k} after opening {stem}"
                assert _role_shown(page) == i18n.t("enums.role.analyst", lang), where
                titles = _nav_titles(page)
                assert i18n.t("common.page.callbacks", lang) in titles, (where, titles)
                params = _params(page)
                assert params.get("quarter") == want["quarter"], (where, params)
                assert params.get("lang") == lang, (where, params)
                assert "scope" not in params, (where, params)
                assert not error_elements(page), (where, error_elements(page))
        for context, _, _, requests in sessions:
            context.close()
            assert not non_local_requests(requests)
