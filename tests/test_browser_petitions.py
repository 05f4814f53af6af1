"""Browser: 信访趋势 and 问卷分析 in chromium against `streamlit run app.py` on the small demo.

Each page loads with no error element, shows its figures and charts, and a click on a row of its
place table drills down (the scope in the URL narrows). Fixtures in tests/conftest.py; the `page`
fixture also asserts that no request left localhost."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import error_elements, wait_for_app, wait_for_count

pytestmark = pytest.mark.browser

QUARTER = "2023Q1"


def petition_count(db: Path, scope: str) -> int:
    """2023Q1 petitions in a scope, counted straight from the clean table."""
    from warmvisits.db import connect

    con = connect(db)
    try:
        return con.sql(
            "select count(*) from petitions where registered_on between '2023-01-01' and "
            "'2023-03-31' and starts_with(township_code, $s)",
            params={"s": scope},
        ).fetchall()[0][0]
    finally:
        con.close()


def metric(page: Any, label: str) -> str:
    box = page.locator("[data-testid='stMetric']", has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def click_first_row(page: Any, selector: str) -> None:
    grid = page.locator(f"{selector} [data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    grid.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    assert box is not None
    # the first data row, below the 35 px header; its row-selection cell at the left edge
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)


def drill_into_first_row(page: Any, selector: str) -> None:
    """Click the first row of a place table until the URL's scope is a township's. A click
    that lands before the grid takes input does nothing, so it is tried up to 3 times."""
    scoped = "() => /[?&]scope=\\d{9}(&|$)/.test(location.search)"
    for _ in range(3):
        click_first_row(page, selector)
        wait_for_app(page, 60_000)
        try:
            page.wait_for_function(scoped, timeout=15_000)
            break
        except Exception:  # noqa: S112 - tried again; the wait below decides
            continue
    page.wait_for_function(scoped, timeout=30_000)
    wait_for_app(page, 60_000)


def scope_in_url(page: Any) -> str:
    m = re.search(r"[?&]scope=(\d+)", page.url)
    return m.group(1) if m else ""


def test_petitions_page(app_server: str, small_db: Path, page: Any) -> None:
    page.goto(f"{app_server}/petitions?quarter={QUARTER}")
    wait_for_app(page, 60_000)
    assert page.get_by_role("heading", name="信访趋势").first.is_visible()
    assert metric(page, "信访件次") == f"{petition_count(small_db, ''):,}"
    assert wait_for_count(page, "[data-testid='stPlotlyChart']", 2) >= 2
    assert error_elements(page) == []

    drill_into_first_row(page, "[class*='st-key-petitions_townships_']")
    town = scope_in_url(page)
    assert metric(page, "信访件次") == f"{petition_count(small_db, town):,}"
    assert error_elements(page) == []


def test_questionnaire_page(app_server: str, page: Any) -> None:
    page.goto(f"{app_server}/questionnaire?quarter={QUARTER}")
    wait_for_app(page, 60_000)
    assert page.get_by_role("heading", name="问卷分析").first.is_visible()
    assert page.get_by_text("城市版", exact=True).first.is_visible()
    assert page.get_by_text("农村版", exact=True).first.is_visible()
    assert wait_for_count(page, "[data-testid='stPlotlyChart']", 2) == 2
    assert error_elements(page) == []

    # another theme
    page.locator(".st-key-questionnaire_theme button").nth(1).click()
    wait_for_app(page, 60_000)
    assert error_elements(page) == []

    # the ranking lists townships at district scope; a click drills into the first one
    drill_into_first_row(page, "[class*='st-key-questionnaire_areas_']")
    assert page.get_by_text("各村社区").first.is_visible()
    assert error_elements(page) == []
