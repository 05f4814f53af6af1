"""The petition queries (queries/petitions_*.sql) on a small hand-made export set built by the
real build (``warmvisits.build.build``).

Every expected number below is worked out by hand from the PETITIONS table in this file (see the
comments), or by an independent computation over that table written in this file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.exportkit import write_csv
from warmvisits import queries as wq

T1, T2, T3 = "341602101", "341602102", "341602103"
V1, V2, V3 = T1 + "001", T2 + "001", T3 + "001"
G1, G2, G3 = V1 + "001", V2 + "001", V3 + "001"
H1, H2, H3, H4 = G1 + "-0001", G1 + "-0002", G2 + "-0001", G3 + "-0001"

GRID_HEADER = ["乡镇街道编码", "乡镇街道", "乡镇街道类型", "村社区编码", "村社区", "村社区类型",
               "网格编码", "网格名称", "网格员", "网格员电话"]  # fmt: skip
GRIDS = [
    [T1, "薛阁街道", "街道", V1, "马元社区", "社区", G1, "马元一网格", "张一", "13800000001"],
    [T2, "芦庙镇", "镇", V2, "袁庄村", "村", G2, "袁庄一网格", "王二", "13800000002"],
    [T3, "魏岗镇", "镇", V3, "高楼村", "村", G3, "高楼一网格", "李三", "13800000003"],
]
HOUSEHOLD_HEADER = ["户编码", "网格编码", "户主姓名", "联系电话", "住址", "户籍人数", "状态"]
HOUSEHOLDS = [
    [H1, G1, "赵一", "13900000001", "马元社区1号", "3", "在册"],
    [H2, G1, "钱二", "13900000002", "马元社区2号", "2", "在册"],
    [H3, G2, "孙三", "13900000003", "袁庄村3号", "4", "在册"],
    [H4, G3, "李四", "13900000004", "高楼村4号", "1", "迁出"],
]
VISIT_HEADER = ["走访编号", "走访轮次", "户编码", "网格编码", "走访日期", "走访方式", "走访人"]
# T1: 1 of 2 registered households visited (coverage 0.5); T2: 1 of 1 (1.0); T3: none registered
VISITS = [
    ["V1", "2023Q1", H1, G1, "2023-02-20", "入户", "张一"],
    ["V2", "2023Q1", H2, G1, "2023-02-21", "未联系上", "张一"],
    ["V3", "2023Q1", H3, G2, "2023-02-22", "电话", "王二"],
    ["V4", "2023Q1", H4, G3, "2023-02-23", "入户", "李三"],
]
CASE_HEADER = ["事项编号", "来源", "网格编码", "事项类别", "复杂程度", "受理时间", "状态", "当前层级",
               "办结时间"]  # fmt: skip
# T1: two 暖心走访 cases received in 2023Q1, one resolved by the quarter's end (rate 0.5); a
# hotline case does not count. T2: one, resolved (rate 1.0).
CASES = [
    ["C1", "暖心走访", G1, "供电供水", "一般", "2023-02-21 09:00:00", "已办结", "村社区",
     "2023-02-25 09:00:00"],
    ["C2", "暖心走访", G1, "供电供水", "复杂", "2023-03-20 09:00:00", "办理中", "乡镇街道", ""],
    ["C3", "12345热线", G1, "其他", "一般", "2023-02-21 09:00:00", "已办结", "村社区",
     "2023-02-22 09:00:00"],
    ["C4", "暖心走访", G2, "农田水利", "一般", "2023-02-22 09:00:00", "已办结", "村社区",
     "2023-02-23 09:00:00"],
]  # fmt: skip

PETITION_HEADER = [
    "信访编号",
    "登记日期",
    "乡镇街道编码",
    "信访形式",
    "信访类别",
    "人数",
    "是否重复信访",
]
# (id, date, township, channel, category, persons, repeat)
PETITIONS = [
    ["P01", "2022-01-04", T1, "来信", "土地", "1", "否"],
    ["P02", "2022-01-20", T1, "来访", "土地", "5", "是"],  # collective (5 persons, the boundary)
    ["P03", "2022-02-11", T1, "网上", "环境", "1", "是"],
    ["P04", "2022-03-03", T1, "电话", "环境", "2", "否"],
    ["P13", "2022-03-15", T1, "来信", "土地", "1", "否"],
    ["P09", "2022-02-08", T3, "电话", "其他", "1", "否"],
    ["P10", "2022-06-30", T1, "来信", "土地", "1", "否"],
    ["P05", "2023-01-01", T1, "来信", "土地", "1", "是"],
    ["P06", "2023-03-02", T1, "来访", "劳资", "7", "否"],  # collective
    ["P07", "2023-03-09", T1, "来访", "土地", "1", ""],  # repeat unknown: not counted as repeat
    ["P11", "2023-03-31", T1, "网上", "", "1", "否"],  # the quarter's last day; no category
    [
        "P08",
        "2023-02-14",
        T2,
        "网上",
        "土地",
        "3",
        "否",
    ],  # 4 persons would not be collective either
    ["P12", "2023-04-01", T1, "来信", "土地", "1", "否"],  # 2023Q2
]

AS_OF = "2023-03-31 23:59:59"


def write_exports(folder: Path) -> Path:
    write_csv(folder / "网格台账.csv", GRID_HEADER, GRIDS)
    write_csv(folder / "住户台账.csv", HOUSEHOLD_HEADER, HOUSEHOLDS)
    write_csv(folder / "走访记录.csv", VISIT_HEADER, VISITS, encoding="gb18030")
    write_csv(folder / "事项台账.csv", CASE_HEADER, CASES)
    write_csv(folder / "信访登记.csv", PETITION_HEADER, PETITIONS, encoding="utf-8-sig")
    return folder


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    from warmvisits.build import build
    from warmvisits.db import current_build

    root = tmp_path_factory.mktemp("petitions")
    build(write_exports(root / "exports"), root / "db")
    path = current_build(root / "db")
    assert path is not None
    c = duckdb.connect(str(path), read_only=True)
    yield c
    c.close()


def q(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pl.DataFrame:
    return wq.run(con, name, **params)


# ---------------------------------------------------------------- an independent computation


def _quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def independent(quarter: str, township: str = "") -> dict[str, int]:
    """Counts straight from the PETITIONS list above (not from the database)."""
    rows = [
        p
        for p in PETITIONS
        if _quarter_of(date.fromisoformat(p[1])) == quarter and p[2].startswith(township)
    ]
    return {
        "petitions": len(rows),
        "persons": sum(int(p[5]) for p in rows),
        "repeat": sum(1 for p in rows if p[6] == "是"),
        "collective": sum(1 for p in rows if int(p[5]) >= 5),
    }


# ---------------------------------------------------------------- tests


def test_fixture_loaded_without_rejects(con: duckdb.DuckDBPyConnection) -> None:
    assert con.sql("select count(*) from rejects").fetchall() == [(0,)]
    assert con.sql("select count(*) from petitions").fetchall() == [(len(PETITIONS),)]


def test_summary_district(con: duckdb.DuckDBPyConnection) -> None:
    row = q(con, "petitions_summary", quarter="2023Q1", scope="").row(0, named=True)
    # 2023Q1: P05 P06 P07 P11 (T1) + P08 (T2) = 5; persons 1+7+1+1+3 = 13
    # 2022Q1: P01 P02 P03 P04 P13 (T1) + P09 (T3) = 6; persons 1+5+1+2+1+1 = 11
    assert row["petitions"] == 5
    assert row["petition_persons"] == 13
    assert row["petitions_prev_year"] == 6
    assert row["petition_persons_prev_year"] == 11
    assert row["petitions_yoy"] == pytest.approx((5 - 6) / 6)
    # repeat: P05 only (P07's blank is unknown, not a repeat); 2022Q1: P02, P03
    assert row["repeat_petitions"] == 1
    assert row["repeat_petitions_prev_year"] == 2
    # collective (>= 5 persons): P06 (7); 2022Q1: P02 (exactly 5)
    assert row["collective_petitions"] == 1
    assert row["collective_petitions_prev_year"] == 1
    ind = independent("2023Q1")
    assert (row["petitions"], row["petition_persons"]) == (ind["petitions"], ind["persons"])
    assert (row["repeat_petitions"], row["collective_petitions"]) == (
        ind["repeat"],
        ind["collective"],
    )


def test_summary_townships_and_zero_earlier_quarter(con: duckdb.DuckDBPyConnection) -> None:
    t1 = q(con, "petitions_summary", quarter="2023Q1", scope=T1).row(0, named=True)
    assert (t1["petitions"], t1["petitions_prev_year"]) == (4, 5)
    assert t1["petitions_yoy"] == pytest.approx(-0.2)
    # T2: 1 petition, none a year earlier -> YoY undefined (null), not 0 or infinity
    t2 = q(con, "petitions_summary", quarter="2023Q1", scope=T2).row(0, named=True)
    assert (t2["petitions"], t2["petitions_prev_year"]) == (1, 0)
    assert t2["petitions_yoy"] is None
    # T3: none now, one a year earlier -> -100%
    t3 = q(con, "petitions_summary", quarter="2023Q1", scope=T3).row(0, named=True)
    assert (t3["petitions"], t3["petitions_prev_year"], t3["petitions_yoy"]) == (0, 1, -1.0)
    # a quarter before any data: zeros, YoY null
    early = q(con, "petitions_summary", quarter="2021Q1", scope="").row(0, named=True)
    assert (early["petitions"], early["petitions_prev_year"], early["petitions_yoy"]) == (
        0,
        0,
        None,
    )


@pytest.mark.parametrize("scope", [V1, G1])
def test_below_township_has_no_petition_figures(con: duckdb.DuckDBPyConnection, scope: str) -> None:
    row = q(con, "petitions_summary", quarter="2023Q1", scope=scope).row(0, named=True)
    for key in ("petitions", "petition_persons", "petitions_prev_year", "petitions_yoy"):
        assert row[key] is None, key
    assert row["has_petitions"] is False
    for name in ("petitions_monthly", "petitions_quarterly"):
        assert q(con, name, scope=scope).height == 0
    for name in ("petitions_by_channel", "petitions_by_category"):
        assert q(con, name, quarter="2023Q1", scope=scope).height == 0
    assert q(con, "petitions_townships", quarter="2023Q1", scope=scope, as_of=AS_OF).height == 0


def test_summary_equals_metric_layer(con: duckdb.DuckDBPyConnection) -> None:
    """The page's figures and kpi_petitions (what `warmvisits kpis` prints) agree."""
    for scope in ("", T1, T2, T3, V1):
        mine = q(con, "petitions_summary", quarter="2023Q1", scope=scope).row(0, named=True)
        theirs = q(con, "kpi_petitions", quarter="2023Q1", scope=scope).row(0, named=True)
        for key in ("petitions", "petition_persons", "petitions_prev_year", "petitions_yoy"):
            assert mine[key] == theirs[key], (scope, key)


def test_monthly(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "petitions_monthly", scope="")
    by = {r["month_on"]: r for r in df.iter_rows(named=True)}
    # the series runs from the first to the last month with a petition, gaps as zeros
    assert df["month_on"].to_list()[0] == date(2022, 1, 1)
    assert df["month_on"].to_list()[-1] == date(2023, 4, 1)
    assert df.height == 16
    assert by[date(2022, 5, 1)]["petitions"] == 0
    # 2023-01: P05 = 1 against 2022-01: P01 P02 = 2 -> -50%
    jan = by[date(2023, 1, 1)]
    assert (jan["petitions"], jan["petitions_prev_year"], jan["petitions_yoy"]) == (1, 2, -0.5)
    # 2023-02: P08 (3 persons) against P03 P09
    feb = by[date(2023, 2, 1)]
    assert (feb["petitions"], feb["persons"], feb["petitions_prev_year"]) == (1, 3, 2)
    # 2023-03: P06 P07 P11 = 3 (P11 on the 31st), persons 9, against P04 P13 = 2 -> +50%
    mar = by[date(2023, 3, 1)]
    assert (mar["petitions"], mar["persons"], mar["petitions_yoy"]) == (3, 9, 0.5)
    assert (mar["collective_petitions"], mar["repeat_petitions"]) == (1, 0)
    assert (mar["n_visit"], mar["n_online"], mar["n_letter"], mar["n_phone"]) == (2, 1, 0, 0)
    # 2023-04: P12 against an empty April 2022 -> YoY null
    apr = by[date(2023, 4, 1)]
    assert (apr["petitions"], apr["petitions_prev_year"], apr["petitions_yoy"]) == (1, 0, None)
    # 2022 months have no earlier year in the data: YoY null
    assert by[date(2022, 1, 1)]["petitions_yoy"] is None
    assert df["petitions"].sum() == len(PETITIONS)


def test_quarterly(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "petitions_quarterly", scope="")
    assert df["quarter"].to_list() == [
        "2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1", "2023Q2"
    ]  # fmt: skip
    by = {r["quarter"]: r for r in df.iter_rows(named=True)}
    for quarter in by:
        ind = independent(quarter)
        assert by[quarter]["petitions"] == ind["petitions"], quarter
        assert by[quarter]["persons"] == ind["persons"], quarter
        assert by[quarter]["repeat_petitions"] == ind["repeat"], quarter
        assert by[quarter]["collective_petitions"] == ind["collective"], quarter
    assert by["2023Q1"]["petitions_yoy"] == pytest.approx(-1 / 6)
    # 2023Q2: P12 against 2022Q2: P10 -> 0%
    assert (by["2023Q2"]["petitions"], by["2023Q2"]["petitions_yoy"]) == (1, 0.0)
    assert by["2022Q3"]["petitions_yoy"] is None
    t2 = {r["quarter"]: r for r in q(con, "petitions_quarterly", scope=T2).iter_rows(named=True)}
    assert (t2["2023Q1"]["petitions"], t2["2023Q1"]["petitions_yoy"]) == (1, None)


def test_by_channel(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "petitions_by_channel", quarter="2023Q1", scope="")
    assert df["channel"].to_list() == ["来信", "来访", "网上", "电话"]
    got = {r["channel"]: (r["petitions"], r["petitions_prev_year"], r["petitions_yoy"])
           for r in df.iter_rows(named=True)}  # fmt: skip
    # 2023Q1: 来信 P05; 来访 P06 P07; 网上 P08 P11; 电话 none
    # 2022Q1: 来信 P01 P13; 来访 P02; 网上 P03; 电话 P04 P09
    assert got == {
        "来信": (1, 2, -0.5),
        "来访": (2, 1, 1.0),
        "网上": (2, 1, 1.0),
        "电话": (0, 2, -1.0),
    }
    assert df["persons"].to_list() == [1, 8, 4, 0]
    t2 = q(con, "petitions_by_channel", quarter="2023Q1", scope=T2)
    assert t2["petitions"].to_list() == [0, 0, 1, 0]
    assert t2["petitions_yoy"].to_list() == [None, None, None, None]


def test_by_category(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "petitions_by_category", quarter="2023Q1", scope="")
    got = {r["category"]: (r["petitions"], r["petitions_prev_year"], r["petitions_yoy"])
           for r in df.iter_rows(named=True)}  # fmt: skip
    # 2023Q1: 土地 P05 P07 P08; 劳资 P06; blank P11. 2022Q1: 土地 P01 P02 P13; 环境 P03 P04; 其他 P09
    assert got == {
        "土地": (3, 3, 0.0),
        "劳资": (1, 0, None),
        None: (1, 0, None),
        "环境": (0, 2, -1.0),
        "其他": (0, 1, -1.0),
    }
    assert df["category"].to_list()[0] == "土地"  # most petitions first
    land = df.filter(pl.col("category") == "土地").row(0, named=True)
    assert (land["repeat_petitions"], land["collective_petitions"], land["persons"]) == (1, 0, 5)
    labour = df.filter(pl.col("category") == "劳资").row(0, named=True)
    assert labour["collective_petitions"] == 1


def test_townships_change_coverage_and_resolution(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "petitions_townships", quarter="2023Q1", scope="", as_of=AS_OF)
    by = {r["township_code"]: r for r in df.iter_rows(named=True)}
    assert set(by) == {T1, T2, T3}
    assert (by[T1]["petitions"], by[T1]["petitions_prev_year"], by[T1]["petitions_change"]) == (
        4,
        5,
        -1,
    )
    assert by[T1]["petitions_yoy"] == pytest.approx(-0.2)
    assert by[T1]["is_rise"] is False
    assert (by[T2]["petitions_change"], by[T2]["petitions_yoy"], by[T2]["is_rise"]) == (
        1,
        None,
        True,
    )
    assert (by[T3]["petitions_yoy"], by[T3]["is_rise"]) == (-1.0, False)
    # coverage: T1 1 of 2 在册 households reached (V2 was unreached); T2 1 of 1; T3's only
    # household moved out -> no registered households, coverage undefined
    assert by[T1]["coverage"] == 0.5
    assert by[T2]["coverage"] == 1.0
    assert by[T3]["coverage"] is None
    # resolution: T1 C1 resolved, C2 open (the hotline C3 is not a 暖心走访 case); T2 C4 resolved
    assert (by[T1]["cases_received"], by[T1]["cases_resolved"]) == (2, 1)
    assert by[T1]["resolution_rate"] == 0.5
    assert by[T2]["resolution_rate"] == 1.0
    assert by[T3]["resolution_rate"] is None
    # the scope's averages on every row: district YoY -1/6, coverage 2/3, resolution 2/3
    assert df["scope_petitions_yoy"].unique().to_list() == [pytest.approx(-1 / 6)]
    assert df["scope_coverage"].unique().to_list() == [pytest.approx(2 / 3)]
    assert df["scope_resolution_rate"].unique().to_list() == [pytest.approx(2 / 3)]
    # rises first
    assert df["township_code"].to_list()[0] == T2
    # a township scope gives that township only, with its own figures as the averages
    one = q(con, "petitions_townships", quarter="2023Q1", scope=T1, as_of=AS_OF)
    assert one["township_code"].to_list() == [T1]
    assert one["scope_coverage"].to_list() == [0.5]


def test_resolution_follows_as_of(con: duckdb.DuckDBPyConnection) -> None:
    # rewound to before C1 was resolved (2023-02-25 09:00): T1 resolved 0 of 2
    df = q(con, "petitions_townships", quarter="2023Q1", scope=T1, as_of="2023-02-24 00:00:00")
    assert df.row(0, named=True)["cases_resolved"] == 0


def test_rounds_marked(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "petitions_rounds")
    assert df["round"].to_list() == ["2023Q1"]
    # grid first/last visit days: G1 02-20..02-21, G2 02-22, G3 02-23 -> medians 02-22, 02-22
    row = df.row(0, named=True)
    assert row["window_start_on"] == date(2023, 2, 22)
    assert row["window_end_on"] == date(2023, 2, 22)
