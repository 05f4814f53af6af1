"""Leaders' overview on the small demo: its figures equal `warmvisits kpis` (run as a separate
process) for the same quarter and scope, the league table agrees with kpis per place, lagging
marks follow their rules and each row carries its place's code for the drill-down, trends cover
every round."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warmvisits import db as wdb

HEADLINE = [
    ("入户覆盖率", "coverage", "pct"),
    ("已走访户数", "visited_households", "int"),
    ("受理事项", "cases_received", "int"),
    ("已办结事项", "cases_resolved", "int"),
    ("办结率", "resolution_rate", "pct"),
    ("按期办结率", "on_time_rate", "pct"),
    ("在办事项", "open_cases", "int"),
    ("逾期事项", "overdue_cases", "int"),
    ("回访满意度", "satisfaction_rate", "pct"),
    ("信访件数", "petitions", "int"),
]


def shown(value: object, kind: str) -> str:
    """How the page must show a kpis value (worked out here, not with the page's helpers)."""
    if value is None:
        return "—"
    if kind == "pct":
        return f"{round(float(value) * 1000) / 10:.1f}%"
    return f"{int(value):,}"


def places(db: Path, sql: str) -> list[str]:
    with duckdb.connect(os.fspath(wdb.current_build(db)), read_only=True) as con:
        return [r[0] for r in con.sql(sql).fetchall()]


def rounds(db: Path) -> list[str]:
    return places(db, "select distinct round from visits order by 1")


def run_overview(app_test: Callable[..., object], **params: str) -> object:
    at = app_test(query_params=params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "领导总览"
    return at


def check_headline(at: object, expected: dict[str, object]) -> None:
    metrics = {m.label: m for m in at.metric}
    for label, key, kind in HEADLINE:
        assert label in metrics, label
        assert metrics[label].value == shown(expected[key], kind), (key, expected[key])


def test_district_figures_equal_kpis(
    app_test: Callable[..., object], app_env: Path, kpis_cli: Callable[..., dict]
) -> None:
    quarter = rounds(app_env)[-1]
    expected = kpis_cli(app_env, quarter, "")
    at = run_overview(app_test, quarter=quarter)
    check_headline(at, expected)
    # the satisfaction interval is the kpis' Wilson interval
    if expected["satisfaction_ci_low"] is not None:
        low = shown(expected["satisfaction_ci_low"], "pct")
        high = shown(expected["satisfaction_ci_high"], "pct")
        assert any(low in c.value and high in c.value for c in at.caption)


def test_first_round_figures_equal_kpis_for_a_township(
    app_test: Callable[..., object], app_env: Path, kpis_cli: Callable[..., dict]
) -> None:
    quarter = rounds(app_env)[0]
    township = places(app_env, "select min(township_code) from townships")[0]
    expected = kpis_cli(app_env, quarter, township)
    at = run_overview(app_test, quarter=quarter, scope=township)
    check_headline(at, expected)


def test_village_scope_shows_no_petition_figures(
    app_test: Callable[..., object], app_env: Path, kpis_cli: Callable[..., dict]
) -> None:
    quarter = rounds(app_env)[-1]
    village = places(app_env, "select min(village_code) from villages")[0]
    expected = kpis_cli(app_env, quarter, village)
    assert expected["petitions"] is None
    at = run_overview(app_test, quarter=quarter, scope=village)
    check_headline(at, expected)
    assert {m.label: m.value for m in at.metric}["信访件数"] == "—"


def test_change_on_previous_quarter_is_the_difference_of_kpis(
    app_test: Callable[..., object], app_env: Path, kpis_cli: Callable[..., dict]
) -> None:
    rs = rounds(app_env)
    assert len(rs) >= 2, "the small demo has eight rounds; this test needs two"
    now, before = kpis_cli(app_env, rs[-1], ""), kpis_cli(app_env, rs[-2], "")
    at = run_overview(app_test, quarter=rs[-1])
    metrics = {m.label: m for m in at.metric}
    diff = now["visited_households"] - before["visited_households"]
    assert metrics["已走访户数"].delta == f"{diff:+,}"
    pp = round((now["coverage"] - before["coverage"]) * 100, 1) + 0.0  # "+0.0", never "-0.0"
    assert metrics["入户覆盖率"].delta == f"{pp:+.1f} pp"


def markups(at: object) -> dict[str, str]:
    """The server-built markup of the page's ui.markup components, by key suffix."""
    out = {}
    for element in at.get("bidi_component"):  # type: ignore[attr-defined]
        proto = element.proto
        assert proto.component_name == "warmvisits.markup"
        key = proto.id.rsplit("-", 1)[-1] if "ov_trend" in proto.id else "league"
        out[key] = json.loads(proto.json)["html"]
    return out


class _Table(HTMLParser):
    """Rows of a league table: (data-select, [(data-v, class, shown text) per cell]) and the
    tooltip of every lagging cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[tuple[str, str, str]]]] = []
        self.header: list[str] = []
        self._cell: list[str] | None = None
        self._attrs: dict[str, str] = {}
        self._in_body = False
        self.lag_titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tbody":
            self._in_body = True
        elif tag == "th" and not self._in_body:
            self.header.append(a["data-key"])
        elif tag == "tr" and self._in_body:
            self.rows.append((a["data-select"], []))
        elif tag in ("td", "th") and self._in_body:
            self._cell, self._attrs = [], a
            if "wv-lag" in a.get("class", "") and "wv-count" not in a.get("class", ""):
                self.lag_titles.append(a["title"])

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            cell = (
                self._attrs.get("data-v", ""),
                self._attrs.get("class", ""),
                "".join(self._cell),
            )
            self.rows[-1][1].append(cell)
            self._cell = None


def league_table(at: object) -> _Table:
    parser = _Table()
    parser.feed(markups(at)["league"])
    return parser


def league_rows(at: object) -> tuple[list[str], list[tuple[str, list[tuple[str, str, str]]]]]:
    table = league_table(at)
    return table.header, table.rows


def test_league_table_agrees_with_kpis_per_township(
    app_test: Callable[..., object], app_env: Path, kpis_cli: Callable[..., dict]
) -> None:
    quarter = rounds(app_env)[-1]
    at = run_overview(app_test, quarter=quarter)
    header, rows = league_rows(at)
    assert header == [
        "name",
        "coverage",
        "cases_received",
        "resolution_rate",
        "on_time_rate",
        "overdue_cases",
        "satisfaction_rate",
        "petitions_yoy",
        "n_lagging",
    ]
    codes = places(app_env, "select township_code from townships order by township_code")
    townships = places(app_env, "select township_name from townships order by township_code")
    assert [code for code, _ in rows] == codes  # each row narrows the scope to its township
    assert [cells[0][2] for _, cells in rows] == townships
    for code, cells in rows[:3]:
        k = kpis_cli(app_env, quarter, code)
        value = {key: cells[i][0] for i, key in enumerate(header)}
        shown = {key: cells[i][2] for i, key in enumerate(header)}
        assert int(value["cases_received"]) == k["cases_received"]
        assert int(value["overdue_cases"]) == k["overdue_cases"]
        for key in ("coverage", "resolution_rate", "on_time_rate", "satisfaction_rate"):
            if k[key] is None:
                assert value[key] == "" and shown[key] == "—"
            else:
                assert float(value[key]) == pytest.approx(k[key], abs=1e-12), key
                assert shown[key].endswith(f"{round(k[key] * 1000) / 10:.1f}%"), key
        if k["petitions_yoy"] is not None:
            assert float(value["petitions_yoy"]) == pytest.approx(k["petitions_yoy"], abs=1e-12)


def test_league_marks_lagging_values_with_their_rule(
    app_test: Callable[..., object], app_env: Path
) -> None:
    at = run_overview(app_test, quarter=rounds(app_env)[-1])
    table = league_table(at)
    header, rows = table.header, table.rows
    marked = [
        (header[i], text)
        for _, cells in rows
        for i, (_, cls, text) in enumerate(cells)
        if "wv-lag" in cls and header[i] != "n_lagging"
    ]
    assert marked, "the small demo has lagging values"
    assert all(text.startswith("⚠ ") for _, text in marked)
    for _, cells in rows:  # the count column agrees with the marks in its row
        n = sum(
            "wv-lag" in c[1] for key, c in zip(header, cells, strict=True) if key != "n_lagging"
        )
        assert int(cells[-1][0]) == n
    # every mark says which rule flagged it, in the interface language
    rules = ("低于覆盖率目标", "处于本表末四分之一", "逾期数处于本表前四分之一", "信访件数同比上升")
    assert len(table.lag_titles) == len(marked)
    assert all(title.startswith(rules) for title in table.lag_titles), table.lag_titles


def test_village_league_has_no_petitions_column(
    app_test: Callable[..., object], app_env: Path
) -> None:
    township = places(app_env, "select min(township_code) from townships")[0]
    at = run_overview(app_test, quarter=rounds(app_env)[-1], scope=township)
    header, rows = league_rows(at)
    assert "petitions_yoy" not in header
    villages = places(
        app_env, f"select village_code from villages where township_code = '{township}' order by 1"
    )
    assert [code for code, _ in rows] == villages


def test_trend_charts_cover_every_round(app_test: Callable[..., object], app_env: Path) -> None:
    at = run_overview(app_test, quarter=rounds(app_env)[-1])
    charts = markups(at)
    assert set(charts) == {"league", "ov_trend_rates", "ov_trend_counts"}
    labels = [f"{q[:4]}年第{q[-1]}季度" for q in rounds(app_env)]
    for key in ("ov_trend_rates", "ov_trend_counts"):
        assert re.findall(r'data-category="([^"]*)"', charts[key]) == labels
    assert "回访满意度" in charts["ov_trend_rates"]
    assert "信访件数" in charts["ov_trend_counts"]
    assert not at.get("plotly_chart") and not at.dataframe  # nothing heavy before the metrics


def test_lagging_rules() -> None:
    from ui.league import lagging

    df = pl.DataFrame(
        {
            "coverage": [0.99, 0.94, 0.97, None],
            "resolution_rate": [0.9, 0.5, 0.8, 0.85],
            "on_time_rate": [0.9, 0.9, 0.9, 0.9],
            "satisfaction_rate": [None, 0.7, 0.99, 0.98],
            "overdue_cases": [0, 9, 1, 2],
            "petitions_yoy": [-0.2, 0.1, None, 0.0],
        }
    )
    overall = {"resolution_rate": 0.75, "on_time_rate": 0.9, "satisfaction_rate": 0.9}
    out = lagging(df, overall, 0.95)
    assert out["lag_coverage"].to_list() == [False, True, False, False]
    # bottom quarter (q25 of 0.5, 0.8, 0.85, 0.9 = 0.725) and below the scope's 0.75
    assert out["lag_resolution_rate"].to_list() == [False, True, False, False]
    # all equal to the scope's figure: nobody lags
    assert out["lag_on_time_rate"].to_list() == [False, False, False, False]
    assert out["lag_satisfaction_rate"].to_list() == [False, True, False, False]
    # top quarter of overdue (q75 of 0, 1, 2, 9 = 3.75) and above zero
    assert out["lag_overdue_cases"].to_list() == [False, True, False, False]
    assert out["lag_petitions_yoy"].to_list() == [False, True, False, False]
    assert out["n_lagging"].to_list() == [0, 5, 0, 0]


def test_league_table_html_rows_sort_values_marks_and_escaping() -> None:
    from ui.league import Column, lagging, table_html

    df = pl.DataFrame(
        {
            "code": ["341602001", "341602002", "341602003"],
            "name": ["甲镇", '<b>乙"街道</b>', "丙乡"],
            "coverage": [0.99, 0.9, None],
            "overdue_cases": [0, 12, 3],
        }
    )
    df = lagging(df, {}, 0.95)
    columns = [
        Column("coverage", "覆盖率", "定义 <覆盖>", lambda v: "—" if v is None else f"{v:.0%}"),
        Column("overdue_cases", "逾期", "逾期定义", lambda v: f"{v:,}"),
    ]
    reasons = {"coverage": "低于目标 95%", "overdue_cases": "前四分之一"}
    markup = table_html(df, columns, "名称", "落后项", "个数", reasons, "zh-CN")
    parser = _Table()
    parser.feed(markup)
    assert parser.header == ["name", "coverage", "overdue_cases", "n_lagging"]
    assert [code for code, _ in parser.rows] == df["code"].to_list()
    # names are shown as exported (escaped, not markup) and sort by the name itself
    assert [cells[0][2] for _, cells in parser.rows] == df["name"].to_list()
    assert "<b>" not in markup and 'data-sortable="zh-CN"' in markup
    first, second, third = (cells for _, cells in parser.rows)
    assert first[1] == ("0.99", "", "99%")
    assert second[1] == ("0.9", "wv-lag", "⚠ 90%")  # below the target
    assert second[2] == ("12", "wv-lag", "⚠ 12")  # top quarter of overdue cases
    assert second[3][0] == "2" and "wv-lag" in second[3][1]
    assert third[1] == ("", "", "—")  # missing: sorts last, shown as a dash
    assert first[3] == ("0", "wv-count", "")
    assert parser.lag_titles == ["低于目标 95%", "前四分之一"]
    assert 'title="定义 &lt;覆盖&gt;"' in markup  # header help escaped too
