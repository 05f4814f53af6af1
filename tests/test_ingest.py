"""Reading exports as they really come: header rows below titles, Chinese and English headers
in any order, UTF-8 / BOM / GB18030, real .xlsx with several sheets, codes and phones stored as
numbers, every date form. Each test writes its own files and checks the built clean tables."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from exportkit import (
    G1,
    G3,
    GRID_HEADER,
    GRID_ROWS,
    HOUSEHOLD_HEADER,
    HOUSEHOLD_ROWS,
    T1,
    V1,
    base_registers,
    write_csv,
    write_xlsx,
)

from warmvisits import build as wbuild
from warmvisits.ingest import decode_bytes, read_folder


def built(exports: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    report = wbuild.build(exports, tmp_path / "db")
    return duckdb.connect(report.db, read_only=True)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.sql(sql).fetchall()


def test_header_below_title_rows_english_aliases_any_order(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    # English aliases, shuffled, with full-width and surrounding spaces in the header cells
    header = ["grid_code", " Leader_Name ", "village_type", "ＶＩＬＬＡＧＥ_ＮＡＭＥ",
              "village_code", "township_name", "\u3000township_code"]  # fmt: skip
    order = [6, 8, 5, 4, 3, 1, 0]  # positions in GRID_ROWS
    data = [[r[i] for i in order] for r in GRID_ROWS]
    write_csv(ex / "谯城区网格台账(1).csv", header, data,
              title_rows=["谯城区2023年第一季度网格台账", "导出时间：2023-03-06", ""])  # fmt: skip
    con = built(ex, tmp_path)
    got = rows(
        con,
        "select g.grid_code, g.leader_name, v.village_name, g.township_code "
        "from grids g join villages v using (village_code)",
    )
    assert sorted(got) == sorted((r[6], r[8], r[4], r[0]) for r in GRID_ROWS)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    ex = tmp_path / "ex"
    write_csv(ex / "grids.csv", GRID_HEADER, GRID_ROWS, encoding=encoding,
              title_rows=["网格台账"])  # fmt: skip
    raw = (ex / "grids.csv").read_bytes()
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")  # really GB18030 bytes, not UTF-8
    text, found = decode_bytes(raw)
    assert found == encoding
    con = built(ex, tmp_path)
    names = rows(con, "select village_name from villages order by village_code")
    assert names == [("马元社区",), ("袁庄村",)]


def test_xlsx_title_rows_numeric_codes_several_sheets_and_excel_dates(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    grid_rows = [[int(v) if v.isdigit() else v for v in r] for r in GRID_ROWS]  # codes as numbers
    hh_rows = [
        [r[0], int(r[1]), r[2], int(r[3]) if r[3].isdigit() else r[3], r[4], int(r[5]), r[6], r[7]]
        for r in HOUSEHOLD_ROWS
    ]
    visit_header = ["走访编号", "走访轮次", "户编码", "网格编码", "走访日期", "走访方式", "走访人"]
    visit_rows = [
        ["V1", "2023Q1", G1 + "-0001", int(G1), datetime(2023, 2, 20, 14, 3, 0, 600000), "入户", "张三"],
        ["V2", "2023Q1", G1 + "-0002", int(G1), datetime(2023, 2, 20, 14, 3, 0, 499000), "电话", "张三"],
        ["V3", "2023Q1", G3 + "-0001", int(G1), datetime(2023, 2, 21), "入户", "王五"],  # wrong grid
    ]  # fmt: skip
    write_xlsx(
        ex / "谯城区2023年第一季度暖心走访登记表.xlsx",
        {"网格": (GRID_HEADER, grid_rows), "住户": (HOUSEHOLD_HEADER, hh_rows),
         "走访": (visit_header, visit_rows)},
        title_rows=["谯城区2023年第一季度暖心走访登记表", "导出时间：2023-03-06"],
    )  # fmt: skip
    # a code stored as a number in scientific form, in a CSV saved from Excel
    con = built(ex, tmp_path)
    assert rows(con, "select grid_code, leader_phone from grids order by 1") == [
        (r[6], r[9]) for r in GRID_ROWS
    ]
    assert rows(con, "select household_id, phone, members from households order by 1") == [
        (r[0], r[3], int(r[5])) for r in HOUSEHOLD_ROWS
    ]
    # half a second rounds up, less rounds down (the visit date keeps the day)
    assert rows(con, "select visit_id, visit_on from visits order by 1") == [
        ("V1", date(2023, 2, 20)),
        ("V2", date(2023, 2, 20)),
    ]
    # the rejected row is named by the row a person sees in Excel: 2 title rows, the header
    # on row 3, V1 on row 4, V3 on row 6
    assert rows(con, "select file, sheet, row_number, rule from rejects") == [
        ("谯城区2023年第一季度暖心走访登记表.xlsx", "走访", 6, "visit_grid_mismatch")
    ]


def test_excel_time_cells_round_to_the_second(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    header = ["事项编号", "来源", "网格编码", "事项类别", "复杂程度", "受理时间", "状态", "当前层级",
              "办结时间"]  # fmt: skip
    write_xlsx(ex / "cases.xlsx", {"事项": (header, [
        ["C1", "暖心走访", int(G1), "道路交通", "一般", datetime(2023, 2, 21, 9, 0, 0, 500000),
         "已办结", "村社区", datetime(2023, 2, 22, 17, 59, 59, 400000)],
    ])})  # fmt: skip
    con = built(ex, tmp_path)
    assert rows(con, "select received_at, resolved_at from cases") == [
        (datetime(2023, 2, 21, 9, 0, 1), datetime(2023, 2, 22, 17, 59, 59))
    ]


def test_every_date_and_time_form(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    forms = {
        "C1": ("2023-02-20", datetime(2023, 2, 20)),
        "C2": ("2023/2/20", datetime(2023, 2, 20)),
        "C3": ("2023年2月20日", datetime(2023, 2, 20)),
        "C4": ("2023-02-20 14:03:00", datetime(2023, 2, 20, 14, 3)),
        "C5": ("2023/2/20 14:03", datetime(2023, 2, 20, 14, 3)),
        "C6": ("2023/2/20 14:03:05", datetime(2023, 2, 20, 14, 3, 5)),
    }
    header = [
        "事项编号",
        "来源",
        "网格编码",
        "事项类别",
        "复杂程度",
        "受理时间",
        "状态",
        "当前层级",
    ]
    data = [[k, "暖心走访", G1, "其他", "一般", v[0], "办理中", "村社区"] for k, v in forms.items()]
    write_csv(ex / "cases.csv", header, data)
    con = built(ex, tmp_path)
    got = dict(rows(con, "select case_id, received_at from cases"))
    assert got == {k: v[1] for k, v in forms.items()}
    # a blank due time is received + 7 days for 一般
    assert rows(con, "select distinct due_at - received_at from cases") == [
        (datetime(2023, 2, 27) - datetime(2023, 2, 20),)
    ]


def test_codes_saved_by_excel_as_numbers_in_csv(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    g = list(GRID_ROWS[0])
    g[3] = "3.41602101001E+11"  # the village code as Excel shows a 12-digit number
    g[6] = "341602101001001.0"
    g[9] = "1.3800000001E+10"
    write_csv(ex / "grids.csv", GRID_HEADER, [g])
    con = built(ex, tmp_path)
    assert rows(con, "select village_code, grid_code, leader_phone from grids") == [
        (V1, G1, "13800000001")
    ]


def test_round_forms_and_enumeration_aliases(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    header = ["visit_id", "round", "household_id", "grid_code", "visit_date", "method", "visitor"]
    forms = ["2023Q1", "2023年第一季度", "2023年一季度", "2023-Q1"]
    methods = ["door", "Phone", "未联系上", "入户"]
    data = [
        [f"V{i}", forms[i], G1 + "-0001", G1, "2023-02-20", methods[i], "张三"] for i in range(4)
    ]
    write_csv(ex / "visits.csv", header, data)
    con = built(ex, tmp_path)
    assert rows(con, "select visit_id, round, method from visits order by 1") == [
        ("V0", "2023Q1", "入户"),
        ("V1", "2023Q1", "电话"),
        ("V2", "2023Q1", "未联系上"),
        ("V3", "2023Q1", "入户"),
    ]


def test_unknown_columns_and_other_files_are_listed(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    write_csv(ex / "grids.csv", [*GRID_HEADER, "备注列"], [[*r, "x"] for r in GRID_ROWS])
    (ex / "说明.txt").write_text("导出说明", encoding="utf-8")
    (ex / "report.pdf").write_bytes(b"%PDF-1.4\n")
    report = wbuild.build(ex, tmp_path / "db")
    assert report.unknown_columns == [
        {"file": "grids.csv", "sheet": None, "kind": "grids", "column": "备注列"}
    ]
    skipped = {f.path: f.error for f in report.files if f.kind is None}
    assert set(skipped) == {"说明.txt", "report.pdf"}
    assert all(e and e.startswith("skipped") for e in skipped.values())


def test_unreadable_files_are_named_and_the_rest_loads(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    (ex / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (ex / "garbage.csv").write_bytes(b"\xff\xfe\xff\x00\x81\xff" * 10)
    write_csv(ex / "notes.csv", ["说明", "备注"], [["a", "b"]])
    report = wbuild.build(ex, tmp_path / "db")
    errors = {f.path: f.error for f in report.files if f.error}
    assert set(errors) == {"broken.xlsx", "garbage.csv", "notes.csv"}
    assert errors["notes.csv"].startswith("unrecognised")
    assert report.tables["grids"]["rows"] == 3 and report.tables["households"]["rows"] == 3


def test_ingest_row_numbers_skip_nothing(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    # a blank line in the middle: the row after it is still named by its real line number
    (ex).mkdir()
    text = "网格台账\n" + ",".join(GRID_HEADER) + "\n" + ",".join(GRID_ROWS[0]) + "\n\n"
    text += ",".join(GRID_ROWS[1]) + "\n"
    (ex / "grids.csv").write_text(text, encoding="utf-8")
    (table,) = read_folder(ex)
    assert table.kind == "grids" and table.frame is not None
    assert table.frame["_row"].to_list() == [3, 5]
    assert table.blank_rows == 1


def test_scope_codes_nest(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    con = built(ex, tmp_path)
    assert rows(con, "select count(*) from households where starts_with(grid_code, $s)"
                .replace("$s", f"'{T1}'")) == [(2,)]  # fmt: skip


def test_old_xls_workbooks_are_read(tmp_path: Path) -> None:
    import xlwt

    ex = tmp_path / "ex"
    ex.mkdir()
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("网格台账")
    ws.write(0, 0, "谯城区网格台账")
    for i, h in enumerate(GRID_HEADER):
        ws.write(2, i, h)
    for r, row in enumerate(GRID_ROWS, start=3):
        for i, v in enumerate(row):
            ws.write(r, i, int(v) if v.isdigit() and i != 9 else v)  # codes as numbers
    ws.write(6, 0, "合计")  # a footer row: rejected, and named by its Excel row (7)
    wb.save(str(ex / "网格台账.xls"))
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    assert rows(con, "select grid_code, leader_name from grids order by 1") == [
        (r[6], r[8]) for r in GRID_ROWS
    ]
    assert rows(con, "select sheet, row_number, rule from rejects") == [
        ("网格台账", 7, "missing_required")
    ]


def test_tab_separated_and_bracketed_header_notes(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    header = ["户编码", "网格编码（必填）", "户主姓名 ", "联系电话(手机)"]
    text = "\t".join(header) + "\n" + "\t".join([G3 + "-0002", G3, "吴七", "13700000000"]) + "\n"
    (ex / "more_households.csv").write_bytes(text.encode("gb18030"))
    con = built(ex, tmp_path)
    assert rows(con, "select head_name, phone from households where household_id = $h"
                .replace("$h", f"'{G3}-0002'")) == [("吴七", "13700000000")]  # fmt: skip
