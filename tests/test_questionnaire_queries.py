"""The questionnaire mart (queries/build/59_grid_round_answers.sql) and queries
(queries/questionnaire_*.sql) on a small hand-made export set built by the real build
(``warmvisits.build.build``).

Expected numbers are worked out by hand from the VISITS table below (comments say how), or by an
independent computation over that table written in this file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.exportkit import write_csv
from warmvisits import queries as wq

T1, T2 = "341602101", "341602102"
V1, V2 = T1 + "001", T2 + "001"  # V1 an urban community (社区), V2 a rural village (村)
G1, G2, G3 = V1 + "001", V1 + "002", V2 + "001"
H1, H2, H3, H4 = G1 + "-0001", G1 + "-0002", G1 + "-0003", G2 + "-0001"
H5, H6, H7 = G3 + "-0001", G3 + "-0002", G3 + "-0003"

GRID_HEADER = ["乡镇街道编码", "乡镇街道", "乡镇街道类型", "村社区编码", "村社区", "村社区类型",
               "网格编码", "网格名称", "网格员", "网格员电话"]  # fmt: skip
GRIDS = [
    [T1, "薛阁街道", "街道", V1, "马元社区", "社区", G1, "马元一网格", "张一", "13800000001"],
    [T1, "薛阁街道", "街道", V1, "马元社区", "社区", G2, "马元二网格", "王二", "13800000002"],
    [T2, "魏岗镇", "镇", V2, "高楼村", "村", G3, "高楼一网格", "李三", "13800000003"],
]
HOUSEHOLD_HEADER = ["户编码", "网格编码", "户主姓名", "联系电话", "住址", "户籍人数", "状态"]
HOUSEHOLDS = [
    [H1, G1, "赵一明", "13900000001", "马元社区1号", "3", "在册"],
    [H2, G1, "钱二", "13900000002", "马元社区2号", "2", "在册"],
    [H3, G1, "孙三", "13900000003", "马元社区3号", "2", "在册"],
    [H4, G2, "李四", "13900000004", "马元社区4号", "1", "在册"],
    [H5, G3, "周五", "13900000005", "高楼村5号", "4", "在册"],
    [H6, G3, "吴六", "13900000006", "高楼村6号", "4", "迁出"],
    [H7, G3, "郑七", "13900000007", "高楼村7号", "4", "在册"],
]
MENU_HEADER = ["题目编码", "主题", "题目", "适用版本", "答案类型", "责任部门", "不利选项"]
MENU = [
    ["M1Q1", "民生保障", "家中是否有困难需要帮扶？", "通用", "是否", "民政局", "否"],
    ["M1Q2", "民生保障", "小区物业服务如何？", "城市版", "选择", "住建局", "C;D"],
    ["M2Q1", "农业生产", "今年灌溉用水情况？", "农村版", "好坏", "农业农村局", "差"],
    ["M2Q2", "农业生产", "对村里养老服务的评价？", "通用", "好坏", "民政局", "差"],
]
ITEMS = [m[0] for m in MENU]
VISIT_HEADER = ["走访编号", "走访轮次", "户编码", "网格编码", "走访日期", "走访方式", "走访人",
                "问卷版本", *ITEMS]  # fmt: skip
# (id, round, household, grid, date, method, form, {item: answer})
VISITS: list[tuple[str, str, str, str, str, str, str, dict[str, str]]] = [
    # H1: the later phone call (02-22) supersedes the door visit; its blank M1Q2 stays blank
    ("V01", "2023Q1", H1, G1, "2023-02-20", "入户", "城市版", {"M1Q1": "是", "M1Q2": "A"}),
    ("V02", "2023Q1", H1, G1, "2023-02-22", "电话", "城市版", {"M1Q1": "否"}),
    # H2: an unreached attempt after the door visit does not count, whatever it holds
    ("V03", "2023Q1", H2, G1, "2023-02-21", "入户", "城市版", {"M1Q1": "否", "M1Q2": "C"}),
    ("V04", "2023Q1", H2, G1, "2023-02-25", "未联系上", "城市版", {"M1Q1": "是"}),
    # H3: two visits the same day: the greater 走访编号 (V06) wins
    ("V05", "2023Q1", H3, G1, "2023-02-23", "入户", "城市版", {"M1Q1": "否", "M1Q2": "D"}),
    ("V06", "2023Q1", H3, G1, "2023-02-23", "电话", "城市版", {"M1Q1": "是", "M1Q2": "B"}),
    # H4: no 问卷版本 -> the community's form (城市版)
    ("V07", "2023Q1", H4, G2, "2023-02-21", "电话", "", {"M1Q1": "否", "M1Q2": "C"}),
    # rural households
    ("V08", "2023Q1", H5, G3, "2023-02-20", "入户", "农村版", {"M1Q1": "是", "M2Q1": "差", "M2Q2": "好"}),
    ("V09", "2023Q1", H6, G3, "2023-02-21", "入户", "农村版", {"M1Q1": "是", "M2Q1": "一般"}),
    ("V13", "2023Q1", H7, G3, "2023-02-21", "未联系上", "农村版", {}),
    # the previous round
    ("V10", "2022Q4", H1, G1, "2022-11-20", "入户", "城市版", {"M1Q1": "是", "M1Q2": "A"}),
    ("V11", "2022Q4", H5, G3, "2022-11-20", "入户", "农村版", {"M1Q1": "否", "M2Q1": "差"}),
    ("V12", "2022Q4", H6, G3, "2022-11-21", "电话", "农村版", {"M1Q1": "否", "M2Q1": "好"}),
]  # fmt: skip


def write_exports(folder: Path) -> Path:
    write_csv(folder / "网格台账.csv", GRID_HEADER, GRIDS)
    write_csv(folder / "住户台账.csv", HOUSEHOLD_HEADER, HOUSEHOLDS)
    write_csv(folder / "问卷题目.csv", MENU_HEADER, MENU)
    rows = [[v[0], v[1], v[2], v[3], v[4], v[5], "网格员", v[6], *(v[7].get(i, "") for i in ITEMS)]
            for v in VISITS]  # fmt: skip
    write_csv(folder / "走访记录.csv", VISIT_HEADER, rows)
    return folder


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    from warmvisits.build import build
    from warmvisits.db import current_build

    root = tmp_path_factory.mktemp("questionnaire")
    build(write_exports(root / "exports"), root / "db")
    path = current_build(root / "db")
    assert path is not None
    c = duckdb.connect(str(path), read_only=True)
    yield c
    c.close()


def q(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pl.DataFrame:
    return wq.run(con, name, **params)


# ---------------------------------------------------------------- an independent computation

VILLAGE_FORM = {V1: "城市版", V2: "农村版"}


def independent_answers(round_: str, scope: str = "") -> Counter[tuple[str, str, str]]:
    """(form, item, answer) -> households, from the VISITS list in plain Python."""
    last: dict[str, tuple[str, str, str, str, str, str, str, dict[str, str]]] = {}
    for v in VISITS:
        if v[1] != round_ or v[5] not in ("入户", "电话") or not v[3].startswith(scope):
            continue
        if v[2] not in last or (v[4], v[0]) > (last[v[2]][4], last[v[2]][0]):
            last[v[2]] = v
    out: Counter[tuple[str, str, str]] = Counter()
    for v in last.values():
        form = v[6] or VILLAGE_FORM[v[3][:12]]
        for item, answer in v[7].items():
            if answer:
                out[(form, item, answer)] += 1
    return out


def answers(con: duckdb.DuckDBPyConnection, **params: str) -> dict[tuple[str, str, str], dict]:
    df = q(con, "questionnaire_answers", **params)
    return {(r["form_version"], r["item_code"], r["answer"]): r for r in df.iter_rows(named=True)}


# ---------------------------------------------------------------- tests


def test_fixture_loaded(con: duckdb.DuckDBPyConnection) -> None:
    assert con.sql("select count(*) from rejects").fetchall() == [(0,)]
    assert con.sql("select count(*) from visits").fetchall() == [(len(VISITS),)]


def test_mart_grain_and_last_visit_wins(con: duckdb.DuckDBPyConnection) -> None:
    mart = con.sql("select * from mart_grid_round_answers").pl()
    key = ["round", "grid_code", "form_version", "item_code", "answer"]
    assert mart.select(key).is_unique().all()
    assert mart.select(pl.col(key).is_null().any()).row(0) == (False,) * len(key)
    got = Counter(
        {
            (r["form_version"], r["item_code"], r["answer"]): r["n_households"]
            for r in mart.filter(pl.col("round") == "2023Q1")
            .group_by("form_version", "item_code", "answer")
            .agg(pl.col("n_households").sum())
            .iter_rows(named=True)
        }
    )
    assert got == independent_answers("2023Q1")
    # by hand: M1Q1 on the urban form: H1 否 (V02), H2 否 (V03), H3 是 (V06), H4 否 (V07)
    assert got[("城市版", "M1Q1", "否")] == 3
    assert got[("城市版", "M1Q1", "是")] == 1
    # M1Q2: H1's last visit left it blank; H2 C, H3 B (not V05's D), H4 C
    assert got[("城市版", "M1Q2", "C")] == 2
    assert got[("城市版", "M1Q2", "B")] == 1
    assert ("城市版", "M1Q2", "A") not in got and ("城市版", "M1Q2", "D") not in got


def test_mart_accepted_values_and_relationships(con: duckdb.DuckDBPyConnection) -> None:
    def one(sql: str) -> object:
        return con.sql(sql).fetchall()[0][0]

    assert one("select count(*) from mart_grid_round_answers where n_households < 1") == 0
    forms = con.sql("select distinct form_version from mart_grid_round_answers").fetchall()
    assert {f for (f,) in forms} == {"城市版", "农村版"}
    # every row's grid is a loaded grid, its item a menu item and its answer one of the options
    assert (
        one(
            "select count(*) from mart_grid_round_answers a "
            "left join grids g using (grid_code) where g.grid_code is null"
        )
        == 0
    )
    assert (
        one(
            "select count(*) from mart_grid_round_answers a left join menu m using (item_code) "
            "where m.item_code is null or not list_contains(m.options, a.answer)"
        )
        == 0
    )
    # rounds are rounds of loaded visits; the total equals the independent count
    assert {
        r for (r,) in con.sql("select distinct round from mart_grid_round_answers").fetchall()
    } == {
        "2023Q1",
        "2022Q4",
    }
    assert one("select sum(n_households) from mart_grid_round_answers") == sum(
        independent_answers("2023Q1").values()
    ) + sum(independent_answers("2022Q4").values())


def test_answer_shares_exclude_blanks(con: duckdb.DuckDBPyConnection) -> None:
    a = answers(con, quarter="2023Q1", scope="", department="")
    m1q2 = [a[("城市版", "M1Q2", x)] for x in "ABCD"]
    # 3 households answered M1Q2 (H1's blank excluded): A 0, B 1, C 2, D 0
    assert [r["n_households"] for r in m1q2] == [0, 1, 2, 0]
    assert {r["n_answered"] for r in m1q2} == {3}
    assert [r["share"] for r in m1q2] == [0.0, pytest.approx(1 / 3), pytest.approx(2 / 3), 0.0]
    assert [r["is_unfavourable"] for r in m1q2] == [False, False, True, True]
    m1q1 = a[("城市版", "M1Q1", "否")]
    assert (m1q1["n_households"], m1q1["n_answered"], m1q1["share"]) == (3, 4, 0.75)
    # an item nobody answered on a form: listed, with no share
    m2q2_urban = a[("城市版", "M2Q2", "好")]
    assert (m2q2_urban["n_answered"], m2q2_urban["share"]) == (0, None)
    # rural M2Q2: H5 好; H6 left it blank -> 1 answered
    assert (a[("农村版", "M2Q2", "好")]["n_answered"], a[("农村版", "M2Q2", "好")]["share"]) == (
        1,
        1.0,
    )


def test_urban_and_rural_forms_are_separate(con: duckdb.DuckDBPyConnection) -> None:
    a = answers(con, quarter="2023Q1", scope="", department="")
    forms = {(f, i) for f, i, _ in a}
    # 通用 items on both forms, 城市版/农村版 items on their own form only
    assert forms == {
        ("城市版", "M1Q1"), ("农村版", "M1Q1"), ("城市版", "M1Q2"),
        ("农村版", "M2Q1"), ("城市版", "M2Q2"), ("农村版", "M2Q2"),
    }  # fmt: skip
    # M1Q1 rural: H5 是, H6 是 (a moved-out household's answer still counts)
    assert (a[("农村版", "M1Q1", "是")]["n_households"], a[("农村版", "M1Q1", "是")]["share"]) == (
        2,
        1.0,
    )
    rural = a[("农村版", "M2Q1", "差")]
    assert (rural["n_households"], rural["n_answered"]) == (1, 2)
    # every option listed in the menu's order
    options = [r for k, r in a.items() if k[:2] == ("农村版", "M2Q1")]
    assert [r["answer"] for r in sorted(options, key=lambda r: r["option_no"])] == [
        "好",
        "一般",
        "差",
    ]


def test_change_since_previous_round(con: duckdb.DuckDBPyConnection) -> None:
    a = answers(con, quarter="2023Q1", scope="", department="")
    r = a[("农村版", "M1Q1", "否")]
    # 2022Q4 rural M1Q1: H5 否, H6 否 -> 否 100%; 2023Q1: 0%
    assert (r["prev_round"], r["prev_n_households"], r["prev_n_answered"]) == ("2022Q4", 2, 2)
    assert (r["prev_share"], r["share_change"]) == (1.0, -1.0)
    u = a[("城市版", "M1Q1", "否")]
    # 2022Q4 urban: H1 是 only -> 否 0% then, 75% now
    assert (u["prev_share"], u["share_change"]) == (0.0, 0.75)
    # the first round has no previous round
    first = answers(con, quarter="2022Q4", scope="", department="")
    assert {r["prev_round"] for r in first.values()} == {None}
    assert {r["share_change"] for r in first.values()} == {None}


def test_scope(con: duckdb.DuckDBPyConnection) -> None:
    for scope in (T1, V1, G1, G2, T2):
        a = answers(con, quarter="2023Q1", scope=scope, department="")
        got = Counter({k: r["n_households"] for k, r in a.items() if r["n_households"]})
        assert got == independent_answers("2023Q1", scope), scope
    g2 = answers(con, quarter="2023Q1", scope=G2, department="")
    assert g2[("城市版", "M1Q1", "否")]["share"] == 1.0


def test_department_filter(con: duckdb.DuckDBPyConnection) -> None:
    items = {
        dept: {k[1] for k in answers(con, quarter="2023Q1", scope="", department=dept)}
        for dept in ("民政局", "住建局", "农业农村局", "不存在的部门")
    }
    assert items["民政局"] == {"M1Q1", "M2Q2"}
    assert items["住建局"] == {"M1Q2"}
    assert items["农业农村局"] == {"M2Q1"}
    assert items["不存在的部门"] == set()
    # the figures do not depend on the filter
    all_ = answers(con, quarter="2023Q1", scope="", department="")
    mz = answers(con, quarter="2023Q1", scope="", department="民政局")
    assert all(mz[k]["share"] == all_[k]["share"] for k in mz)


def test_areas_ranked_by_unfavourable_share(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "questionnaire_areas", quarter="2023Q1", scope="", item="M1Q1")
    areas = df.unique("area_code", maintain_order=True)
    # townships: T1 3 of 4 answered 否; T2 0 of 2
    assert areas["area_code"].to_list() == [T1, T2]
    assert areas["area_name"].to_list() == ["薛阁街道", "魏岗镇"]
    assert areas["unfavourable_share"].to_list() == [0.75, 0.0]
    assert areas["n_answered"].to_list() == [4, 2]
    # previous round: T1 0 of 1 (H1 是); T2 2 of 2
    assert areas["prev_unfavourable_share"].to_list() == [0.0, 1.0]
    assert areas["unfavourable_change"].to_list() == [0.75, -1.0]
    t1 = df.filter(pl.col("area_code") == T1)
    assert t1["answer"].to_list() == ["是", "否"]
    assert t1["n_households"].to_list() == [1, 3]
    # a village scope ranks its grids: G2 1 of 1, G1 2 of 3
    grids = q(con, "questionnaire_areas", quarter="2023Q1", scope=V1, item="M1Q1")
    grids = grids.unique("area_code", maintain_order=True)
    assert grids["area_code"].to_list() == [G2, G1]
    assert grids["unfavourable_share"].to_list() == [1.0, pytest.approx(2 / 3)]
    # several unfavourable options: M1Q2 C;D. G1: H2 C, H3 B -> 1 of 2
    m1q2 = q(con, "questionnaire_areas", quarter="2023Q1", scope=V1, item="M1Q2")
    g1 = m1q2.filter(pl.col("area_code") == G1).row(0, named=True)
    assert (g1["n_unfavourable"], g1["n_answered"]) == (1, 2)


def test_households_with_an_answer(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "questionnaire_households", quarter="2023Q1", scope=T1, item="M1Q1", answer="否",
           limit=100)  # fmt: skip
    # H1 through V02 (its last visit), H2 through V03 (V04 was unreached), H4 through V07
    assert df["household_id"].to_list() == [H1, H2, H4]
    assert df["visit_id"].to_list() == ["V02", "V03", "V07"]
    assert df["n_total"].to_list() == [3, 3, 3]
    assert df["head_name"].to_list()[0] == "赵一明"  # unmasked here: ui.query masks by role
    yes = q(con, "questionnaire_households", quarter="2023Q1", scope="", item="M1Q1", answer="是",
            limit=100)  # fmt: skip
    # not H1 (its earlier V01 said 是) and not H2 (the unreached V04 said 是)
    assert yes["household_id"].to_list() == [H3, H5, H6]
    limited = q(con, "questionnaire_households", quarter="2023Q1", scope="", item="M1Q1",
                answer="是", limit=2)  # fmt: skip
    assert (limited.height, limited["n_total"].to_list()) == (2, [3, 3])


def test_items_list(con: duckdb.DuckDBPyConnection) -> None:
    df = q(con, "questionnaire_items")
    assert df["item_code"].to_list() == ITEMS
    assert df.filter(pl.col("item_code") == "M1Q2")["unfavourable"].to_list() == [["C", "D"]]
