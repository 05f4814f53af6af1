"""AppTest for 问卷分析 (pages/questionnaire.py) on the small demo: no exception; the counts the
page shows equal an independent computation over the clean tables (last 入户/电话 visit of the
round per household, blanks excluded); urban and rural forms side by side; the department view
shows only that department's themes; the household drill lists masked personal data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

PAGE = "pages/questionnaire.py"
QUARTER = "2023Q1"

# independent of the mart: the last answering visit per household, in plain SQL with a window
INDEPENDENT = """
with last as (
    select v.visit_id,
        coalesce(v.form_version, case vi.village_type when '社区' then '城市版' else '农村版' end) form
    from visits v join villages vi using (village_code)
    where v.round = $round and v.method in ('入户', '电话') and starts_with(v.grid_code, $scope)
    qualify row_number() over (partition by v.household_id order by v.visit_on desc, v.visit_id desc) = 1
)
select a.item_code, l.form, count(*) n
from last l join visit_answers a using (visit_id)
group by all
"""


@pytest.fixture(scope="module")
def expected(small_db: Path) -> dict[str, Any]:
    from warmvisits.db import connect

    con = connect(small_db)
    try:
        answered = {
            (i, f): n
            for i, f, n in con.sql(INDEPENDENT, params={"round": QUARTER, "scope": ""}).fetchall()
        }
        menu = con.sql("select item_code, theme_no, theme, department from menu").fetchall()
        town = con.sql("select min(township_code) from townships").fetchall()[0][0]
    finally:
        con.close()
    return {"answered": answered, "menu": menu, "town": town}


def open_page(app_test: Any, scope: str = "", lang: str = "zh", role: str = "analyst") -> Any:
    params = {"quarter": QUARTER, "lang": lang}
    if scope:
        params["scope"] = scope
    at = app_test(query_params=params, wv_role=role)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def theme_table(at: Any) -> Any:
    return next(df.value for df in at.dataframe if "答案分布" in df.value.columns)


def test_page_counts_equal_independent_computation(app_test: Any, expected: dict) -> None:
    at = open_page(app_test)
    theme = next(c for c in at.button_group if c.key == "questionnaire_theme")
    # eight themes, one at a time
    assert len(theme.options) == len({m[1] for m in expected["menu"]}) == 8
    checked = 0
    for option in theme.options:
        theme.set_value(int(option.split(".")[0])).run()
        assert not at.exception, [e.value for e in at.exception]
        table = theme_table(at)
        for _, row in table.iterrows():
            form = "城市版" if row["问卷版本"] == "城市版" else "农村版"
            want = expected["answered"].get((row["题号"], form), 0)
            assert row["作答户数"] == f"{want:,}", (row["题号"], form)
            # the distribution's counts add up to the households that answered
            counts = [int(n) for n in re.findall(r"\((\d+)\)", row["答案分布"])]
            assert sum(counts) == want
            checked += 1
        theme = next(c for c in at.button_group if c.key == "questionnaire_theme")
    assert checked >= 26  # every item on each of its forms


def test_every_question_listed_once_per_form(app_test: Any, small_db: Path) -> None:
    from warmvisits.db import connect

    con = connect(small_db)
    try:
        # 通用 items are on both forms, the others on one
        pairs = con.sql(
            "select sum(case form_version when '通用' then 2 else 1 end) from menu"
        ).fetchall()[0][0]
    finally:
        con.close()
    at = open_page(app_test)
    tables = [df.value for df in at.dataframe if "答案分布" in df.value.columns]
    everything = next(t for t in tables if "主题" in t.columns)
    assert len(everything) == pairs
    assert everything["主题"].nunique() == 8


def test_urban_and_rural_side_by_side(app_test: Any) -> None:
    at = open_page(app_test)
    assert [m.value for m in at.markdown if m.value in ("**城市版**", "**农村版**")] == [
        "**城市版**",
        "**农村版**",
    ]


def test_department_view(app_test: Any, expected: dict) -> None:
    at = open_page(app_test)
    dept = "区农业农村局"
    owned = {m[1] for m in expected["menu"] if m[3] == dept}
    assert owned  # the demo menu gives this department at least one item
    at.selectbox(key="questionnaire_department").set_value(dept).run()
    assert not at.exception, [e.value for e in at.exception]
    theme = next(c for c in at.button_group if c.key == "questionnaire_theme")
    assert {int(o.split(".")[0]) for o in theme.options} == owned
    table = theme_table(at)
    assert set(table["责任部门"]) == {dept}


def test_ranking_and_household_drill_masked(app_test: Any, expected: dict) -> None:
    at = open_page(app_test, scope=expected["town"])
    ranking = next(
        df.value
        for df in at.dataframe
        if "不利选项占比" in df.value.columns and "地方" in df.value.columns
    )
    assert len(ranking) >= 1
    shares = [v for v in ranking["不利选项占比"] if v == v]
    assert shares == sorted(shares, reverse=True)
    at.toggle(key="questionnaire_show_households").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    households = [df.value for df in at.dataframe if "户主" in df.value.columns]
    if households:  # some household gave the default (last) answer
        phones = [p for p in households[0]["联系电话"] if p]
        assert phones and all("*" in p for p in phones)  # the demo role is not callback staff
        assert all(h.startswith(expected["town"]) for h in households[0]["户编码"])


def test_english(app_test: Any) -> None:
    at = open_page(app_test, lang="en")
    assert any("Urban form" in m.value for m in at.markdown)


def test_leader_sees_figures_but_no_household_list(app_test: Any) -> None:
    at = open_page(app_test, role="leader")
    assert theme_table(at) is not None
    assert not [t for t in at.toggle if t.key == "questionnaire_show_households"]
    assert any("不显示个人信息" in c.value for c in at.caption)
