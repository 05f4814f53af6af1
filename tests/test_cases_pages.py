"""AppTest for 问题办理 (pages/cases.py) and 办结时效 (pages/resolution.py) on the small demo:
no exception, and the totals the pages show equal `warmvisits kpis` (run as a subprocess) for the
same quarter, scope and as-of moment."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ["村社区", "乡镇街道", "区直部门", "区委区政府", "上级"]


@functools.cache
def _kpis_json(db: Path, quarter: str, scope: str, as_of: str | None) -> str:
    cmd = [sys.executable, "-m", "warmvisits.cli", "kpis", "--db", os.fspath(db)]
    cmd += ["--quarter", quarter, "--scope", scope]
    if as_of:
        cmd += ["--as-of", as_of]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def kpis(db: Path, quarter: str, scope: str = "", as_of: str | None = None) -> dict[str, Any]:
    """`warmvisits kpis` run as a command (once per set of arguments in this module)."""
    return json.loads(_kpis_json(db, quarter, scope, as_of))


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


@pytest.fixture(scope="module")
def quarter_and_township(small_db: Path) -> tuple[str, str]:
    """The demo quarter with the most warm-visit cases, and the township with the most cases."""
    from warmvisits.db import connect

    con = connect(small_db)
    try:
        q = con.sql(
            "select strftime(received_at, '%Y') || 'Q' || quarter(received_at) as q, count(*) n "
            "from cases where source = '暖心走访' group by q order by n desc, q limit 1"
        ).fetchall()[0][0]
        town = con.sql(
            "select township_code, count(*) n from cases group by 1 order by n desc, 1 limit 1"
        ).fetchall()[0][0]
    finally:
        con.close()
    return q, town


def metric_values(at: Any) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def open_page(app_test: Any, page: str, quarter: str, scope: str = "") -> Any:
    params = {"quarter": quarter}
    if scope:
        params["scope"] = scope
    at = app_test(query_params=params)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def backlog_table(at: Any) -> dict[str, tuple[int, int, int]]:
    for df in at.dataframe:
        v = df.value
        if list(v.columns) == ["层级", "绿灯", "黄灯", "红灯", "合计"]:
            return {r["层级"]: (r["绿灯"], r["黄灯"], r["红灯"]) for _, r in v.iterrows()}
    raise AssertionError("no backlog table on the page")


def check_cases_page(at: Any, k: dict[str, Any]) -> None:
    m = metric_values(at)
    assert m["未办结事项"] == fmt_int(k["open_cases"])
    assert m["已超期"] == fmt_int(k["overdue_cases"])
    expected = {lv: (v["green"], v["yellow"], v["red"]) for lv, v in k["backlog_by_level"].items()}
    assert backlog_table(at) == expected
    assert sum(sum(x) for x in expected.values()) == k["open_cases"]


@pytest.mark.parametrize("scoped", [False, True])
def test_cases_page_equals_kpis(
    app_test: Any, small_db: Path, quarter_and_township: tuple[str, str], scoped: bool
) -> None:
    quarter, town = quarter_and_township
    scope = town if scoped else ""
    at = open_page(app_test, "pages/cases.py", quarter, scope)
    k = kpis(small_db, quarter, scope)
    assert k["open_cases"] > 0 or scoped  # the demo has a backlog district-wide
    check_cases_page(at, k)
    m = metric_values(at)
    assert m["本季度受理"] == fmt_int(k["cases_received"])


def test_cases_page_rewound(
    app_test: Any, small_db: Path, quarter_and_township: tuple[str, str]
) -> None:
    quarter, _ = quarter_and_township
    at = open_page(app_test, "pages/cases.py", quarter)
    k_end = kpis(small_db, quarter)
    day = datetime.strptime(k_end["as_of"], "%Y-%m-%d %H:%M:%S").date() - timedelta(days=40)
    picker = next(d for d in at.date_input if d.key.startswith("cases_as_of_"))
    picker.set_value(day).run()
    assert not at.exception, [e.value for e in at.exception]
    k = kpis(small_db, quarter, "", f"{day.isoformat()} 23:59:59")
    check_cases_page(at, k)


def test_cases_page_opens_a_timeline(app_test: Any, quarter_and_township: tuple[str, str]) -> None:
    quarter, _ = quarter_and_township
    at = open_page(app_test, "pages/cases.py", quarter)
    pick = at.selectbox(key="cases_pick")
    options = [o for o in pick.options if o and o != "（未选择）"]
    assert options, "no overdue or stuck case to open"
    pick.set_value(options[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(options[0] in h.value and "流转过程" in h.value for h in at.subheader)
    names = [d.value.columns.tolist() for d in at.dataframe]
    assert any("动作" in cols for cols in names)  # the events table
    assert any("天数" in cols for cols in names)  # time at each level


@pytest.mark.parametrize("scoped", [False, True])
def test_resolution_page_equals_kpis(
    app_test: Any, small_db: Path, quarter_and_township: tuple[str, str], scoped: bool
) -> None:
    quarter, town = quarter_and_township
    scope = town if scoped else ""
    at = open_page(app_test, "pages/resolution.py", quarter, scope)
    k = kpis(small_db, quarter, scope)
    m = metric_values(at)
    assert m["本季度受理"] == fmt_int(k["cases_received"])
    assert m["已办结"] == fmt_int(k["cases_resolved"])
    assert m["按时办结率"] == fmt_pct(k["on_time_rate"])
    km = k["km_median_days"]
    assert m["KM 中位天数（含未办结）"] == ("尚未达到" if km is None else f"{km:.1f}")
    plain = k["median_days_resolved"]
    assert m["已办结事项的中位天数"] == ("—" if plain is None else f"{plain:.1f}")
    assert any("Kaplan–Meier" in i.value for i in at.info)  # the plain-median warning


def test_resolution_page_in_english(app_test: Any, quarter_and_township: tuple[str, str]) -> None:
    quarter, _ = quarter_and_township
    at = app_test(query_params={"quarter": quarter, "lang": "en"})
    at.switch_page("pages/resolution.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    m = metric_values(at)
    assert "On-time rate" in m and "KM median days (open cases included)" in m
    assert not any("⟦" in label for label in m)  # no missing key
