"""Exports that once crashed the build, lost a file or mis-read a value (an adversarial sweep of
EXPORT-FORMAT.md): each is now read, or rejected row by row with its rule, or named with a
reason a reader can act on. Expected values are written out by hand from the files below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from exportkit import G1, T1, base_registers

from warmvisits import build as wbuild

H1 = G1 + "-0001"
PET = "信访编号,登记日期,乡镇街道编码,信访形式,信访类别,人数,是否重复信访\n"
CB = "回访编号,户编码,事项编号,回访时间,回访人,回访结果,备注\n"
MENU = "题目编码,主题,题目,适用版本,答案类型\nM1Q1,t,q,通用,是否\nM1Q2,t,q,通用,选择\n"
VIS = "走访编号,走访轮次,户编码,网格编码,走访日期,走访方式,走访人,M1Q1,M1Q2\n"


def _build(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[wbuild.BuildReport, Any]:
    ex = tmp_path / "ex"
    base_registers(ex)
    for name, content in files.items():
        path = ex / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    report = wbuild.build(ex, tmp_path / "db")
    return report, duckdb.connect(report.db, read_only=True)


def _error(report: wbuild.BuildReport, path: str) -> str | None:
    (f,) = [f for f in report.files if f.path == path]
    return f.error


def test_an_answer_holding_the_unit_separator_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    # the loader once joined odd answer cells with U+001F and split them again
    visit = f"V1,2023Q1,{H1},{G1},2023-02-20,入户,张三,是\x1fx,y\x1fx\n"
    _, con = _build(tmp_path, {"menu.csv": MENU, "visits.csv": VIS + visit})
    assert con.sql("select visit_id from visits").fetchall() == [("V1",)]
    assert con.sql("select count(*) from visit_answers").fetchall() == [(0,)]
    assert sorted(
        con.sql("select rule, detail from warnings where kind = 'visits'").fetchall()
    ) == [
        ("answer_not_an_option", "M1Q1=是\x1fx"),
        ("answer_not_an_option", "M1Q2=y\x1fx"),
    ]


def test_a_menu_code_too_large_for_a_number_is_a_reject(tmp_path: Path) -> None:
    report, con = _build(tmp_path, {"menu.csv": MENU + "M99999999999Q1,t,q,通用,是否\n"})
    assert con.sql("select item_code from menu order by 1").fetchall() == [("M1Q1",), ("M1Q2",)]
    assert con.sql("select rule, row_number from rejects where kind = 'menu'").fetchall() == [
        ("bad_code", 4)
    ]
    assert report.tables["menu"] == {"rows": 2, "rejected": 1}


def test_a_first_row_with_fewer_cells_does_not_lose_the_file(tmp_path: Path) -> None:
    # the quoted line break sends the file to the Polars reader, which once took the table's
    # width from the first data row (one cell short) and refused the file
    rows = (
        f'B1,{H1},,2023-03-02 10:00,王,满意\nB2,{H1},,2023-03-02 11:00,王,满意,"第一行\n第二行"\n'
    )
    report, con = _build(tmp_path, {"callbacks.csv": CB + rows})
    assert _error(report, "callbacks.csv") is None
    assert con.sql("select callback_id, comment from callbacks order by 1").fetchall() == [
        ("B1", None),
        ("B2", "第一行\n第二行"),
    ]


def test_lines_ended_by_carriage_returns_alone_are_read(tmp_path: Path) -> None:
    text = PET + f"P1,2023-03-01,{T1},来信,,1,否\nP2,2023-03-01,{T1},来信,,1,XX\n"
    report, con = _build(tmp_path, {"pet.csv": text.replace("\n", "\r").encode()})
    assert _error(report, "pet.csv") is None
    assert con.sql("select petition_id from petitions").fetchall() == [("P1",)]
    # P2 is on the file's third line
    assert con.sql("select row_number, rule from rejects").fetchall() == [(3, "bad_enum")]


def test_a_long_note_near_the_top_does_not_hide_the_header(tmp_path: Path) -> None:
    text = PET + f"P1,2023-03-01,{T1},来信,{'长' * 131_073},1,否\nP2,2023-03-01,{T1},来信,,1,否\n"
    report, con = _build(tmp_path, {"pet.csv": text})
    assert _error(report, "pet.csv") is None
    assert con.sql("select count(*), max(length(category)) from petitions").fetchall() == [
        (2, 131_073)
    ]


def _petitions(tmp_path: Path, rows: list[tuple[str, str, str]]) -> tuple[list[Any], list[Any]]:
    """Build petitions (id, registration date, persons): the clean rows (id, date, persons)
    and the rejects (id, rule)."""
    text = PET + "".join(f"{p},{d},{T1},来信,,{n},否\n" for p, d, n in rows)
    _, con = _build(tmp_path, {"pet.csv": text})
    clean = con.sql(
        "select petition_id, registered_on::varchar, persons from petitions order by 1"
    ).fetchall()
    rejects = con.sql("select raw_values->>'petition_id', rule from rejects order by 1").fetchall()
    return clean, rejects


def test_a_count_must_be_a_whole_number(tmp_path: Path) -> None:
    day = "2023-03-01"
    rows = [("P1", day, "2.5"), ("P2", day, "0.6"), ("P3", day, "3.0"), ("P4", day, "2")]
    clean, rejects = _petitions(tmp_path, rows)
    assert clean == [("P3", day, 3), ("P4", day, 2)]
    assert rejects == [("P1", "bad_number"), ("P2", "bad_number")]


def test_a_date_needs_a_year_of_four_digits_in_this_era(tmp_path: Path) -> None:
    dates = [("P1", "23/2/20"), ("P2", "0000-01-01"), ("P3", "2023年2月20日"), ("P4", "2023/2/20")]
    clean, rejects = _petitions(tmp_path, [(p, d, "1") for p, d in dates])
    assert clean == [("P3", "2023-02-20", 1), ("P4", "2023-02-20", 1)]
    assert rejects == [("P1", "bad_date"), ("P2", "bad_date")]


def test_a_later_file_that_changes_only_answers_supersedes(tmp_path: Path) -> None:
    first = f"V1,2023Q1,{H1},{G1},2023-02-20,入户,张三,是,A\n"
    changed = f"V1,2023Q1,{H1},{G1},2023-02-20,入户,张三,否,D\n"
    same = f"V2,2023Q1,{H1},{G1},2023-02-21,入户,张三,是,B\n"
    files = {
        "menu.csv": MENU,
        "visits_a.csv": VIS + first + same,
        "visits_b.csv": VIS + changed + same,
    }
    _, con = _build(tmp_path, files)
    assert con.sql("select * from superseded").fetchall() == [
        ("visits", "V1", "visits_a.csv", "visits_b.csv")
    ]
    assert con.sql("select * from visit_answers order by 1, 2").fetchall() == [
        ("V1", "M1Q1", "否"),
        ("V1", "M1Q2", "D"),
        ("V2", "M1Q1", "是"),
        ("V2", "M1Q2", "B"),
    ]


def test_unreadable_files_are_named_with_a_short_reason_that_quotes_no_row(tmp_path: Path) -> None:
    unbalanced = PET + (
        f'P0,2023-03-01,{T1},来信,,1,否\nP1,2023-03-01,{T1},来信,"李四家,1,否\n'
        f"P2,2023-03-01,{T1},来信,,1,否\n"
    )
    no_visitor = "走访编号,走访轮次,户编码,网格编码,走访日期,走访方式\n" + (
        f"V1,2023Q1,{H1},{G1},2023-02-20,入户\n"
    )
    report, _ = _build(
        tmp_path, {"unbalanced.csv": unbalanced, "visits.csv": no_visitor, "empty.xlsx": b""}
    )
    for path in ("unbalanced.csv", "visits.csv", "empty.xlsx"):
        error = _error(report, path)
        assert error is not None and "\n" not in error and len(error) <= 200, error
    assert "李四" not in (_error(report, "unbalanced.csv") or "")
    assert _error(report, "visits.csv") == (
        "unrecognised: row 1 looks like the header of a visits table (走访记录) but lacks its "
        "required column(s) 走访人 (visitor)"
    )


def test_hidden_and_lock_files_are_named_and_skipped(tmp_path: Path) -> None:
    good = PET + f"P1,2023-03-01,{T1},来信,,1,否\n"
    files: dict[str, str | bytes] = {"pet.csv": good, ".pet.csv": good, "~$pet.csv": good}
    ex = tmp_path / "ex"
    (ex / ".git").mkdir(parents=True)
    (ex / ".git" / "config").write_text("[core]\n")
    report, con = _build(tmp_path, files)
    assert con.sql("select petition_id from petitions").fetchall() == [("P1",)]
    assert sorted((f.path, f.error) for f in report.files if f.path.endswith("pet.csv")) == [
        (".pet.csv", "skipped: a hidden file"),
        ("pet.csv", None),
        ("~$pet.csv", "skipped: an Office lock file, not an export"),
    ]
    # a hidden folder (version control, not an export) is not listed at all
    assert not [f for f in report.files if f.path.startswith(".git")]


def test_a_repeated_item_column_is_named_and_loses_nothing(tmp_path: Path) -> None:
    from exportkit import write_xlsx

    header = [*VIS.strip().split(","), "M1Q1"]
    visit = ["V2", "2023Q1", H1, G1, "2023-02-20", "入户", "张三", "是", "A", "否"]
    ex = tmp_path / "ex"
    ex.mkdir()
    write_xlsx(
        ex / "book.xlsx",
        {
            "信访": (PET.strip().split(","), [["P1", "2023-03-01", T1, "来信", "", "1", "否"]]),
            "走访": (header, [visit]),
        },
    )
    csv_visit = ",".join(["V1", *visit[1:]]) + "\n"
    report, con = _build(
        tmp_path, {"menu.csv": MENU, "visits.csv": ",".join(header) + "\n" + csv_visit}
    )
    assert con.sql("select count(*) from petitions").fetchall() == [(1,)]
    # the first M1Q1 counts, in the CSV and in the workbook alike
    assert con.sql("select * from visit_answers order by 1, 2").fetchall() == [
        ("V1", "M1Q1", "是"),
        ("V1", "M1Q2", "A"),
        ("V2", "M1Q1", "是"),
        ("V2", "M1Q2", "A"),
    ]
    assert sorted(con.sql("select file, sheet, column_name from unknown_columns").fetchall()) == [
        ("book.xlsx", "走访", "M1Q1"),
        ("visits.csv", None, "M1Q1"),
    ]


def test_a_title_row_holding_a_formula_keeps_row_numbers_right(tmp_path: Path) -> None:
    import xlsxwriter

    ex = tmp_path / "ex"
    base_registers(ex)
    book = xlsxwriter.Workbook(str(ex / "pet.xlsx"))
    sheet = book.add_worksheet("信访")
    sheet.write_formula(0, 0, '="谯城区信访登记台账"', None, "谯城区信访登记台账")
    for i, name in enumerate(PET.strip().split(",")):
        sheet.write_string(1, i, name)
    rows = [
        ["P1", "2023-03-01", T1, "来信", "", "1", "否"],
        ["P2", "2023-03-01", T1, "XX", "", "1", "否"],
    ]
    for r, row in enumerate(rows, start=2):
        for i, value in enumerate(row):
            sheet.write_string(r, i, value)
    book.close()
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    # title on Excel row 1, header on row 2, P1 on row 3, P2 on row 4
    assert con.sql("select row_number, rule from rejects").fetchall() == [(4, "bad_enum")]


def test_cells_beyond_the_header_are_a_warning(tmp_path: Path) -> None:
    from exportkit import write_xlsx

    # B2: an unquoted comma in 备注 makes one cell too many; B3's extra cell is blank (nothing
    # lost, no warning); a blank line before B4 keeps the numbering of the lines
    rows = (
        f"B1,{H1},,2023-03-02 10:00,王,满意,ok\n"
        f"B2,{H1},,2023-03-02 10:00,王,满意,已解决,群众满意\n"
        f"B3,{H1},,2023-03-02 10:00,王,满意,ok,\n"
        "\n"
        f"B4,{H1},,2023-03-02 10:00,王,满意,ok,,多出来\n"
    )
    ex = tmp_path / "ex"
    ex.mkdir()
    header = CB.strip().split(",")
    write_xlsx(
        ex / "cb.xlsx",
        {"回访": (header, [["B5", H1, "", "2023-03-02 10:00", "王", "满意", "ok", "", "多"]])},
    )
    _, con = _build(tmp_path, {"callbacks.csv": CB + rows})
    assert con.sql("select callback_id, comment from callbacks order by 1").fetchall() == [
        ("B1", "ok"),
        ("B2", "已解决"),
        ("B3", "ok"),
        ("B4", "ok"),
        ("B5", "ok"),
    ]
    assert con.sql(
        "select file, row_number from warnings where rule = 'extra_cells' order by 1, 2"
    ).fetchall() == [("callbacks.csv", 3), ("callbacks.csv", 6), ("cb.xlsx", 2)]
