"""Bad input: SQL-injection strings in URL parameters and text fields, HTML and Markdown in
exported text, formula-looking text in downloads, bad uploads, a corrupt workbook."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from pathlib import Path

import auth_fixture as af
import duckdb
import openpyxl
import pytest

from warmvisits import auth as wauth
from warmvisits import build as wbuild
from warmvisits import db as wdb
from warmvisits import queries, uploads

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bad-input-password"
INJECTIONS = [
    "' or '1'='1",
    "2023Q1'; drop table households; --",
    '341602101" or 1=1 --',
    "%' union select head_name, phone from households --",
    "$scope",
    "<script>alert(1)</script>",
]
RAW_MARKUP = ["<script", "<img", "**粗体标记**", "](http://example.invalid)"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?(e[+-]?\d+)?%?$", re.I)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("bad_input")
    exports = af.write_exports(base / "exports")
    users = base / "users.toml"
    h = wauth.hash_password(PASSWORD)
    wauth.save_users(
        users,
        {"town": wauth.User("town", "analyst", af.T1, h), "adm": wauth.User("adm", "admin", "", h)},
    )
    return {
        "exports": exports,
        "demo": af.build_db(exports, base / "demo", demo=True),
        "real": af.build_db(exports, base / "real", demo=False),
        "users": users,
    }


@pytest.fixture
def downloads(monkeypatch):
    """Every file a download button offered during the test: (file name, mimetype, bytes)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    seen: list[tuple[str, str, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes | bytearray):
            seen.append((filename or "", mimetype, bytes(path_or_data)))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)

    # deferred downloads (data=callable) are made on click: make them now to look inside
    from streamlit.runtime.media_file_manager import MediaFileManager

    original_deferred = MediaFileManager.add_deferred

    def record_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        data = data_callable()
        if hasattr(data, "read"):
            data = data.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        seen.append((file_name or "", mimetype or "", bytes(data)))
        return original_deferred(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return seen


@pytest.fixture
def make_app(dbs, monkeypatch, tmp_path):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def make(which: str = "demo", query_params: dict[str, str] | None = None, **state):
        af.env_for(monkeypatch, dbs[which], dbs["users"])
        monkeypatch.setenv("WARMVISITS_EXPORTS", os.fspath(tmp_path / "uploads"))
        monkeypatch.chdir(ROOT)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(os.fspath(ROOT / "app.py"), default_timeout=60)
        for k, v in (query_params or {}).items():
            at.query_params[k] = v
        for k, v in state.items():
            at.session_state[k] = v
        return at

    yield make
    st.cache_data.clear()
    st.cache_resource.clear()


def sign_in(at, name: str):
    at.text_input(key="wv_signin_user").set_value(name)
    at.text_input(key="wv_signin_password").set_value(PASSWORD)
    at.button(key="FormSubmitter:wv_signin-登录").click()
    return at.run()


def pages_of(at) -> list[str]:
    return sorted(af.registered_pages(at))


def household_count(pointer: Path) -> int:
    con = duckdb.connect(os.fspath(wdb.current_build(pointer)), read_only=True)
    try:
        return int(con.sql("select count(*) from households").fetchall()[0][0])
    finally:
        con.close()


# ---------------------------------------------------------------------------- download checks


def cells_of(name: str, mimetype: str, data: bytes) -> list[tuple[str, bool]]:
    """(text, is_formula) for every cell of a CSV or XLSX download."""
    if name.endswith(".xlsx") or "spreadsheetml" in mimetype:
        wb = openpyxl.load_workbook(io.BytesIO(data))
        out = []
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.value is not None:
                        out.append((str(c.value), c.data_type == "f"))
        return out
    text = data.decode("utf-8-sig")
    return [(cell, False) for row in csv.reader(io.StringIO(text)) for cell in row]


def formula_like(text: str) -> bool:
    return text.startswith(DANGEROUS) and not _NUMBER.match(text.strip())


def check_downloads(seen, forbidden: list[str]) -> None:
    for name, mimetype, data in seen:
        if not (name.endswith((".csv", ".xlsx")) or "csv" in mimetype or "sheet" in mimetype):
            continue
        cells = cells_of(name, mimetype, data)
        bad = [t for t, f in cells if f or formula_like(t)]
        assert not bad, f"{name}: cells a spreadsheet would run: {bad[:3]}"
        everything = "\n".join(t for t, _ in cells)
        leaked = [s for s in forbidden if s in everything]
        assert not leaked, f"{name} holds {leaked}"


# ---------------------------------------------------------------------------- URL and text input


def sweep(at, seen_pages: list[str], *, check_markup: bool = False) -> dict[str, str]:
    shown = {}
    for page in seen_pages:
        at.switch_page(f"pages/{page}.py")
        at.run()
        assert not at.exception, (page, [e.message for e in at.exception][:1])
        # every free-text field of the page gets an injection string too
        fields = [ti for ti in at.text_input if not str(ti.key or "").startswith("wv_signin")]
        for ti, text in zip(fields, INJECTIONS, strict=False):
            ti.set_value(text)
        if fields:
            at.run()
            assert not at.exception, (page, [e.message for e in at.exception][:1])
        texts = [af.rendered_text(at)]
        md = list(af.markdown_texts(at))
        # open each planted case wherever a page offers to pick one (timelines show its text)
        for case_id in ("C1", "C2"):
            pickers = [sb for sb in at.selectbox if case_id in list(sb.options)]
            for sb in pickers:
                sb.set_value(case_id)
                at.run()
                assert not at.exception, (page, case_id, [e.message for e in at.exception][:1])
                texts.append(af.rendered_text(at))
                md += af.markdown_texts(at)
        shown[page] = "\n".join(texts)
        raw_md = [m for m in md for raw in RAW_MARKUP if raw in m]
        assert not (check_markup and raw_md), (
            f"{page} renders exported text as Markdown/HTML: {raw_md[:2]}"
        )
    return shown


@pytest.mark.parametrize("bad", INJECTIONS)
def test_injection_in_every_url_parameter_breaks_nothing(make_app, dbs, downloads, bad):
    before = household_count(dbs["demo"])
    at = make_app("demo", {"quarter": bad, "scope": bad, "lang": bad}, wv_role="admin")
    at.run()
    assert not at.exception
    assert at.session_state["wv_scope"] == ""  # not a code: the district
    assert at.session_state["wv_lang"] == "zh"
    sweep(at, pages_of(at))
    assert household_count(dbs["demo"]) == before
    check_downloads(downloads, forbidden=[])


def test_exported_markup_is_shown_as_text_on_every_page_and_downloads_are_safe(make_app, downloads):
    shown: dict[str, str] = {}
    for scope in ("", af.G1, af.G2):
        at = make_app("demo", {"quarter": "2023Q1", "scope": scope}, wv_role="admin")
        at.run()
        swept = sweep(at, pages_of(at), check_markup=True)
        shown.update({f"{p}@{scope}": s for p, s in swept.items()})
    # positive control: the planted markup is there somewhere, as plain table text
    assert any("<script>alert(" in s or "<img src=x" in s for s in shown.values())
    assert downloads, "no page offered a download"
    check_downloads(downloads, forbidden=[])
    # the formula-looking values planted in the exports reach some download, neutralised
    everything = "\n".join(
        t for n, m, d in downloads if n.endswith((".csv", ".xlsx")) for t, _ in cells_of(n, m, d)
    )
    assert "'" + af.FORMULA in everything or "'=SUM(A1:A9)" in everything


def test_analyst_downloads_hold_no_full_personal_data(make_app, downloads):
    for scope in (af.G1, af.G2):
        at = make_app("demo", {"quarter": "2023Q1", "scope": scope}, wv_role="analyst")
        at.run()
        sweep(at, pages_of(at))
    check_downloads(downloads, forbidden=af.FULL_NAMES + af.FULL_PHONES + af.ADDRESS_TAILS)


@pytest.mark.parametrize("bad", [INJECTIONS[0], INJECTIONS[3], af.T2 + "' or 1=1 --"])
def test_township_user_with_injected_scope_sees_and_downloads_nothing_of_others(
    make_app, downloads, bad
):
    at = make_app("real", {"quarter": "2023Q1", "scope": bad})
    at.run()
    sign_in(at, "town")
    assert not at.exception
    assert at.session_state["wv_scope"] == af.T1
    for page, text in sweep(at, pages_of(at)).items():
        leaked = [m for m in af.T2_MARKERS if m in text]
        assert not leaked, f"{page}: {leaked}"
    check_downloads(downloads, forbidden=af.T2_MARKERS + af.FULL_NAMES + af.FULL_PHONES)


def test_injection_strings_as_bound_parameters_return_nothing(dbs):
    con = duckdb.connect(os.fspath(wdb.current_build(dbs["real"])), read_only=True)
    try:
        for bad in INJECTIONS:
            df = queries.run(con, "callbacks_households", household_ids=[bad], scope=bad)
            assert df.height == 0
            df = queries.run(con, "data_reject_rows", kind=bad, rule=bad)
            assert df.height == 0
        assert int(con.sql("select count(*) from households").fetchall()[0][0]) == 4
    finally:
        con.close()


# ---------------------------------------------------------------------------- uploads (library)

GOOD_CSV = (
    "户编码,网格编码,户主姓名,联系电话\n341602101001001-0009,341602101001001,测试户,13800000000\n"
).encode()


def corrupt_xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "this is not a workbook <<<")
        z.writestr("xl/worksheets/sheet1.xml", "\x00\x01 broken")
    return buf.getvalue()


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_good_upload_is_saved_and_recognised(tmp_path):
    folder = tmp_path / "exports"
    r = uploads.save_upload("住户台账(1).csv", GOOD_CSV, folder)
    assert r.ok and r.reason == "ok"
    assert [(t.kind, t.rows) for t in r.tables] == [("households", 1)]
    assert files_in(folder) == ["住户台账(1).csv"]
    assert (folder / "住户台账(1).csv").read_bytes() == GOOD_CSV
    again = uploads.save_upload("住户台账(1).csv", GOOD_CSV, folder)
    assert again.reason == "replaced" and files_in(folder) == ["住户台账(1).csv"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("big.csv", GOOD_CSV * 200, "too_large"),
        ("empty.csv", b"", "empty"),
        ("notes.txt", b"hello", "bad_type"),
        ("run.exe", b"MZ\x90\x00", "bad_type"),
        ("report.pdf", b"%PDF-1.4", "bad_type"),
        ("fake.xlsx", GOOD_CSV, "bad_type"),
        ("fake.xls", GOOD_CSV, "bad_type"),
        ("binary.csv", b"\x00\x01\x02\x03" * 10, "bad_type"),
        ("../escape.csv", GOOD_CSV, "bad_name"),
        ("a/b.csv", GOOD_CSV, "bad_name"),
        (".hidden.csv", GOOD_CSV, "bad_name"),
        ("no_header.csv", "甲,乙\n1,2\n".encode(), "not_recognised"),
        ("损坏的登记表.xlsx", corrupt_xlsx(), "not_recognised"),
    ],
)
def test_bad_upload_refused_with_a_reason_and_nothing_written(tmp_path, name, data, reason):
    folder = tmp_path / "exports"
    folder.mkdir()
    r = uploads.save_upload(name, data, folder, max_bytes=2048)
    assert not r.ok and r.reason == reason and r.saved_as is None
    assert r.detail  # a clear message
    assert files_in(folder) == []  # not even a temporary file
    assert files_in(tmp_path) == ["exports"]


# ---------------------------------------------------------------------------- corrupt workbook


def test_corrupt_xlsx_is_reported_by_name_and_the_current_build_stays(dbs, tmp_path):
    db = tmp_path / "db"
    pointer = af.build_db(dbs["exports"], db, demo=False)
    current = wdb.current_build(pointer)
    # next to good files: the build names the bad file and loads the rest
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for p in dbs["exports"].iterdir():
        (mixed / p.name).write_bytes(p.read_bytes())
    (mixed / "损坏的登记表.xlsx").write_bytes(corrupt_xlsx())
    report = wbuild.build(mixed, db)
    bad = [f for f in report.files if f.path == "损坏的登记表.xlsx"]
    assert bad and bad[0].error
    assert report.tables["households"]["rows"] == 4
    newer = wdb.current_build(pointer)
    assert newer != current
    # alone: no database can be built, the error names the file, the current one stays
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "损坏的登记表.xlsx").write_bytes(corrupt_xlsx())
    with pytest.raises(wbuild.BuildError, match="损坏的登记表.xlsx"):
        wbuild.build(alone, db)
    assert wdb.current_build(pointer) == newer
    assert household_count(pointer) == 4


def test_data_page_refuses_bad_uploads_and_a_failed_build_keeps_the_database(
    make_app, dbs, tmp_path, monkeypatch
):
    monkeypatch.setenv("WARMVISITS_UPLOAD_MAX_MB", str(2048 / 1024 / 1024))
    before = wdb.current_build(dbs["demo"])
    at = make_app("demo", wv_role="admin")
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception
    at.file_uploader(key="wv_data_uploader").set_value(
        [
            ("big.csv", GOOD_CSV * 200, "text/csv"),
            ("notes.txt", b"hello", "text/plain"),
            ("损坏的登记表.xlsx", corrupt_xlsx(), "application/octet-stream"),
        ]
    )
    at.run()
    at.button(key="wv_data_save").click()
    at.run()
    assert not at.exception
    assert "3 个文件被拒收，未写入任何内容。" in [e.value for e in at.error]
    table = at.dataframe[-1].value
    assert list(table["文件"]) == ["big.csv", "notes.txt", "损坏的登记表.xlsx"]
    assert list(table["结果"]) == [
        "拒收：文件过大",
        "拒收：文件类型不允许或内容与扩展名不符",
        "拒收：未识别出任何导出表",
    ]
    upload_folder = tmp_path / "uploads"
    assert files_in(upload_folder) == []
    # build from the (empty) upload folder: refused, the demo stays current
    at.button(key="wv_data_build").click()
    at.run()
    assert not at.exception
    assert "构建失败，当前数据库保持不变：" in [e.value for e in at.error]
    assert wdb.current_build(dbs["demo"]) == before
    # a good file is saved and recognised
    at.file_uploader(key="wv_data_uploader").set_value(("住户.csv", GOOD_CSV, "text/csv"))
    at.run()
    at.button(key="wv_data_save").click()
    at.run()
    assert files_in(upload_folder) == ["住户.csv"]
    table = at.dataframe[-1].value
    assert list(table["识别为"]) == ["住户台账 (1)"]
