"""Call lists that are safe to open: read back with openpyxl, no formulas, phones as full text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
from openpyxl import load_workbook

from warmvisits import ops, safe_export

NASTY = [
    '=HYPERLINK("http://x","点我")',
    "+86 138",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=cmd",
    "＝1+1",
    "正常文字",
    "",
]


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "call_ref": [f"WV-B1-{i:04d}" for i in range(1, len(NASTY) + 1)],
            "phone": ["13812345678", "0558-5123456", "01234567890"] + ["13900000001"] * 6,
            "comment": NASTY,
            "n": list(range(len(NASTY))),
        }
    )


def test_safe_text_rules() -> None:
    for s in NASTY[:7]:
        assert safe_export.safe_text(s) == "'" + s
    assert safe_export.safe_text("正常文字") == "正常文字"
    assert safe_export.safe_text(None) == ""
    assert safe_export.safe_text(5.0) == "5"
    assert safe_export.safe_text(-5) == "'-5"


def test_xlsx_cells_are_text_and_never_formulas(tmp_path: Path) -> None:
    data = safe_export.to_xlsx(
        _frame(), sheet="回访名单", headers={"phone": "联系电话"}, title="=标题"
    )
    f = tmp_path / "list.xlsx"
    f.write_bytes(data)
    wb = load_workbook(f)  # formulas, if any, would come back as '=' strings of type 'f'
    ws = wb["回访名单"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells
    for c in cells:
        assert c.data_type == "s", (c.coordinate, c.data_type, c.value)
        assert isinstance(c.value, str)
        assert not c.value.startswith(("=", "+", "-", "@", "\t", "\r")), c.value
    header = [c.value for c in ws[2]]
    assert header == ["call_ref", "联系电话", "comment", "n"]
    phones = [ws.cell(row=r, column=2).value for r in range(3, 3 + len(NASTY))]
    assert phones[:3] == ["13812345678", "0558-5123456", "01234567890"]
    assert ws.cell(row=3, column=2).number_format == "@"


def test_csv_is_bom_utf8_and_neutralised() -> None:
    data = safe_export.to_csv(_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["call_ref", "phone", "comment", "n"]
    for r in rows[1:]:
        for v in r:
            assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), v
    assert [r[1] for r in rows[1:4]] == ["13812345678", "0558-5123456", "01234567890"]


def test_read_back_undoes_the_apostrophe() -> None:
    df = _frame().select("call_ref", "comment")
    for data, name in [
        (safe_export.to_xlsx(df, title="回访名单"), "x.xlsx"),
        (safe_export.to_csv(df), "x.csv"),
    ]:
        back = safe_export.read_table(data, name)
        assert back.get_column("comment").to_list() == NASTY
        assert back.get_column("call_ref").to_list() == df.get_column("call_ref").to_list()


def test_filled_in_list_uploads_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite"
    b = ops.create_batch(
        path,
        kind="cases",
        settings={},
        seed=1,
        frame_sizes={"": 3},
        allocation={"": 3},
        members=[{"case_id": f"C{i}", "household_id": f"H{i}"} for i in range(1, 4)],
        created_by="甲",
    )
    refs = ops.members(path, b.batch_id).get_column("call_ref").to_list()
    filled = pl.DataFrame(
        {
            "回访编号": refs,
            "回访结果": ["满意", "", "不满意"],
            "备注": ["", "", "=恶意公式"],
            "回访时间": ["2023-04-02 10:00:00", "", "2023/4/2 11:00:00"],
        }
    )
    data = safe_export.to_xlsx(filled, title="回访名单")
    table = safe_export.read_table(data, "filled.xlsx")
    rep = ops.import_call_list(path, b.batch_id, table, caller="乙")
    assert (rep.recorded, rep.blank, rep.errors) == (2, 1, [])
    again = ops.import_call_list(path, b.batch_id, table, caller="乙")
    assert (again.recorded, again.already) == (0, 2)
    got = ops.attempts(path, b.batch_id)
    assert got.get_column("outcome").to_list() == ["满意", "不满意"]
    assert got.get_column("comment").to_list() == [None, "=恶意公式"]
    assert got.get_column("source").to_list() == ["upload", "upload"]
    assert got.get_column("called_at").to_list() == ["2023-04-02 10:00:00", "2023-04-02 11:00:00"]
