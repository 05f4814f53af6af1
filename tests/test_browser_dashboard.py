"""The dashboard in a real browser (Playwright driving Debian's chromium against `streamlit run`
on a free local port, small demo): every page loads without an error element and speaks
Chinese, the language switch, a drill-down click on the league narrows the scope and the URL, the
league sorts, the trend charts show values on hover, a deep link
opened as the very first request to a new server gets the full navigation with its filters, the
map's polygons draw, and no request leaves localhost (the ``page`` fixture asserts that after
every test). With WARMVISITS_SCREENSHOTS=1 the overview and the coverage map are saved to
docs/screenshots/ for the README."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest
from conftest import error_elements, non_local_requests, start_server, wait_for_app

from warmvisits import db as wdb

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
PAGE_TITLES = {
    "overview": "领导总览",
    "coverage": "入户覆盖",
}
ADMIN_PAGES = {"data", "users"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def sql(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(os.fspath(wdb.current_build(db)), read_only=True) as con:
        return con.sql(query).fetchall()


def open_app(pg: object, url: str) -> None:
    pg.goto(url)  # type: ignore[attr-defined]
    wait_for_app(pg)
    pg.wait_for_selector("h1", timeout=30_000)  # type: ignore[attr-defined]


def h1(pg: object) -> str:
    return pg.locator("h1").first.inner_text().strip()  # type: ignore[attr-defined]


def query_of(pg: object) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(pg.url).query).items()}  # type: ignore[attr-defined]


def screenshot(pg: object, name: str, full_page: bool = False) -> None:
    if os.environ.get("WARMVISITS_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = os.fspath(SCREENSHOTS / f"{name}.png")
        if full_page:  # Streamlit scrolls inside its own container: grow the window instead
            size = pg.viewport_size  # type: ignore[attr-defined]
            height = pg.evaluate(  # type: ignore[attr-defined]
                "() => document.querySelector(\"[data-testid='stMain']\").scrollHeight"
            )
            pg.set_viewport_size({"width": size["width"], "height": max(2400, height + 40)})  # type: ignore[attr-defined]
            pg.wait_for_timeout(2500)  # type: ignore[attr-defined]
            pg.screenshot(path=path)  # type: ignore[attr-defined]
            pg.set_viewport_size(size)  # type: ignore[attr-defined]
        else:
            pg.screenshot(path=path)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def last_round(small_db: Path) -> str:
    return sql(small_db, "select max(round) from visits")[0][0]


def test_every_page_loads_in_chinese_without_errors(
    page: object, app_server: str, last_round: str
) -> None:
    stems = sorted(p.stem for p in (ROOT / "pages").glob("*.py") if p.stem not in ADMIN_PAGES)
    assert "overview" in stems and "coverage" in stems
    for stem in stems:
        path = "" if stem == "overview" else stem
        open_app(page, f"{app_server}/{path}?quarter={last_round}")
        assert error_elements(page) == [], stem
        title = h1(page)
        assert CJK.search(title), (stem, title)
        if stem in PAGE_TITLES:
            assert title == PAGE_TITLES[stem]
        assert "⟦" not in page.inner_text("body"), stem  # type: ignore[attr-defined]


def test_overview_metrics_and_language_switch(
    page: object, app_server: str, last_round: str
) -> None:
    open_app(page, f"{app_server}/?quarter={last_round}")
    assert h1(page) == "领导总览"
    assert page.locator("[data-testid='stMetric']").count() >= 10  # type: ignore[attr-defined]
    assert "数据截至" in page.inner_text("body")  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    screenshot(page, "overview", full_page=True)
    page.locator("[data-testid='stSidebar'] label").filter(has_text="English").click()  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelector('h1') && document.querySelector('h1').innerText.includes('Leaders')",
        timeout=30_000,
    )
    wait_for_app(page)
    assert h1(page) == "Leaders' overview"
    assert "Data as of" in page.inner_text("body")  # type: ignore[attr-defined]
    assert query_of(page)["lang"] == "en"
    assert error_elements(page) == []


def test_clicking_a_league_row_narrows_the_scope_and_the_url(
    page: object, app_server: str, last_round: str, small_db: Path
) -> None:
    first_code, first_name = sql(
        small_db, "select township_code, township_name from townships order by 1 limit 1"
    )[0]
    open_app(page, f"{app_server}/?quarter={last_round}")
    row = page.locator(f"table.wv-league tr[data-select='{first_code}']")  # type: ignore[attr-defined]
    row.scroll_into_view_if_needed()
    row.locator("td").nth(1).click()  # anywhere on the row, not only the name
    page.wait_for_function(  # type: ignore[attr-defined]
        "code => location.search.includes('scope=' + code)", arg=first_code, timeout=30_000
    )
    wait_for_app(page)
    assert query_of(page)["scope"] == first_code
    assert (
        first_name
        in page.locator(
            "[data-testid='stMain'] [data-testid='stCaptionContainer']"
        ).first.inner_text()
    )  # type: ignore[attr-defined]
    # the league now lists the township's villages
    villages = [
        r[0]
        for r in sql(
            small_db, f"select village_code from villages where township_code = '{first_code}'"
        )
    ]
    codes = page.locator("table.wv-league tbody tr").evaluate_all(  # type: ignore[attr-defined]
        "rows => rows.map(r => r.dataset.select)"
    )
    assert sorted(codes) == sorted(villages)
    assert error_elements(page) == []


def league_column(pg: object, key: str) -> list[float | None]:
    """The values the league's rows show for column ``key``, in display order."""
    values = pg.evaluate(  # type: ignore[attr-defined]
        """key => {
            const table = document.querySelector('table.wv-league')
                || [...document.querySelectorAll('*')]
                    .map(e => e.shadowRoot && e.shadowRoot.querySelector('table.wv-league'))
                    .find(Boolean);
            const col = [...table.tHead.rows[0].cells].findIndex(th => th.dataset.key === key);
            return [...table.tBodies[0].rows].map(r => r.cells[col].dataset.v);
        }""",
        key,
    )
    return [float(v) if v != "" else None for v in values]


def test_league_sorts_by_a_header_click_and_charts_show_values_on_hover(
    page: object, app_server: str, last_round: str
) -> None:
    open_app(page, f"{app_server}/?quarter={last_round}")
    header = page.locator("table.wv-league th[data-key='cases_received']")  # type: ignore[attr-defined]
    before = league_column(page, "cases_received")
    assert len(set(before)) >= 2, before  # something to sort
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert league_column(page, "cases_received") == sorted(before)  # type: ignore[type-var]
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert league_column(page, "cases_received") == sorted(before, reverse=True)  # type: ignore[type-var]
    # lagging values are marked in red with their rule as a tooltip
    lagging = page.locator("table.wv-league td.wv-lag[title]")  # type: ignore[attr-defined]
    assert lagging.count() > 0

    # the trend charts: an SVG per chart, one hover column per round with its values
    charts = page.locator("figure.wv-chart")  # type: ignore[attr-defined]
    assert charts.count() == 2
    rounds = charts.first.locator(".wv-col")
    column = rounds.last
    tip = column.locator(".wv-tip")
    assert not tip.is_visible()
    column.hover()
    tip.wait_for(state="visible", timeout=5_000)
    text = tip.inner_text()
    assert f"{last_round[:4]}年第{last_round[-1]}季度" in text
    assert "入户覆盖率" in text and "%" in text
    assert charts.first.locator("svg circle").count() >= rounds.count()
    assert error_elements(page) == []


def test_deep_link_as_the_first_request_to_a_new_server(
    page: object, small_db: Path, last_round: str
) -> None:
    first = sql(small_db, "select min(round) from visits")[0][0]
    code, name = sql(
        small_db, "select township_code, township_name from townships order by 1 desc limit 1"
    )[0]
    with start_server(small_db) as url:
        open_app(page, f"{url}/coverage?quarter={first}&scope={code}&lang=zh")
        assert h1(page) == "入户覆盖"
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()  # type: ignore[attr-defined]
        for label in ("领导总览", "分析", "入户覆盖"):
            assert label in nav
        assert "coverage" not in nav.lower().split()  # no raw file names
        chosen = page.locator("[data-testid='stSidebar'] input").evaluate_all(  # type: ignore[attr-defined]
            "els => els.map(e => e.value || e.getAttribute('aria-label') || '')"
        )
        caption = page.locator(
            "[data-testid='stMain'] [data-testid='stCaptionContainer']"
        ).first.inner_text()  # type: ignore[attr-defined]
        label = f"{first[:4]}年第{first[-1]}季度"
        assert label in caption and name in caption
        assert any(label in c for c in chosen) or label in page.inner_text(
            "[data-testid='stSidebar']"
        )  # type: ignore[attr-defined]
        assert query_of(page) == {"quarter": first, "scope": code, "lang": "zh"}
        assert error_elements(page) == []


def test_map_polygons_draw(page: object, app_server: str, last_round: str) -> None:
    open_app(page, f"{app_server}/coverage?quarter={last_round}")
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first  # type: ignore[attr-defined]
    canvas.wait_for(timeout=30_000)
    from PIL import Image

    # deck.gl draws when its layers are ready, some time after the canvas exists: look again
    # for up to 20 s rather than once after a fixed pause (a slow machine drew later)
    colours: list[Any] = []
    for _ in range(20):
        page.wait_for_timeout(1000)  # type: ignore[attr-defined]
        image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        colours = image.getcolors(maxcolors=1 << 16) or []
        if len(colours) > 3:
            break
    # more than the blank background: filled polygons in several colours
    assert len(colours) > 3
    screenshot(page, "coverage_map")
    assert error_elements(page) == []


def test_no_request_leaves_localhost(page: object, app_server: str, last_round: str) -> None:
    open_app(page, f"{app_server}/coverage?quarter={last_round}")
    page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.wait_for(timeout=30_000)  # type: ignore[attr-defined]
    open_app(page, f"{app_server}/?quarter={last_round}")
    requests = page.wv_requests  # type: ignore[attr-defined]
    assert len(requests) > 10
    assert non_local_requests(requests) == []
    assert non_local_requests(["https://basemaps.cartocdn.com/x.json"]) != []
