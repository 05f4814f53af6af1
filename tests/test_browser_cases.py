"""Browser: open the backlog (问题办理), click an overdue case in the list, see its timeline.

Playwright drives Debian's chromium against `streamlit run app.py` on the small demo
(fixtures in tests/conftest.py; the `page` fixture also asserts no request left localhost)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import error_elements, wait_for_app

pytestmark = pytest.mark.browser


def demo_quarter(db: Path) -> str:
    from warmvisits.db import connect

    con = connect(db)
    try:
        return con.sql(
            "select strftime(received_at, '%Y') || 'Q' || quarter(received_at) as q, count(*) n "
            "from cases where source = '暖心走访' group by q order by n desc, q limit 1"
        ).fetchall()[0][0]
    finally:
        con.close()


def test_click_overdue_case_opens_timeline(app_server: str, small_db: Path, page: Any) -> None:
    quarter = demo_quarter(small_db)
    page.goto(f"{app_server}/cases?quarter={quarter}")
    wait_for_app(page, 60_000)
    assert page.get_by_text("积压：按层级和红黄绿灯").first.is_visible()
    grid = page.locator(".st-key-cases_overdue_list [data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    grid.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    assert box is not None
    heading = page.get_by_text("的流转过程").first
    # the first data row: below the 35 px header; click its row-selection cell at the left edge.
    # A click that lands before the grid takes input does nothing: click again, up to 3 times
    for _ in range(3):
        page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
        wait_for_app(page, 60_000)
        try:
            heading.wait_for(state="visible", timeout=15_000)
            break
        except Exception:  # noqa: S112 - the click is tried again, and the wait below decides
            continue
    heading.wait_for(state="visible", timeout=30_000)
    case_id = heading.inner_text().split(" ")[1]
    assert case_id  # 事项 <id> 的流转过程
    assert page.get_by_text("流转记录").first.is_visible()
    assert page.get_by_text("在各层级停留时间").first.is_visible()
    assert error_elements(page) == []
