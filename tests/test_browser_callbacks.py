"""Browser: as 回访员, draw a batch, download the call list (safe to open), record a call,
upload a filled-in list, and see the batch's satisfaction results — all through the interface.

Playwright drives Debian's chromium against `streamlit run app.py` on the tiny callbacks export
(tests/data/callbacks, built by the real build as a demo so no sign-in is needed); the `page`
fixture of tests/conftest.py asserts that no request left localhost.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import error_elements, start_server, wait_for_app
from openpyxl import load_workbook

from warmvisits import ops

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "callbacks"


@pytest.fixture(scope="module")
def cb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from warmvisits import build
    from warmvisits import db as wdb

    folder = tmp_path_factory.mktemp("callbacks_browser")
    build.build(DATA, folder, demo=True)
    pointer = wdb.pointer_path(folder)
    with start_server(pointer, extra_env={"WARMVISITS_OPS": ""}) as url:
        yield url, pointer


def _choose(page: Any, key: str, option: str) -> None:
    page.locator(f".st-key-{key} [role='combobox']").first.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    wait_for_app(page, 60_000)


def _click(page: Any, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()
    wait_for_app(page, 60_000)


def test_draw_call_record_and_see_results(
    cb_server: tuple[str, Path], page: Any, tmp_path: Path
) -> None:
    url, pointer = cb_server
    store = ops.ops_path(pointer)
    page.goto(f"{url}/callbacks?quarter=2023Q1")
    wait_for_app(page, 60_000)
    _choose(page, "wv_role", "回访员")
    page.get_by_text("可抽样").first.wait_for(timeout=30_000)

    _click(page, "cb_draw")
    page.get_by_text("已保存批次").first.wait_for(timeout=30_000)
    batches = ops.list_batches(store)
    assert len(batches) == 1 and batches[0].n_members == 6

    page.locator(".st-key-cb_section button", has_text="回访名单").first.click()
    wait_for_app(page, 60_000)
    page.get_by_text("记录回访结果").first.wait_for(timeout=30_000)

    # the Excel download: every cell text, nothing a spreadsheet would run, full phone numbers
    with page.expect_download() as info:
        page.locator(".st-key-cb_dl_xlsx button").first.click()
    xlsx = tmp_path / "list.xlsx"
    info.value.save_as(xlsx)
    wb = load_workbook(xlsx)
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header[0] == "回访编号" and "联系电话" in header and "回访结果" in header
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None:
                assert c.data_type == "s"
                assert not str(c.value).startswith(("=", "+", "-", "@"))
    phone_col = header.index("联系电话") + 1
    phones = [ws.cell(r, phone_col).value for r in range(2, ws.max_row + 1)]
    assert len(phones) == 6 and all(len(p) == 11 and p.isdigit() for p in phones), phones

    # record the first member's call as 满意
    page.locator(".st-key-cb_outcome label", has_text="满意").first.click()
    wait_for_app(page, 60_000)
    _click(page, "cb_save")
    page.get_by_text("已保存").first.wait_for(timeout=30_000)

    # fill in the downloaded list for the second member (不满意, with a formula-looking comment)
    col = {name: i + 1 for i, name in enumerate(header)}
    ws.cell(3, col["回访结果"]).value = "不满意"
    note = ws.cell(3, col["备注"])
    note.value = "=还没修好"
    note.data_type = "s"  # typed as text, as Excel stores '=还没修好
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    page.locator(".st-key-cb_upload input[type='file']").set_input_files(str(filled))
    wait_for_app(page, 60_000)
    _click(page, "cb_import")
    page.get_by_text("已导入 1 条结果").first.wait_for(timeout=30_000)

    got = ops.members(store, batches[0].batch_id)
    assert got.get_column("final_outcome").to_list()[:2] == ["满意", "不满意"]
    assert got.get_column("comment").to_list()[1] == "=还没修好"

    # results for the batch
    page.get_by_role("link", name="满意度", exact=True).first.click()
    wait_for_app(page, 60_000)
    page.locator(".st-key-sat_mode button", has_text="按批次").first.click()
    wait_for_app(page, 60_000)
    page.get_by_text("基于 2 个接通回访").first.wait_for(timeout=30_000)
    assert page.get_by_text("不满意回访（需跟进）").first.is_visible()
    assert error_elements(page) == []
