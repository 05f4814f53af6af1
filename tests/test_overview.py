"""Leaders' overview on the small demo: its figures equal `warmvisits kpis` (run as a separate
process) for the same quarter and scope, the league table agrees with kpis per place, lagging
marks follow their rules, trends are drawn."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
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


def test_league_table_agrees_with_kpis_per_township(
    app_test: Callable[..., object], app_env: Path, kpis_cli: Callable[..., dict]
) -> None:
    quarter = rounds(app_env)[-1]
    at = run_overview(app_test, quarter=quarter)
    table = at.dataframe[0].value
    townships = places(app_env, "select township_name from townships order by township_code")
    assert table["name"].tolist() == townships
    codes = places(app_env, "select township_code from townships order by township_code")
    for i, code in enumerate(codes[:3]):
        k = kpis_cli(app_env, quarter, code)
        row = table.iloc[i]
        assert int(row["cases_received"]) == k["cases_received"]
        assert int(row["overdue_cases"]) == k["overdue_cases"]
        for key in ("coverage", "resolution_rate", "on_time_rate", "satisfaction_rate"):
            if k[key] is None:
                assert pl.Series([row[key]]).is_null().all() or row[key] != row[key]
            else:
                assert row[key] == pytest.approx(k[key], abs=1e-12), key
        if k["petitions_yoy"] is not None:
            assert row["petitions_yoy"] == pytest.approx(k["petitions_yoy"], abs=1e-12)


def test_trend_charts_cover_every_round(app_test: Callable[..., object], app_env: Path) -> None:
    at = run_overview(app_test, quarter=rounds(app_env)[-1])
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    spec = json.loads(charts[0].proto.spec)
    x = spec["data"][0]["x"]
    assert x == [f"{q[:4]}年第{q[-1]}季度" for q in rounds(app_env)]


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
