"""The two ways a table is loaded give the same database.

A CSV whose every line after the header is one record is read by DuckDB's own reader (fast);
a workbook, or a CSV with a cell spanning lines, is read by Polars. Visit answers are stored
as one-byte ``answer_value`` cells, with the exported text of odd cells kept aside: rejects
and warnings must still show exactly what was exported, whichever reader loaded the file."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from exportkit import G1, base_registers, write_csv, write_xlsx

from warmvisits import build as wbuild
from warmvisits.ingest import read_file, scratch_dirs

VISIT_HEADER = ["走访编号", "走访轮次", "户编码", "网格编码", "走访日期", "走访方式", "走访人",
                "反映问题", "M1Q1", "M2Q1", "M3Q1"]  # fmt: skip
MENU_HEADER = ["题目编码", "主题", "题目", "适用版本", "答案类型"]
MENU_ROWS = [
    ["M1Q1", "民生", "满意吗", "通用", "好坏"],
    ["M2Q1", "民生", "有困难吗", "通用", "是否"],
    ["M3Q1", "民生", "最关心", "通用", "选择"],
]


def _visit(vid: str, household: str, note: str, m1: str, m2: str, m3: str) -> list[str]:
    return [vid, "2023Q1", household, G1, "2023-02-20", "入户", "张三", note, m1, m2, m3]


# line 2: exact answers; line 3: aliases and spaces (odd cells that check out); line 4: an
# answer that maps to nothing, a canonical answer that is not among the item's options and a
# cell of spaces; line 5: a visit to an unknown household (a reject) with odd cells.
ROWS = [
    _visit("V0", G1 + "-0001", "", "好", "是", "A"),
    _visit("V1", G1 + "-0002", "", " 好 ", "yes", "b"),
    _visit("V2", G1 + "-0001", "", "maybe", "A", "   "),
    _visit("V3", G1 + "-0099", "", "Good ", "否", "D"),
]


def _exports(folder: Path, how: str) -> Path:
    base_registers(folder)
    write_csv(folder / "menu.csv", MENU_HEADER, MENU_ROWS)
    if how == "csv":
        write_csv(folder / "visits.csv", VISIT_HEADER, ROWS)
    elif how == "gb18030":
        write_csv(folder / "visits.csv", VISIT_HEADER, ROWS, encoding="gb18030")
    else:
        write_xlsx(folder / "visits.xlsx", {"走访": (VISIT_HEADER, ROWS)})
    return folder


def _outcome(db_file: str) -> dict[str, object]:
    con = duckdb.connect(db_file, read_only=True)
    try:
        rejects = con.sql("select kind, row_number, rule, raw_values from rejects").fetchall()
        return {
            "answers": con.sql("select * from visit_answers order by all").fetchall(),
            "warnings": con.sql(
                "select row_number, rule, detail from warnings where kind = 'visits' order by all"
            ).fetchall(),
            "rejects": [(k, n, r, json.loads(raw)) for k, n, r, raw in rejects],
        }
    finally:
        con.close()


EXPECTED_ANSWERS = [
    ("V0", "M1Q1", "好"),
    ("V0", "M2Q1", "是"),
    ("V0", "M3Q1", "A"),
    ("V1", "M1Q1", "好"),
    ("V1", "M2Q1", "是"),
    ("V1", "M3Q1", "B"),
]
EXPECTED_WARNINGS = [
    (4, "answer_not_an_option", "M1Q1=maybe"),
    (4, "answer_not_an_option", "M2Q1=A"),
]


@pytest.mark.parametrize("how", ["csv", "gb18030", "xlsx"])
def test_answers_warnings_and_rejects_show_the_exported_text(tmp_path: Path, how: str) -> None:
    report = wbuild.build(_exports(tmp_path / "ex", how), tmp_path / "db")
    got = _outcome(report.db)
    assert got["answers"] == EXPECTED_ANSWERS
    assert got["warnings"] == EXPECTED_WARNINGS
    ((kind, row, rule, raw),) = got["rejects"]
    assert (kind, row, rule) == ("visits", 5, "unknown_household")
    # every exported cell, as exported: the odd 'Good ' keeps its space; no bookkeeping keys
    assert raw["M1Q1"] == "Good "
    assert (raw["M2Q1"], raw["M3Q1"]) == ("否", "D")
    assert raw["visit_id"] == "V3" and raw["household_id"] == G1 + "-0099"
    assert raw["_row"] == 5
    assert "_rid" not in raw and "_odd" not in raw


def test_plain_csv_goes_to_duckdb_and_a_cell_spanning_lines_falls_back(tmp_path: Path) -> None:
    ex = _exports(tmp_path / "ex", "csv")
    plans = tmp_path / "plans"
    (plain,) = read_file(ex / "visits.csv", ex, plans)
    assert plain.plan is not None and plain.frame is None
    assert plain.plan.data_lines == len(ROWS)
    # the note of V1 spans two lines: DuckDB counts 4 records on 5 lines, so the loader must
    # fall back to Polars, which numbers records the way Excel shows them
    rows = [list(r) for r in ROWS]
    rows[1][7] = "路灯坏了\n请尽快修"
    write_csv(ex / "visits.csv", VISIT_HEADER, rows)
    (spanning,) = read_file(ex / "visits.csv", ex, plans)
    assert spanning.plan is not None and spanning.plan.data_lines == len(ROWS) + 1
    report = wbuild.build(ex, tmp_path / "db")
    got = _outcome(report.db)
    assert got["answers"] == EXPECTED_ANSWERS
    assert got["warnings"] == EXPECTED_WARNINGS
    assert [(k, n, r) for k, n, r, _ in got["rejects"]] == [("visits", 5, "unknown_household")]
    con = duckdb.connect(report.db, read_only=True)
    assert con.sql("select problems_raised from visits where visit_id = 'V1'").fetchall() == [
        ("路灯坏了\n请尽快修",)
    ]
    con.close()
    assert not any(plans.glob("*")), "transcoded copies are removed after loading"


def test_blank_lines_keep_later_line_numbers(tmp_path: Path) -> None:
    ex = _exports(tmp_path / "ex", "csv")
    lines = (ex / "visits.csv").read_text(encoding="utf-8").splitlines()
    # a row of empty cells after line 2: the reject on what is now line 6 must say 6
    lines.insert(2, "," * (len(VISIT_HEADER) - 1))
    (ex / "visits.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = wbuild.build(ex, tmp_path / "db")
    got = _outcome(report.db)
    assert [(k, n, r) for k, n, r, _ in got["rejects"]] == [("visits", 6, "unknown_household")]
    assert got["warnings"] == [(5, r, d) for _, r, d in EXPECTED_WARNINGS]
    assert report.tables["visits"] == {"rows": 3, "rejected": 1}
    (files,) = [f for f in report.files if f.path == "visits.csv"]
    assert files.rows == 4


def test_gb18030_copy_is_removed_and_cells_are_trimmed_like_polars(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    write_csv(ex / "menu.csv", MENU_HEADER, MENU_ROWS)
    # an ideographic space and a no-break space around the visitor's name and the round
    write_csv(ex / "visits.csv", VISIT_HEADER,
              [["V0", "\u30002023Q1\u00a0", G1 + "-0001", G1, "2023-02-20", "入户",
                "\u3000张三 ", "", "好", "是", "A"]], encoding="gb18030")  # fmt: skip
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    assert con.sql("select visit_id, round, visitor from visits").fetchall() == [
        ("V0", "2023Q1", "张三")
    ]
    con.close()
    assert not any((tmp_path / "db" / "builds" / ".tmp").rglob("*.csv"))
    for scratch in scratch_dirs(Path(report.db).parent / ".tmp" / f"{report.build_id}-csv"):
        assert not scratch.exists()


def test_transcoded_copies_go_to_dev_shm_when_it_has_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warmvisits.ingest as ingest

    shm, plans = tmp_path / "shm", tmp_path / "builds" / ".tmp" / "B1-csv"
    shm.mkdir()
    monkeypatch.setattr(ingest, "_SHM", shm)
    assert scratch_dirs(plans) == [shm / "warmvisits-B1-csv", plans]
    first, wrote = ingest._write_scratch(plans, 4, lambda sink: sink.write(b"a,b\n"))
    assert first.parent == shm / "warmvisits-B1-csv" and first.read_bytes() == b"a,b\n"
    assert wrote == 4
    # no room left in it (as a container's 64 MB /dev/shm): the build's own folder
    monkeypatch.setattr(ingest, "_SHM_SPARE", shutil.disk_usage(shm).free)
    second, _ = ingest._write_scratch(plans, 4, lambda sink: sink.write(b"a,b\n"))
    assert second.parent == plans and second.read_bytes() == b"a,b\n"

    # a copy that fails half-way (not GB18030 after all) leaves nothing behind
    def bad(sink: Any) -> None:
        sink.write(b"a,b\n")
        raise UnicodeDecodeError("gb18030", b"\xff", 0, 1, "illegal")

    with pytest.raises(UnicodeDecodeError):
        ingest._write_scratch(plans, 4, bad)
    assert sorted(plans.iterdir()) == [second]
    # a killed build's folder is removed by a later build once it is a day old, not before
    old = shm / "warmvisits-B0-csv"
    old.mkdir()
    ingest.prune_stale_scratch()
    assert old.exists() and first.exists()
    os.utime(old, (0, 0))
    ingest.prune_stale_scratch()
    assert not old.exists() and first.exists()
    # no /dev/shm at all
    monkeypatch.setattr(ingest, "_SHM", tmp_path / "none")
    assert scratch_dirs(plans) == [plans]
    ingest.prune_stale_scratch()


def test_a_grid_code_written_as_a_number_is_read_as_its_digits(tmp_path: Path) -> None:
    # an export that went through Excel: the visit's grid code as 341602…001.0 and as
    # 3.41602…E+14; the household code cannot be a number (it has a '-')
    ex = tmp_path / "ex"
    base_registers(ex)
    write_csv(ex / "menu.csv", MENU_HEADER, MENU_ROWS)
    as_float = f"{int(G1[0])}.{G1[1:]}E+{len(G1) - 1}"
    rows = [_visit("V0", G1 + "-0001", "", "好", "是", "A"),
            _visit("V1", G1 + "-0002", "", "好", "是", "A")]  # fmt: skip
    rows[0][3], rows[1][3] = G1 + ".0", as_float
    write_csv(ex / "visits.csv", VISIT_HEADER, rows)
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    assert con.sql(
        "select visit_id, grid_code, household_id from visits order by 1"
    ).fetchall() == [
        ("V0", G1, G1 + "-0001"),
        ("V1", G1, G1 + "-0002"),
    ]
    assert con.sql("select count(*) from rejects where kind = 'visits'").fetchall() == [(0,)]
    con.close()


def test_a_number_that_lost_digits_is_not_read_as_one(tmp_path: Path) -> None:
    # Excel shows a narrow column's 13912345678 as 1.39E+10, and a CSV saved from it keeps only
    # that: its digits are gone. Read back as 13900000000 it would be a phone number nobody
    # has; kept as exported, the phone's check warns about it. A grid code that lost its
    # digits is likewise rejected as a bad code, not taken for another grid; one written with
    # every digit (3.41602101001001E+14) is still read as its digits.
    ex = tmp_path / "ex"
    base_registers(ex)
    households = (ex / "households.csv").read_text(encoding="utf-8")
    households = households.replace("13900000002", "1.39E+10")
    (ex / "households.csv").write_text(households, encoding="utf-8")
    write_csv(ex / "menu.csv", MENU_HEADER, MENU_ROWS)
    rows = [_visit("V0", G1 + "-0001", "", "好", "是", "A"),
            _visit("V1", G1 + "-0002", "", "好", "是", "A")]  # fmt: skip
    rows[0][3] = f"{G1[0]}.{G1[1:6]}E+{len(G1) - 1}"  # 3.41602E+14: ten digits lost
    rows[1][3] = f"{G1[0]}.{G1[1:]}E+{len(G1) - 1}"  # every digit
    write_csv(ex / "visits.csv", VISIT_HEADER, rows)
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    assert con.sql(
        "select household_id, phone from households where household_id like '%-0002'"
    ).fetchall() == [(G1 + "-0002", "1.39E+10")]
    assert con.sql("select rule, detail from warnings where kind = 'households'").fetchall() == [
        ("bad_phone", "联系电话=1.39E+10")
    ]
    rejected = con.sql(
        "select rule, json_extract_string(raw_values, '$.grid_code') from rejects "
        "where kind = 'visits'"
    ).fetchall()
    assert rejected == [("bad_code", f"{G1[0]}.{G1[1:6]}E+{len(G1) - 1}")]
    assert con.sql("select visit_id, grid_code from visits").fetchall() == [("V1", G1)]
    con.close()


def test_gb18030_after_a_first_megabyte_of_ascii_falls_back_and_decodes(tmp_path: Path) -> None:
    # the reader looks at the first megabyte only to guess UTF-8; DuckDB then refuses the
    # GB18030 bytes further down, and the file must be read again, decoded as GB18030
    ex = tmp_path / "ex"
    base_registers(ex)
    write_csv(ex / "menu.csv", MENU_HEADER, MENU_ROWS)
    header = ["visit_id", "round", "household_id", "grid_code", "visit_date", "method",
              "visitor", "problems_raised", "M1Q1", "M2Q1", "M3Q1"]  # fmt: skip
    row = ["2023Q1", G1 + "-0001", G1, "2023-02-20", "door", "Li", "", "good", "yes", "A"]
    rows = [[f"V{i:05d}", *row] for i in range(15_000)]
    rows.append(["VLAST", *row[:5], "张三", "路灯", *row[7:]])
    path = write_csv(ex / "visits.csv", header, rows, encoding="gb18030")
    assert path.stat().st_size > (1 << 20)
    assert path.read_bytes()[: 1 << 20].decode("utf-8")  # the first megabyte passes as UTF-8
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    assert con.sql("select count(*) from visits").fetchall() == [(15_001,)]
    assert con.sql(
        "select visitor, problems_raised from visits where visit_id = 'VLAST'"
    ).fetchall() == [("张三", "路灯")]
    con.close()


def test_questionnaire_mart_slots_follow_the_answer_options() -> None:
    # build step 59 packs each answer into the slot of its position among its item's options,
    # looked up by the answer's code (answer_value's code + 1); both orders come from
    # ANSWER_OPTIONS
    from warmvisits.schema import ANSWER_OPTIONS

    sql = (Path(wbuild.BUILD_SQL_DIR) / "59_grid_round_answers.sql").read_text(encoding="utf-8")
    (literal,) = re.findall(r"sum\(\(\[([0-9, \n]+)\]::ubigint\[\]\)\[columns", sql)
    units = [int(x) for x in literal.split(",")]
    expected = [i for options in ANSWER_OPTIONS.values() for i in range(len(options))]
    assert units == [1 << (16 * slot) for slot in expected]
    assert max(len(o) for o in ANSWER_OPTIONS.values()) <= 4  # four 16-bit slots per UBIGINT
    con = duckdb.connect()
    wbuild._create_types(con)
    (values,) = con.sql("select enum_range(null::answer_value)").fetchall()[0]
    assert list(values) == [o for options in ANSWER_OPTIONS.values() for o in options]


def _variant(folder: Path, variant: str) -> None:
    """One visits CSV written the way some export tool might, with the same records."""
    base_registers(folder)
    write_csv(folder / "menu.csv", MENU_HEADER, MENU_ROWS)
    rows = [list(r) for r in ROWS]
    rows[0][7] = '路灯坏了, 请修 "尽快"'  # a cell with the separator and quotes in it
    if variant == "edge_whitespace":
        # white space at the edges of the first, a middle and the last text cell, a cell of
        # white space only, spaces inside cells (kept) and a U+0001 inside a cell (kept)
        rows[0][0], rows[0][1], rows[0][6] = " V0", "2023Q1\u00a0", "\t张 三\u3000"
        rows[1][7], rows[1][6] = "\u2003 ", "李\x01四"
        rows[2][7] = "路灯 坏了"
    buf = io.StringIO()
    sep = ";" if variant == "semicolon_gb18030" else ","
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n" if variant == "crlf" else "\n")
    if variant == "title_rows_bom":
        w.writerow(["谯城区2023年第一季度暖心走访登记表"])
        w.writerow(["导出时间：2023-03-06"])
    header = [*VISIT_HEADER, ""] if variant == "trailing_separator" else VISIT_HEADER
    w.writerow(header)
    for r in rows:
        w.writerow([*r, ""] if variant == "trailing_separator" else r)
    if variant == "ragged":
        w.writerow([*_visit("V9", G1 + "-0002", "", "好", "是", "A"), "extra", "cells"])
    text = buf.getvalue()
    if variant == "no_final_newline":
        text = text.rstrip("\n")
    if variant == "trailing_blank_lines":
        text += "\n\n"
    encoding = "gb18030" if variant == "semicolon_gb18030" else "utf-8"
    data = text.encode(encoding)
    if variant == "title_rows_bom":
        data = b"\xef\xbb\xbf" + data
    (folder / "visits.csv").write_bytes(data)


@pytest.mark.parametrize(
    "variant",
    ["crlf", "semicolon_gb18030", "title_rows_bom", "trailing_separator", "ragged",
     "no_final_newline", "trailing_blank_lines", "edge_whitespace"],
)  # fmt: skip
def test_duckdb_reader_and_polars_reader_agree(
    tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex = tmp_path / "ex"
    _variant(ex, variant)
    plans = tmp_path / f"plans-{variant}"
    (planned,) = read_file(ex / "visits.csv", ex, plans)
    for scratch in scratch_dirs(plans):  # a transcoded copy (GB18030) is the caller's to remove
        shutil.rmtree(scratch, ignore_errors=True)
    assert planned.error is None and planned.kind == "visits"
    assert planned.plan is not None  # DuckDB's reader is tried first; the loader may fall back
    fast_db = wbuild.build(ex, tmp_path / "fast").db
    fast = _outcome(fast_db)
    # the same folder with every file read by Polars (no CSV plans)
    monkeypatch.setattr(
        wbuild, "read_file", lambda path, folder, plan_dir=None: read_file(path, folder)
    )
    slow = _outcome(wbuild.build(ex, tmp_path / "slow").db)
    assert fast == slow
    if variant == "edge_whitespace":
        con = duckdb.connect(fast_db, read_only=True)
        got = con.sql("select visit_id, round, visitor, problems_raised from visits").fetchall()
        con.close()
        assert sorted(got) == [
            ("V0", "2023Q1", "张 三", '路灯坏了, 请修 "尽快"'),
            ("V1", "2023Q1", "李\x01四", None),
            ("V2", "2023Q1", "张三", "路灯 坏了"),
        ]
    assert fast["answers"][:3] == EXPECTED_ANSWERS[:3]
    assert [(k, r) for k, _, r, _ in fast["rejects"]] == [("visits", "unknown_household")]


@pytest.mark.parametrize("odd_at", [None, 0, 2])
def test_item_cells_of_exact_answers_are_cast_by_the_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd_at: int | None
) -> None:
    # a visits CSV whose item cells are all exact answer spellings (or blank) is read with the
    # items typed as answer_value by DuckDB's reader, without the per-row test for odd cells;
    # one odd cell anywhere (first or last line) makes the reader fail, and the file is read
    # again the general way. Either way the outcome is the Polars path's.
    ex = tmp_path / "ex"
    base_registers(ex)
    write_csv(ex / "menu.csv", MENU_HEADER, MENU_ROWS)
    rows = [
        _visit("V0", G1 + "-0001", "", "好", "是", "A"),
        _visit("V1", G1 + "-0002", "", "差", "", "D"),
        _visit("V2", G1 + "-0001", "", "", "否", "C"),
    ]
    if odd_at is not None:
        rows[odd_at][9] = "yes"  # M2Q1: an alias of 是
    write_csv(ex / "visits.csv", VISIT_HEADER, rows)
    odd_tests: list[int] = []
    odd_cells = wbuild._odd_cells

    def counted(items: list[tuple[str, str]], loaded: list[str] | None = None) -> str:
        odd_tests.append(len(items))
        return odd_cells(items, loaded)

    monkeypatch.setattr(wbuild, "_odd_cells", counted)
    fast = _outcome(wbuild.build(ex, tmp_path / "fast").db)
    # the per-row test of odd cells was written for the visits only when a cell needed it
    assert (sum(odd_tests) > 0) is (odd_at is not None)
    monkeypatch.setattr(
        wbuild, "read_file", lambda path, folder, plan_dir=None: read_file(path, folder)
    )
    slow = _outcome(wbuild.build(ex, tmp_path / "slow").db)
    assert fast == slow
    expected = [("V0", "M1Q1", "好"), ("V0", "M2Q1", "是"), ("V0", "M3Q1", "A")]
    expected += [("V1", "M1Q1", "差"), ("V1", "M3Q1", "D"), ("V2", "M2Q1", "否")]
    expected += [("V2", "M3Q1", "C")]
    if odd_at == 2:  # 'yes' is read as 是 (on the first line it is 是 already)
        expected[expected.index(("V2", "M2Q1", "否"))] = ("V2", "M2Q1", "是")
    assert fast["answers"] == sorted(expected)
    assert fast["rejects"] == []


def _read_in_chunks(monkeypatch: pytest.MonkeyPatch, chunk: int, seed: int) -> tuple[Any, Any]:
    """warmvisits.ingest reading files ``chunk`` bytes at a time, and a seeded random source
    for the test's cases."""
    import random

    import warmvisits.ingest as ingest

    monkeypatch.setattr(ingest, "_CHUNK", chunk)
    return ingest, random.Random(seed)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
def test_lines_are_counted_across_chunks_as_in_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # the reader counts lines and finds lone carriage returns chunk by chunk; the answer must
    # be the whole file's, however the chunks fall (a CRLF split between two, a file ending in
    # blank lines, one of blank lines only). Expected: the lines of the text without its
    # trailing line ends, counted by Python's own splitting.
    ingest, rng = _read_in_chunks(monkeypatch, chunk, seed=7)
    cases = [b"", b"\n", b"\r\n\r\n", b"a", b"a\n", b"a\r\nb\r\n\r\n", b"a\rb\n", b"a\n\n\nb"]
    cases += [
        bytes(rng.choice(b"ab\n\n\r\n") for _ in range(rng.randrange(1, 200))) for _ in range(60)
    ]
    for i, data in enumerate(cases):
        path = tmp_path / f"{i}.csv"
        path.write_bytes(data)
        body = data.rstrip(b"\r\n")
        expected_lines = body.count(b"\n") + (1 if body else 0)
        expected_lone_cr = data.count(b"\r") != data.count(b"\r\n")
        assert ingest._scan_lines(path) == (expected_lines, expected_lone_cr, False), data
        # transcoding GB18030 on the way gives the same counts and the text as UTF-8
        text = data.decode("ascii").replace("a", "张")
        path.write_bytes(text.encode("gb18030"))
        out = tmp_path / f"{i}.utf8"
        with out.open("wb") as sink:
            assert ingest._scan_lines(path, sink) == (expected_lines, expected_lone_cr, False)
        assert out.read_bytes() == text.encode("utf-8")


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64, 1 << 20])
def test_white_space_after_the_header_is_found_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # a planned CSV is loaded without the per-row trim test only when the reader found no
    # white space after its header; any white space character (a cut between two chunks
    # included), and only those, must be found. Expected: Python's own str.isspace over the
    # text after the first `skip` lines, line ends aside.
    ingest, rng = _read_in_chunks(monkeypatch, chunk, seed=11)
    # white space of every byte length, and characters sharing a first byte with some
    # (U+00B7 ·, U+2014 —, U+201C “, U+3001 、, U+1681, U+205E)
    alphabet = ["a", ",", "张", "\n", "·", "—", "“", "、", "\u1681", "\u205e"]
    spaces = [" ", "\t", "\x0b", "\x0c", "\x85", "\xa0", "\u1680", "\u2003", "\u2028"]
    spaces += ["\u202f", "\u205f", "\u3000"]
    assert all(c.isspace() for c in spaces) and not any(c.isspace() for c in alphabet[4:])
    cases = ["", "a", " a", "a\n", "a \nb", "\u3000\nb,c"]
    for _ in range(80):
        text = [rng.choice(alphabet) for _ in range(rng.randrange(1, 40))]
        if rng.random() < 0.5:
            text.insert(rng.randrange(len(text) + 1), rng.choice(spaces))
        cases.append("".join(text))
    for i, text in enumerate(cases):
        for skip in (0, 1, 2):
            body = "\n".join(text.split("\n")[skip:]) if text.count("\n") >= skip else ""
            expected = any(c.isspace() and c not in "\r\n" for c in body)
            path = tmp_path / f"{i}.csv"
            path.write_bytes(text.encode("utf-8"))
            assert ingest._scan_lines(path, skip=skip)[2] is expected, (text, skip)
            path.write_bytes(text.encode("gb18030"))
            with (tmp_path / f"{i}.utf8").open("wb") as sink:
                assert ingest._scan_lines(path, sink, skip)[2] is expected, (text, skip)


def test_files_load_largest_first_with_gb18030_beside_utf8(tmp_path: Path) -> None:
    # the loaders take the largest files first (a workbook counts twenty times its size), a
    # GB18030 CSV (transcoded in Python) next to one that is not, so that two transcodings do
    # not wait on each other; every file once
    sizes = {"a.csv": ("utf-8", 300), "b.csv": ("gb18030", 500), "c.csv": ("gb18030", 100)}
    sizes |= {"d.csv": ("utf-8", 200), "e.xlsx": (None, 400), "f.csv": ("utf-8", 50)}
    files = []
    for name, (encoding, n) in sizes.items():
        path = tmp_path / name
        data = ("张" * n).encode(encoding) if encoding else b"PK" + b"x" * (2 * n)
        path.write_bytes(data)
        files.append(path)
    order = [files[i].name for i in wbuild._load_order(files)]
    # by size: e 802 bytes (as 16,040), b 1000, a 900, d 600, c 200, f 150; b and c are GB18030
    assert order == ["b.csv", "e.xlsx", "c.csv", "a.csv", "d.csv", "f.csv"]
