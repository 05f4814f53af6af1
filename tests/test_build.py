"""The build: every reject rule of EXPORT-FORMAT.md, warnings, supersession across files,
atomic replacement of the current database, identical rebuilds, and the command's JSON."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from exportkit import G1, G2, GRID_HEADER, GRID_ROWS, T1, base_registers, write_csv

from warmvisits import build as wbuild
from warmvisits import db as wdb
from warmvisits.rules import REJECT_RULES, WARNING_RULES

ROOT = Path(__file__).resolve().parent.parent
CASE_HEADER = ["事项编号", "来源", "关联走访编号", "网格编码", "事项类别", "复杂程度", "受理时间",
               "办结时限", "状态", "当前层级", "办结时间"]  # fmt: skip
VISIT_HEADER = ["走访编号", "走访轮次", "户编码", "网格编码", "走访日期", "走访方式", "走访人"]
GOOD_CASE = [
    "C0",
    "暖心走访",
    "",
    G1,
    "其他",
    "一般",
    "2023-02-21 09:00",
    "",
    "办理中",
    "村社区",
    "",
]
GOOD_VISIT = ["V0", "2023Q1", G1 + "-0001", G1, "2023-02-20", "入户", "张三"]


def rejects(report: wbuild.BuildReport) -> list[tuple]:
    con = duckdb.connect(report.db, read_only=True)
    try:
        return con.sql("select kind, file, row_number, rule from rejects order by all").fetchall()
    finally:
        con.close()


def case(**changes: str) -> list[str]:
    row = dict(zip(CASE_HEADER, GOOD_CASE, strict=True))
    row.update(changes)
    return [row[h] for h in CASE_HEADER]


def visit(**changes: str) -> list[str]:
    row = dict(zip(VISIT_HEADER, GOOD_VISIT, strict=True))
    row.update(changes)
    return [row[h] for h in VISIT_HEADER]


# (kind of table, header, bad row, rule). The good row of the same table sits on line 2;
# the bad row on line 3, so every reject must name line 3.
REJECT_CASES = [
    ("cases", CASE_HEADER, case(事项编号="C1", 事项类别=""), "missing_required"),
    ("cases", CASE_HEADER, case(事项编号="C1", 状态="搁置"), "bad_enum"),
    ("cases", CASE_HEADER, case(事项编号="C1", 受理时间="2023-02-30 09:00"), "bad_date"),
    ("cases", CASE_HEADER, case(事项编号="C1", 受理时间="明天"), "bad_date"),
    ("cases", CASE_HEADER, case(事项编号="C1", 网格编码=G1[:-1] + "9"), "unknown_grid"),
    ("cases", CASE_HEADER, case(事项编号="C1", 网格编码="3416"), "bad_code"),
    ("cases", CASE_HEADER, case(事项编号="C1", 状态="已办结"), "resolved_without_time"),
    ("cases", CASE_HEADER,
     case(事项编号="C1", 状态="已办结", 办结时间="2023-02-20 09:00"), "resolved_before_received"),
    ("cases", CASE_HEADER,
     case(事项编号="C1", 状态="办理中", 办结时间="2023-02-25 09:00"), "resolved_time_not_resolved"),
    ("cases", CASE_HEADER, case(事项编号="C1", 办结时限="2023-02-01"), "due_before_received"),
    ("cases", CASE_HEADER, case(), "duplicate_key"),
    ("visits", VISIT_HEADER, visit(走访编号="V1", 户编码=G1 + "-0099"), "unknown_household"),
    ("visits", VISIT_HEADER, visit(走访编号="V1", 网格编码=G2), "visit_grid_mismatch"),
    ("visits", VISIT_HEADER, visit(走访编号="V1", 走访轮次="春季"), "bad_round"),
    ("visits", VISIT_HEADER, visit(走访编号="V1", 走访方式="上门"), "bad_enum"),
    ("visits", VISIT_HEADER, visit(走访编号="V1", 户编码="0042"), "bad_code"),
    ("households", ["户编码", "网格编码", "户主姓名", "户籍人数"],
     [G2 + "-0001", G2, "周六", "0"], "bad_number"),
    ("households", ["户编码", "网格编码", "户主姓名"], [G2 + "-0001", G1, "周六"],
     "household_grid_mismatch"),
    ("petitions", ["信访编号", "登记日期", "乡镇街道编码", "信访形式"],
     ["P1", "2023-02-01", "341602999", "来访"], "unknown_township"),
    ("petitions", ["信访编号", "登记日期", "乡镇街道编码", "信访形式", "人数"],
     ["P1", "2023-02-01", T1, "来访", "-2"], "bad_number"),
    ("case_events", ["事项编号", "时间", "动作", "层级"],
     ["C9", "2023-02-22 10:00", "派遣", "乡镇街道"], "unknown_case"),
    ("callbacks", ["回访编号", "户编码", "事项编号", "回访时间", "回访人", "回访结果"],
     ["B1", G1 + "-0001", "C9", "2023-03-01 10:00", "钱", "满意"], "unknown_case"),
    ("callbacks", ["回访编号", "户编码", "回访时间", "回访人", "回访结果"],
     ["B1", G1 + "-0001", "2023-03-01 10:00", "钱", "还行"], "bad_enum"),
    ("grids", GRID_HEADER, [T1, "薛阁街道", "街道", T1 + "002", "别的社区", "社区",
                            T1 + "001" + "009", "x", "y", ""], "bad_code"),
    ("grids", GRID_HEADER, [T1, "薛阁街道", "街道", T1 + "001", "马元村", "社区",
                            T1 + "001" + "009", "x", "y", ""], "place_name_conflict"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "header", "bad", "rule"), REJECT_CASES)
def test_each_reject_rule(tmp_path: Path, kind: str, header: list, bad: list, rule: str) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    name = f"{kind}_extra.csv"
    if kind == "cases":
        write_csv(ex / name, header, [GOOD_CASE, bad])
    elif kind == "visits":
        write_csv(ex / name, header, [GOOD_VISIT, bad])
    elif kind == "grids":
        write_csv(ex / "grids.csv", header, [*GRID_ROWS, bad])
        name = "grids.csv"
    else:
        write_csv(ex / name, header, [bad])
    if kind in ("case_events", "callbacks"):
        write_csv(ex / "cases.csv", CASE_HEADER, [GOOD_CASE])
    report = wbuild.build(ex, tmp_path / "db")
    line = 5 if kind == "grids" else (3 if kind in ("cases", "visits") else 2)
    assert rejects(report) == [(kind, name, line, rule)]
    assert report.rejects_by_rule == {rule: 1}
    # the raw cells are kept with the reject
    con = duckdb.connect(report.db, read_only=True)
    (raw,) = con.sql("select raw_values from rejects").fetchall()[0]
    assert json.loads(raw)[wbuild.KINDS[kind].columns[0].name] == bad[0]


def test_duplicate_key_first_kept(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    write_csv(ex / "cases.csv", CASE_HEADER, [case(事项类别="先"), case(事项类别="后")])
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    assert con.sql("select case_id, category from cases").fetchall() == [("C0", "先")]
    assert rejects(report) == [("cases", "cases.csv", 3, "duplicate_key")]


def test_supersession_across_files(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    # C1 equal once parsed (another date form) -> collapses; C2 differs -> the later file wins;
    # C3's winning row breaks a rule -> rejected, and the older row does not come back
    write_csv(ex / "2023-03-01 cases.csv", CASE_HEADER, [
        case(事项编号="C1", 受理时间="2023-02-21 09:00"),
        case(事项编号="C2", 事项类别="供电供水"),
        case(事项编号="C3"),
    ])  # fmt: skip
    write_csv(ex / "2023-03-06 cases.csv", CASE_HEADER, [
        case(事项编号="C1", 受理时间="2023/2/21 9:00"),
        case(事项编号="C2", 事项类别="农田水利"),
        case(事项编号="C3", 状态="已办结"),
    ])  # fmt: skip
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    assert con.sql("select case_id, category from cases order by 1").fetchall() == [
        ("C1", "其他"),
        ("C2", "农田水利"),
    ]
    assert report.superseded == [
        {
            "kind": "cases",
            "key": "C2",
            "file": "2023-03-01 cases.csv",
            "by": "2023-03-06 cases.csv",
        },
        {
            "kind": "cases",
            "key": "C3",
            "file": "2023-03-01 cases.csv",
            "by": "2023-03-06 cases.csv",
        },
    ]
    assert rejects(report) == [("cases", "2023-03-06 cases.csv", 4, "resolved_without_time")]


def test_warnings_keep_the_row(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    base_registers(ex)
    write_csv(ex / "menu.csv", ["题目编码", "主题", "题目", "适用版本", "答案类型", "不利选项"], [
        ["M1Q1", "民生", "满意吗", "通用", "好坏", "差"],
    ])  # fmt: skip
    write_csv(ex / "visits.csv", [*VISIT_HEADER, "M1Q1", "M7Q7"], [
        [*GOOD_VISIT, "good", "x"],
        [*visit(走访编号="V1", 户编码=G1 + "-0002"), "很好", ""],
    ])  # fmt: skip
    write_csv(ex / "cases.csv", CASE_HEADER, [case(关联走访编号="V0；V404")])
    g = list(GRID_ROWS)
    g[0] = [*g[0][:9], "12345"]
    write_csv(ex / "grids.csv", GRID_HEADER, g)
    report = wbuild.build(ex, tmp_path / "db")
    con = duckdb.connect(report.db, read_only=True)
    assert report.warnings == {
        "answer_not_an_option": 1,
        "unknown_item_column": 1,
        "unknown_visit_link": 1,
        "bad_phone": 1,
    }
    assert rejects(report) == []
    assert con.sql("select * from visit_answers").fetchall() == [("V0", "M1Q1", "好")]
    assert con.sql("select * from case_visits").fetchall() == [("C0", "V0")]
    assert con.sql("select leader_phone from grids where grid_code = $g", params={"g": G1}
                   ).fetchall() == [("12345",)]  # fmt: skip


def _tables(db_file: str) -> dict[str, list[tuple]]:
    con = duckdb.connect(db_file, read_only=True)
    names = [
        n
        for (n,) in con.sql(
            "select table_name from duckdb_tables() where table_name <> 'build_info'"
        ).fetchall()
    ]
    out = {n: sorted(map(repr, con.sql(f'select * from "{n}"').fetchall())) for n in names}
    con.close()
    return out


def _small_set(ex: Path) -> None:
    base_registers(ex)
    write_csv(ex / "cases.csv", CASE_HEADER, [case(), case(事项编号="C1", 状态="x")])
    write_csv(ex / "visits.csv", VISIT_HEADER, [GOOD_VISIT])


def test_same_folder_twice_gives_identical_tables(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    _small_set(ex)
    a = wbuild.build(ex, tmp_path / "db")
    b = wbuild.build(ex, tmp_path / "db")
    assert a.db != b.db
    ta, tb = _tables(a.db), _tables(b.db)
    assert ta.keys() == tb.keys() and "cases" in ta
    assert ta == tb


def test_failed_build_leaves_previous_current_and_readers_unharmed(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    _small_set(ex)
    dbdir = tmp_path / "db"
    first = wbuild.build(ex, dbdir)
    pointer = wdb.pointer_path(dbdir)
    reader = duckdb.connect(str(pointer), read_only=True)  # any client may open the pointer
    assert reader.sql("select count(*) from cases").fetchall() == [(1,)]
    # a build whose SQL breaks midway
    broken = tmp_path / "sql"
    shutil.copytree(wbuild.BUILD_SQL_DIR, broken)
    (broken / "45_broken.sql").write_text("select * from no_such_table;", encoding="utf-8")
    write_csv(ex / "cases2.csv", CASE_HEADER, [case(事项编号="C7")])
    with pytest.raises(wbuild.BuildError, match="45_broken"):
        wbuild.build(ex, dbdir, sql_dir=broken)
    assert wdb.current_build(dbdir) == Path(first.db)
    assert not list((dbdir / "builds").glob("*.partial*"))
    assert reader.sql("select count(*) from cases").fetchall() == [(1,)]
    # a good build while the reader still holds the old one
    second = wbuild.build(ex, dbdir)
    assert reader.sql("select count(*) from cases").fetchall() == [(1,)]
    fresh = duckdb.connect(str(pointer), read_only=True)
    assert fresh.sql("select count(*) from cases").fetchall() == [(2,)]
    assert wdb.current_build(dbdir) == Path(second.db)
    reader.close()
    fresh.close()
    # an earlier build can be made current again
    wdb.make_current(pointer, Path(first.db))
    assert wdb.current_build(dbdir) == Path(first.db)


@pytest.mark.parametrize("step", ["59_grid_round_answers", "16_callbacks"])
def test_a_failing_step_in_either_lane_fails_the_build(tmp_path: Path, step: str) -> None:
    # 59 runs in the visit lane, 16 beside it (warmvisits/build.py _run_lanes): the build fails
    # naming the broken step (not the interruption of the other lane) and leaves the previous
    # build current
    ex = tmp_path / "ex"
    _small_set(ex)
    dbdir = tmp_path / "db"
    first = wbuild.build(ex, dbdir)
    broken = tmp_path / "sql"
    shutil.copytree(wbuild.BUILD_SQL_DIR, broken)
    (broken / f"{step}.sql").write_text("select * from no_such_table;", encoding="utf-8")
    with pytest.raises(wbuild.BuildError, match=f"{step}.sql failed: Catalog Error"):
        wbuild.build(ex, dbdir, sql_dir=broken)
    assert wdb.current_build(dbdir) == Path(first.db)
    assert not list((dbdir / "builds").glob("*.partial*"))


def _written(sql: str) -> set[str]:
    # the tables, views and macros a step creates or inserts into; not the accumulators of
    # rejects and warnings (*_acc), of which each connection has its own
    created = r"create (?:or replace )?(?:temp |temporary )?(?:table|view|macro) ([a-z_0-9]+)"
    filled = r"insert into ([a-z_0-9]+)"
    names = set(re.findall(created, sql, flags=re.IGNORECASE))
    names |= set(re.findall(filled, sql, flags=re.IGNORECASE))
    return {n for n in names if not n.endswith("_acc")}


def test_the_build_lanes_read_nothing_the_other_writes() -> None:
    # the visit lane and the steps beside it run at the same time on two connections: a step
    # of one must not name a table, view or macro that a step of the other creates or fills
    # (nor the answer views, written by the loader after 13_visits)
    scripts = {p.stem: p.read_text(encoding="utf-8") for p in wbuild.BUILD_SQL_DIR.glob("*.sql")}
    lanes = [s for s in scripts if s >= wbuild._BEFORE_ANSWERS and s not in wbuild._AFTER_LANES]
    visit = [s for s in lanes if s in wbuild._VISIT_LANE]
    beside = [s for s in lanes if s not in wbuild._VISIT_LANE]
    assert set(visit) == set(wbuild._VISIT_LANE) and "14_cases" in beside
    answer_views = {"visit_answers_wide", "visit_answers", "visit_answer_codes"}
    made_by_visit = set().union(*(_written(scripts[s]) for s in visit)) | answer_views
    made_beside = set().union(*(_written(scripts[s]) for s in beside))
    assert {"visit_rows", "visits", "household_rounds"} <= made_by_visit
    assert {"cases", "case_events", "callbacks", "case_links"} <= made_beside

    def named(sql: str, names: set[str]) -> set[str]:
        sql = re.sub(r"--[^\n]*", "", sql)  # comments may mention anything
        return {n for n in names if re.search(rf"\b{n}\b", sql, flags=re.IGNORECASE)}

    for s in beside:
        assert not named(scripts[s], made_by_visit), s
    for s in visit:
        assert not named(scripts[s], made_beside), s


def test_build_command_json_and_db_rule(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    _small_set(ex)
    target = tmp_path / "somewhere" / "wv.duckdb"
    exe = [sys.executable, "-m", "warmvisits.cli"]
    out = subprocess.run([*exe, "build", "--exports", str(ex), "--db", str(target), "--json"],
                         capture_output=True, text=True, cwd=ROOT, check=True)  # fmt: skip
    doc = json.loads(out.stdout)
    assert set(doc) >= {"db", "files", "tables", "superseded", "unknown_columns"}
    assert set(doc["tables"]) == {"grids", "households", "menu", "visits", "cases",
                                  "case_events", "callbacks", "petitions"}  # fmt: skip
    assert doc["tables"]["cases"] == {"rows": 1, "rejected": 1}
    assert {"path", "sheet", "kind", "rows", "rejected", "error"} == set(doc["files"][0])
    # `--db X` afterwards reads what was just built: the pointer is X itself
    assert Path(doc["db"]).resolve() == target.resolve()
    con = duckdb.connect(str(target), read_only=True)
    assert con.sql("select count(*) from cases").fetchall() == [(1,)]
    con.close()
    # a folder works the same way, and so does WARMVISITS_DB
    assert wdb.pointer_path(tmp_path / "somewhere" / "dir") == (
        tmp_path / "somewhere" / "dir" / "warmvisits.duckdb"
    )
    bad = subprocess.run([*exe, "build", "--exports", str(tmp_path / "nope"), "--db", str(target)],
                         capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert bad.returncode != 0 and "not found" in bad.stderr


def test_environment_variable_names_the_database(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WARMVISITS_DB", str(tmp_path / "envdb"))
    assert wdb.pointer_path(None) == tmp_path / "envdb" / "warmvisits.duckdb"
    assert wdb.pointer_path(tmp_path / "x.duckdb") == tmp_path / "x.duckdb"  # --db wins


def test_every_rule_in_the_sql_is_documented_and_every_documented_rule_is_used() -> None:
    sql = "\n".join(p.read_text(encoding="utf-8") for p in wbuild.BUILD_SQL_DIR.glob("1*.sql"))
    used_rejects = set(re.findall(r"then '([a-z_]+)'", sql)) | set(
        re.findall(r"set _rule = '([a-z_]+)'", sql)
    )
    used_rejects -= {"复杂"}  # not a rule
    used_warnings = set(re.findall(r"_row, '([a-z_]+)',", sql))
    py = (ROOT / "warmvisits" / "build.py").read_text(encoding="utf-8")
    used_warnings |= set(
        re.findall(r"'(unknown_item_column|answer_not_an_option|extra_cells)'", py)
    )
    assert used_rejects == set(REJECT_RULES)
    assert used_warnings == set(WARNING_RULES)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux's /proc")
def test_peak_memory_is_the_process_own_not_its_parent_s() -> None:
    # the benchmark starts each build from a process that holds the visit rows it wrote out;
    # Linux carries a process's peak across exec, so getrusage in the child reported the
    # parent's peak. The child here holds nothing large: its peak is far below the parent's.
    held = bytearray(400 << 20)
    for i in range(0, len(held), 4096):
        held[i] = 1  # touched, so that it is resident
    code = "from warmvisits.build import peak_memory_mb; print(peak_memory_mb())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 200
    assert wbuild.peak_memory_mb() >= 400  # and this process's own peak counts what it holds
    del held
