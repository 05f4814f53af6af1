"""The cases and resolution queries (queries/cases_*.sql, queries/resolution_*.sql and the
mart queries/build/55_case_stints.sql) on a small hand-made export set built by the real build.

Every expected number below was worked out by hand from the fixture (see the comments), or by an
independent computation written in this file.

The as-of moment is the end of 2023Q1, T = 2023-03-31 23:59:59; the fixture holds events and
resolutions after T, so T is the quarter end (METRICS.md "As-of").
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

T = datetime(2023, 3, 31, 23, 59, 59)
T_S = "2023-03-31 23:59:59"

TOWN_A, TOWN_B = "341602101", "341602102"
VIL_A, VIL_B = "341602101001", "341602102001"
G1, G2, G3 = "341602101001001", "341602101001002", "341602102001001"
H1, H2, H3 = f"{G1}-0001", f"{G2}-0001", f"{G3}-0001"

GRIDS = [
    # 乡镇街道编码, 乡镇街道, 乡镇街道类型, 村社区编码, 村社区, 村社区类型, 网格编码, 网格名称, 网格员, 网格员电话
    (
        TOWN_A,
        "薛阁街道",
        "街道",
        VIL_A,
        "马元社区",
        "社区",
        G1,
        "马元一网格",
        "赵敏",
        "13900000001",
    ),
    (
        TOWN_A,
        "薛阁街道",
        "街道",
        VIL_A,
        "马元社区",
        "社区",
        G2,
        "马元二网格",
        "钱进",
        "13900000002",
    ),
    (TOWN_B, "芦庙镇", "镇", VIL_B, "袁庄村", "村", G3, "袁庄一网格", "孙立", "13900000003"),
]
HOUSEHOLDS = [
    # 户编码, 网格编码, 户主姓名, 联系电话, 住址, 户籍人数, 状态
    (H1, G1, "张三丰", "13812345678", "薛阁街道马元社区1号", "3", "在册"),
    (H2, G2, "李四海", "13812340000", "薛阁街道马元社区2号", "2", "在册"),
    (H3, G3, "王五福", "13812341111", "芦庙镇袁庄村3号", "4", "在册"),
]
VISITS = [
    # 走访编号, 走访轮次, 户编码, 网格编码, 走访日期, 走访方式, 走访人, 反映问题
    ("V1", "2023Q1", H1, G1, "2023-02-25", "入户", "赵敏", "停电"),
    ("V2", "2023Q1", H2, G2, "2023-02-26", "电话", "钱进", "停电"),
    ("V3", "2023Q1", H3, G3, "2023-02-27", "入户", "孙立", "灌溉"),
]


def ts(x: datetime) -> str:
    return x.strftime("%Y-%m-%d %H:%M:%S")


# 事项编号, 来源, 关联走访编号, 网格编码, 事项类别, 复杂程度, 受理时间, 状态, 当前层级, 承办单位, 办结时间
CASES = [
    # resolved 03-05 after 4 days (on time); merged from two households' reports
    (
        "C01",
        "暖心走访",
        "V1;V2",
        G1,
        "供电供水",
        "一般",
        "2023-03-01 09:00:00",
        "已办结",
        "乡镇街道",
        "薛阁街道办",
        "2023-03-05 09:00:00",
    ),
    # passed up on 04-02, after T: at T it is still at 村社区 (current level says 乡镇街道)
    (
        "C02",
        "暖心走访",
        "V3",
        G3,
        "农田水利",
        "一般",
        "2023-03-28 10:00:00",
        "已移交上级",
        "乡镇街道",
        "芦庙镇政府",
        "",
    ),
    # resolved 04-10, after T: open at T, at 区直部门, red (due 03-27 08:00)
    (
        "C03",
        "暖心走访",
        "",
        G2,
        "道路交通",
        "一般",
        "2023-03-20 08:00:00",
        "已办结",
        "区直部门",
        "区交通局",
        "2023-04-10 08:00:00",
    ),
    # due exactly at T: not red (T is not strictly later), 0% left: yellow
    (
        "C04",
        "暖心走访",
        "",
        G1,
        "环境卫生",
        "一般",
        ts(T - timedelta(days=7)),
        "办理中",
        "村社区",
        "马元社区",
        "",
    ),
    # complex, exactly 25% of its 30 days left at T: green
    (
        "C05",
        "暖心走访",
        "",
        G3,
        "农田水利",
        "复杂",
        "2023-03-09 11:59:59",
        "办理中",
        "乡镇街道",
        "芦庙镇政府",
        "",
    ),
    # one second less left: yellow
    (
        "C06",
        "暖心走访",
        "",
        G3,
        "农田水利",
        "复杂",
        "2023-03-09 11:59:58",
        "办理中",
        "乡镇街道",
        "芦庙镇政府",
        "",
    ),
    # due one second before T: red; no events, so its level is its current level
    (
        "C07",
        "暖心走访",
        "",
        G2,
        "环境卫生",
        "一般",
        ts(T - timedelta(days=7, seconds=1)),
        "办理中",
        "村社区",
        "马元社区",
        "",
    ),
    # received after T: not in the backlog at T
    (
        "C08",
        "暖心走访",
        "",
        G1,
        "其他",
        "一般",
        "2023-04-05 09:00:00",
        "办理中",
        "村社区",
        "马元社区",
        "",
    ),
    # hotline case from 2022Q4, no events, still open: counts in the backlog (any source)
    (
        "C09",
        "12345热线",
        "",
        G2,
        "住房",
        "复杂",
        "2022-12-01 09:00:00",
        "已移交上级",
        "区委区政府",
        "区住建局",
        "",
    ),
    # sent back down and resolved at 村社区 after 19 days; callback 不满意: closed, not solved
    (
        "C10",
        "暖心走访",
        "V1",
        G1,
        "矛盾纠纷",
        "复杂",
        "2023-02-10 09:00:00",
        "已办结",
        "村社区",
        "马元社区",
        "2023-03-01 09:00:00",
    ),
    # resolved late: 15 days against 7
    (
        "C11",
        "暖心走访",
        "V3",
        G3,
        "医疗医保",
        "一般",
        "2023-01-05 09:00:00",
        "已办结",
        "村社区",
        "袁庄村",
        "2023-01-20 09:00:00",
    ),
]
# ageing fixtures: source 其他, complex, no events, at 村社区, received exactly N days before T
AGES = {"A08": 8, "A14": 14.999, "A15": 15, "A30": 30, "A31": 31, "A60": 60, "A61": 61}
for _cid, _days in AGES.items():
    CASES.append(
        (
            _cid,
            "其他",
            "",
            G2,
            "其他",
            "复杂",
            ts(T - timedelta(days=_days)),
            "办理中",
            "村社区",
            "马元社区",
            "",
        )
    )

# 事项编号, 时间, 动作, 层级, 单位
EVENTS = [
    ("C01", "2023-03-01 09:00:00", "受理", "村社区", "马元社区"),
    ("C01", "2023-03-03 09:00:00", "上报", "乡镇街道", "薛阁街道办"),
    ("C01", "2023-03-05 09:00:00", "办结", "乡镇街道", "薛阁街道办"),
    ("C02", "2023-03-28 10:00:00", "受理", "村社区", "袁庄村"),
    ("C02", "2023-04-02 10:00:00", "上报", "乡镇街道", "芦庙镇政府"),
    ("C03", "2023-03-20 08:00:00", "受理", "村社区", "马元社区"),
    ("C03", "2023-03-22 08:00:00", "上报", "乡镇街道", "薛阁街道办"),
    ("C03", "2023-03-25 08:00:00", "上报", "区直部门", "区交通局"),
    ("C03", "2023-04-10 08:00:00", "办结", "区直部门", "区交通局"),
    ("C04", ts(T - timedelta(days=7)), "受理", "村社区", "马元社区"),
    ("C05", "2023-03-09 11:59:59", "受理", "村社区", "袁庄村"),
    ("C05", "2023-03-10 11:59:59", "派遣", "乡镇街道", "芦庙镇政府"),
    ("C06", "2023-03-09 11:59:58", "受理", "村社区", "袁庄村"),
    ("C06", "2023-03-10 11:59:58", "派遣", "乡镇街道", "芦庙镇政府"),
    ("C10", "2023-02-10 09:00:00", "受理", "村社区", "马元社区"),
    ("C10", "2023-02-12 09:00:00", "上报", "乡镇街道", "薛阁街道办"),
    ("C10", "2023-02-20 09:00:00", "退回", "村社区", "马元社区"),
    ("C10", "2023-03-01 09:00:00", "办结", "村社区", "马元社区"),
    ("C11", "2023-01-05 09:00:00", "受理", "村社区", "袁庄村"),
    ("C11", "2023-01-20 09:00:00", "办结", "村社区", "袁庄村"),
]

# 回访编号, 户编码, 事项编号, 回访时间, 回访人, 回访结果
CALLBACKS = [
    ("B1", H1, "C10", "2023-03-05 10:00:00", "周回访", "不满意"),
    ("B2", H1, "C01", "2023-03-06 10:00:00", "周回访", "未接通"),
    ("B3", H1, "C01", "2023-03-07 10:00:00", "周回访", "满意"),
    ("B4", H3, "C11", "2023-01-25 10:00:00", "周回访", "满意"),
]


def write_exports(folder: Path) -> Path:
    """The fixture as export CSV files with Chinese headers (as the district's systems write)."""
    folder.mkdir(parents=True, exist_ok=True)

    def put(name: str, header: list[str], rows: list[tuple[str, ...]]) -> None:
        with open(folder / name, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    put(
        "网格台账.csv",
        [
            "乡镇街道编码",
            "乡镇街道",
            "乡镇街道类型",
            "村社区编码",
            "村社区",
            "村社区类型",
            "网格编码",
            "网格名称",
            "网格员",
            "网格员电话",
        ],
        GRIDS,
    )
    put(
        "住户台账.csv",
        ["户编码", "网格编码", "户主姓名", "联系电话", "住址", "户籍人数", "状态"],
        HOUSEHOLDS,
    )
    put(
        "走访记录.csv",
        [
            "走访编号",
            "走访轮次",
            "户编码",
            "网格编码",
            "走访日期",
            "走访方式",
            "走访人",
            "反映问题",
        ],
        VISITS,
    )
    put(
        "事项台账.csv",
        [
            "事项编号",
            "来源",
            "关联走访编号",
            "网格编码",
            "事项类别",
            "复杂程度",
            "受理时间",
            "状态",
            "当前层级",
            "承办单位",
            "办结时间",
        ],
        CASES,
    )
    put("流转记录.csv", ["事项编号", "时间", "动作", "层级", "单位"], EVENTS)
    put(
        "回访记录.csv",
        ["回访编号", "户编码", "事项编号", "回访时间", "回访人", "回访结果"],
        CALLBACKS,
    )
    return folder


# ----------------------------------------------------------------------------------------------
# the fixture database, built once by the project's own build


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    from warmvisits.build import build
    from warmvisits.db import connect

    root = tmp_path_factory.mktemp("cases")
    exports = write_exports(root / "exports")
    build(exports, root / "db")
    c = connect(root / "db")
    yield c
    c.close()


def q(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pl.DataFrame:
    from warmvisits.queries import run

    return run(con, name, **params)


def open_list(con: duckdb.DuckDBPyConnection, as_of: str = T_S, scope: str = "") -> pl.DataFrame:
    return q(
        con,
        "cases_open_list",
        as_of=as_of,
        scope=scope,
        yellow_share=0.25,
        stuck_days=10,
        only_overdue=False,
        only_stuck=False,
    )


def test_fixture_loaded_without_rejects(con: duckdb.DuckDBPyConnection) -> None:
    assert con.sql("select count(*) from rejects").fetchall() == [(0,)]
    assert con.sql("select count(*) from cases").fetchall() == [(len(CASES),)]
    assert con.sql("select count(*) from case_events").fetchall() == [(len(EVENTS),)]


# the state of every open case at T, worked out by hand (level, light, ageing bucket)
EXPECTED_AT_T = {
    "C02": ("村社区", "green", "0-7"),  # moved up on 04-02, after T: counted at its old level
    "C03": ("区直部门", "red", "8-14"),  # resolved 04-10, after T: still open at T
    "C04": ("村社区", "yellow", "0-7"),  # due exactly at T: not red; 0% left
    "C05": ("乡镇街道", "green", "15-30"),  # exactly 25% left
    "C06": ("乡镇街道", "yellow", "15-30"),  # 25% minus one second left
    "C07": ("村社区", "red", "0-7"),  # due one second before T; 7 days and 1 s open
    "C09": ("区委区政府", "red", ">60"),  # no events: its current level; 120.6 days open
    "A08": ("村社区", "green", "8-14"),
    "A14": ("村社区", "green", "8-14"),  # 14.999 days: 14 whole days
    "A15": ("村社区", "green", "15-30"),
    "A30": ("村社区", "yellow", "15-30"),  # due exactly at T
    "A31": ("村社区", "red", "31-60"),
    "A60": ("村社区", "red", "31-60"),
    "A61": ("村社区", "red", ">60"),
}


def test_backlog_at_past_moment_case_by_case(con: duckdb.DuckDBPyConnection) -> None:
    df = open_list(con)
    got = {
        r["case_id"]: (r["level"], r["light"], r["age_bucket"]) for r in df.iter_rows(named=True)
    }
    assert got == EXPECTED_AT_T  # C01/C10/C11 resolved before T, C08 received after T
    overdue = set(df.filter(pl.col("is_overdue"))["case_id"])
    assert overdue == {"C03", "C07", "C09", "A31", "A60", "A61"}
    c03 = df.filter(pl.col("case_id") == "C03").row(0, named=True)
    assert c03["days_overdue"] == pytest.approx(
        (T - datetime(2023, 3, 27, 8)).total_seconds() / 86400
    )
    assert c03["last_event_at"] == datetime(2023, 3, 25, 8)


def test_backlog_by_level_and_light(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "cases_backlog_levels", as_of=T_S, scope="", yellow_share=0.25)
    assert df.height == 15
    got = {(r["level"], r["light"]): r["n"] for r in df.iter_rows(named=True)}
    expected: dict[tuple[str, str], int] = {}
    for level, light, _ in EXPECTED_AT_T.values():
        expected[(level, light)] = expected.get((level, light), 0) + 1
    assert {k: v for k, v in got.items() if v} == expected
    assert got[("村社区", "green")] == 4 and got[("村社区", "red")] == 4
    assert got[("上级", "red")] == 0


def test_backlog_rewound_and_scoped(con: duckdb.DuckDBPyConnection) -> None:
    # on 04-03, C02 has moved up to 乡镇街道 and C08 is not yet received
    df = open_list(con, as_of="2023-04-03 00:00:00", scope=TOWN_B)
    got = {r["case_id"]: r["level"] for r in df.iter_rows(named=True)}
    assert got == {"C02": "乡镇街道", "C05": "乡镇街道", "C06": "乡镇街道"}
    # on 2023-03-02 12:00 C01 (received 03-01, passed up 03-03) was open at 村社区
    df = open_list(con, as_of="2023-03-02 12:00:00", scope=G1)
    assert dict(zip(df["case_id"], df["level"], strict=True)) == {"C01": "村社区"}


def test_ageing_buckets_by_dimension(con: duckdb.DuckDBPyConnection) -> None:
    row = q(
        con, "cases_backlog_by", as_of=T_S, scope="", yellow_share=0.25, stuck_days=10, dim="all"
    ).row(0, named=True)
    assert (
        row["n_open"],
        row["n_age_0_7"],
        row["n_age_8_14"],
        row["n_age_15_30"],
        row["n_age_31_60"],
        row["n_age_over_60"],
    ) == (14, 3, 3, 4, 2, 2)
    assert (row["n_green"], row["n_yellow"], row["n_red"]) == (5, 3, 6)
    assert row["n_stuck"] == 9  # as in test_stuck_and_overdue_filters
    by_town = q(
        con,
        "cases_backlog_by",
        as_of=T_S,
        scope="",
        yellow_share=0.25,
        stuck_days=10,
        dim="township",
    )
    towns = {
        r["group_code"]: (r["group_name"], r["n_open"], r["n_red"])
        for r in by_town.iter_rows(named=True)
    }
    assert towns == {TOWN_A: ("薛阁街道", 11, 6), TOWN_B: ("芦庙镇", 3, 0)}
    by_unit = q(
        con, "cases_backlog_by", as_of=T_S, scope="", yellow_share=0.25, stuck_days=10, dim="unit"
    )
    assert dict(zip(by_unit["group_name"], by_unit["n_open"], strict=True)) == {
        "马元社区": 9,
        "芦庙镇政府": 3,
        "区交通局": 1,
        "区住建局": 1,
    }


def test_stuck_and_overdue_filters(con: duckdb.DuckDBPyConnection) -> None:
    common = dict(as_of=T_S, scope="", yellow_share=0.25)
    overdue = q(
        con, "cases_open_list", stuck_days=10, only_overdue=True, only_stuck=False, **common
    )
    assert list(overdue["case_id"]) == [
        "C09",
        "A61",
        "A60",
        "C03",
        "A31",
        "C07",
    ]  # most overdue first
    stuck = q(con, "cases_open_list", stuck_days=10, only_overdue=False, only_stuck=True, **common)
    # no event (nor receipt) for more than 10 days: C03's last event was 6.67 days before T
    assert set(stuck["case_id"]) == {"C09", "A14", "A15", "A30", "A31", "A60", "A61", "C05", "C06"}


def test_case_timeline(con: duckdb.DuckDBPyConnection) -> None:
    levels = q(con, "cases_case_levels", case_id="C10", scope="", as_of=T_S)
    assert list(zip(levels["level"], levels["days"], strict=True)) == [
        ("村社区", 2.0),
        ("乡镇街道", 8.0),
        ("村社区", 9.0),  # sent back down, resolved there on 03-01
    ]
    c03 = q(con, "cases_case_levels", case_id="C03", scope="", as_of=T_S)
    assert list(c03["is_current"]) == [False, False, True]
    assert c03["days"][2] == pytest.approx((T - datetime(2023, 3, 25, 8)).total_seconds() / 86400)
    events = q(con, "cases_case_events", case_id="C02", scope="", as_of=T_S)
    assert list(events["is_after_as_of"]) == [False, True]
    reports = q(con, "cases_case_reports", case_id="C01", scope="")
    assert list(zip(reports["household_id"], reports["grid_code"], strict=True)) == [
        (H1, G1),
        (H2, G2),
    ]
    assert q(con, "cases_case_reports", case_id="C01", scope=TOWN_B).height == 0  # out of scope
    head = q(con, "cases_case", case_id="C10", scope="", as_of=T_S, yellow_share=0.25).row(
        0, named=True
    )
    assert head["is_resolved"] and head["closed_not_solved"] and head["days_to_resolve"] == 19.0


def test_time_at_each_level(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "cases_level_time", quarter="2023Q1", scope="", as_of=T_S)
    rows = {r["level"]: r for r in df.iter_rows(named=True)}
    # completed stints at 村社区: C01 2, C10 2 and 9, C11 15, C03 2, C05 1, C06 1 (days)
    village = sorted([2, 2, 9, 15, 2, 1, 1])
    assert rows["村社区"]["n_done"] == 7
    assert rows["村社区"]["median_days"] == pytest.approx(village[3])
    assert rows["村社区"]["p90_days"] == pytest.approx(9 + 0.4 * (15 - 9))  # position 5.4
    assert rows["村社区"]["n_still_there"] == 3  # C02, C04, C07
    assert rows["乡镇街道"]["median_days"] == pytest.approx(3.0)  # C01 2, C03 3, C10 8
    assert rows["区直部门"]["median_days"] is None and rows["区直部门"]["n_still_there"] == 1


def test_flow(con: duckdb.DuckDBPyConnection) -> None:
    links = q(con, "cases_flow_links", quarter="2023Q1", scope="", as_of=T_S)
    got = {(r["source"], r["target"]): r["n"] for r in links.iter_rows(named=True)}
    assert got == {
        ("received", "村社区"): 9,
        ("村社区", "乡镇街道"): 5,
        ("村社区", "resolved"): 1,
        ("村社区", "open"): 3,
        ("乡镇街道", "区直部门"): 1,
        ("乡镇街道", "resolved"): 2,
        ("乡镇街道", "open"): 2,
        ("区直部门", "open"): 1,
    }
    s = q(con, "cases_flow_summary", quarter="2023Q1", scope="", as_of=T_S).row(0, named=True)
    assert (s["n_received"], s["n_resolved"], s["n_open"], s["n_escalated"]) == (9, 3, 6, 1)


def _independent_km(rows: list[tuple[float, bool]]) -> list[tuple[float, float]]:
    out, s = [], 1.0
    for t in sorted({d for d, r in rows if r}):
        n = sum(1 for d, _ in rows if d >= t)
        k = sum(1 for d, r in rows if r and d == t)
        s *= 1 - k / n
        out.append((t, s))
    return out


def test_resolution_and_km(con: duckdb.DuckDBPyConnection) -> None:
    from warmvisits.survival import kaplan_meier, km_quantile

    df = q(con, "resolution_cases", quarter="2023Q1", scope="", as_of=T_S)
    assert set(df["case_id"]) == {"C01", "C02", "C03", "C04", "C05", "C06", "C07", "C10", "C11"}
    # durations by hand: resolved 4, 15, 19 days; the rest censored at T
    by_id = {r["case_id"]: (r["days"], r["is_resolved"]) for r in df.iter_rows(named=True)}
    assert (
        by_id["C01"] == (4.0, True)
        and by_id["C11"] == (15.0, True)
        and by_id["C10"] == (19.0, True)
    )
    assert by_id["C03"][1] is False
    assert by_id["C03"][0] == pytest.approx((T - datetime(2023, 3, 20, 8)).total_seconds() / 86400)
    curve = kaplan_meier(df["days"].to_numpy(), df["is_resolved"].to_numpy())
    ref = _independent_km(list(by_id.values()))
    assert list(curve.time) == [4.0, 15.0, 19.0] == [t for t, _ in ref]
    # at risk 9 → 8 after C02 (3.58, censored); 4 at 15 days; 3 at 19 days
    assert list(curve.survival) == pytest.approx([7 / 8, 7 / 8 * 3 / 4, 7 / 8 * 3 / 4 * 2 / 3])
    assert curve.median == 19.0
    assert km_quantile(curve, 0.9) is None
    flags = dict(zip(df["case_id"], df["closed_not_solved"], strict=True))
    assert [k for k, v in flags.items() if v] == ["C10"]

    row = q(con, "resolution_by", quarter="2023Q1", scope="", as_of=T_S, dim="all").row(
        0, named=True
    )
    assert (row["n_received"], row["n_resolved"], row["n_on_time"]) == (9, 3, 2)
    assert row["on_time_rate"] == pytest.approx(2 / 3)
    assert row["median_days"] == 15.0
    assert row["p90_days"] == pytest.approx(15 + 0.8 * (19 - 15))  # sorted 4 15 19, position 1.8
    assert row["closed_not_solved_share"] == pytest.approx(1 / 3)
    by_cx = q(con, "resolution_by", quarter="2023Q1", scope="", as_of=T_S, dim="complexity")
    cx = {
        r["group_code"]: (r["n_received"], r["n_resolved"], r["median_days"])
        for r in by_cx.iter_rows(named=True)
    }
    assert cx == {"一般": (6, 2, 9.5), "复杂": (3, 1, 19.0)}
    by_level = q(con, "resolution_by", quarter="2023Q1", scope="", as_of=T_S, dim="level")
    assert dict(zip(by_level["group_name"], by_level["n_received"], strict=True)) == {
        "村社区": 4,
        "乡镇街道": 4,
        "区直部门": 1,
    }


def test_resolution_quarters(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "resolution_quarters", scope="")
    q1 = df.filter(pl.col("quarter") == "2023Q1").row(0, named=True)
    assert q1["as_of"] == T and q1["n_received"] == 9 and q1["n_resolved"] == 3
    q2 = df.filter(pl.col("quarter") == "2023Q2").row(0, named=True)
    # C08 received 04-05; the data ends 04-10 08:00 (C03's resolution), so Q2 is read then
    assert q2["as_of"] == datetime(2023, 4, 10, 8) and q2["n_resolved"] == 0


# ----------------------------------------------------------------------------------------------
# the mart mart_case_stints (queries/build/55_case_stints.sql): grain and invariants


def test_stints_unique_key_not_null_and_accepted_values(con: duckdb.DuckDBPyConnection) -> None:
    dup = con.sql(
        "select case_id, stint_no from mart_case_stints group by all having count(*) > 1"
    ).fetchall()
    assert dup == []
    nulls = con.sql(
        "select count(*) from mart_case_stints where case_id is null or stint_no is null "
        "or level is null or level_no is null or entered_at is null"
    ).fetchall()
    assert nulls == [(0,)]
    levels = {r[0] for r in con.sql("select distinct level from mart_case_stints").fetchall()}
    assert levels <= {"村社区", "乡镇街道", "区直部门", "区委区政府", "上级"}
    orphans = con.sql(
        "select count(*) from mart_case_stints s anti join cases c on s.case_id = c.case_id"
    ).fetchall()
    assert orphans == [(0,)]
    # every case has at least one stint
    missing = con.sql(
        "select count(*) from cases c anti join mart_case_stints s on s.case_id = c.case_id"
    ).fetchall()
    assert missing == [(0,)]


def test_stints_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.sql(
        "select stint_no, level, entered_at, next_entered_at, left_at from mart_case_stints "
        "where case_id = 'C10' order by stint_no"
    ).fetchall()
    d = datetime
    assert rows == [
        (1, "村社区", d(2023, 2, 10, 9), d(2023, 2, 12, 9), d(2023, 2, 12, 9)),
        (2, "乡镇街道", d(2023, 2, 12, 9), d(2023, 2, 20, 9), d(2023, 2, 20, 9)),
        # sent back: a new stint at the lower level, left when resolved
        (3, "村社区", d(2023, 2, 20, 9), None, d(2023, 3, 1, 9)),
    ]
    # C01's 受理 and C01's two 乡镇街道 events: consecutive events at one level are one stint
    assert con.sql("select count(*) from mart_case_stints where case_id = 'C01'").fetchall() == [
        (2,)
    ]
    # a case with no event: one stint 0 at its current level from receipt, still open
    assert con.sql(
        "select stint_no, level, entered_at, left_at from mart_case_stints where case_id = 'C09'"
    ).fetchall() == [(0, "区委区政府", d(2022, 12, 1, 9), None)]
