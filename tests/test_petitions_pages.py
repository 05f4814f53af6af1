"""AppTest for 信访趋势 (pages/petitions.py) on the small demo: no exception; the petition figures
the page shows equal `warmvisits kpis` (run as a subprocess) for the same quarter and scope; a
village scope shows the "recorded by township" note and no petition numbers."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/petitions.py"


@functools.cache
def _kpis_json(db: Path, quarter: str, scope: str) -> str:
    cmd = [sys.executable, "-m", "warmvisits.cli", "kpis", "--db", os.fspath(db)]
    cmd += ["--quarter", quarter, "--scope", scope]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    return out.stdout


def kpis(db: Path, quarter: str, scope: str = "") -> dict[str, Any]:
    return json.loads(_kpis_json(db, quarter, scope))


def fmt_int(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def fmt_yoy(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:+.2f}%"


@pytest.fixture(scope="module")
def places(small_db: Path) -> dict[str, str]:
    """A township with petitions in 2023Q1 and one of its villages (from the database)."""
    from warmvisits.db import connect

    con = connect(small_db)
    try:
        town = con.sql(
            "select township_code, count(*) n from petitions "
            "where registered_on between '2023-01-01' and '2023-03-31' "
            "group by 1 order by n desc, 1 limit 1"
        ).fetchall()[0][0]
        village = con.sql(
            "select min(village_code) from villages where township_code = $t", params={"t": town}
        ).fetchall()[0][0]
    finally:
        con.close()
    return {"town": town, "village": village}


def open_page(app_test: Any, quarter: str, scope: str = "", lang: str = "zh") -> Any:
    params = {"quarter": quarter, "lang": lang}
    if scope:
        params["scope"] = scope
    at = app_test(query_params=params)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric_values(at: Any) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def check_equals_kpis(at: Any, k: dict[str, Any]) -> None:
    m = metric_values(at)
    assert m["信访件次"] == fmt_int(k["petitions"])
    assert m["信访人次"] == fmt_int(k["petition_persons"])
    assert m["去年同期件次"] == fmt_int(k["petitions_prev_year"])
    assert m["件次同比"] == fmt_yoy(k["petitions_yoy"])


@pytest.mark.parametrize("quarter", ["2023Q1", "2024Q2"])
def test_district_figures_equal_kpis(app_test: Any, small_db: Path, quarter: str) -> None:
    at = open_page(app_test, quarter)
    k = kpis(small_db, quarter)
    assert k["petitions"] > 0  # the demo has petitions in these quarters
    check_equals_kpis(at, k)
    # the page's township table sums to the district figure
    towns = next(df.value for df in at.dataframe if "乡镇街道" in df.value.columns)
    assert int(towns["信访件次"].sum()) == k["petitions"]
    assert int(towns["去年同期件次"].sum()) == k["petitions_prev_year"]


def test_township_figures_equal_kpis(app_test: Any, small_db: Path, places: dict[str, str]) -> None:
    at = open_page(app_test, "2023Q1", places["town"])
    check_equals_kpis(at, kpis(small_db, "2023Q1", places["town"]))


def test_period_table_yoy_and_dash_for_a_zero_earlier_period(app_test: Any, small_db: Path) -> None:
    from warmvisits.db import connect

    con = connect(small_db)
    try:
        monthly = dict(
            con.sql(
                "select strftime(registered_on, '%Y-%m'), count(*) from petitions group by 1"
            ).fetchall()
        )
    finally:
        con.close()
    at = open_page(app_test, "2023Q1")
    table = next(df.value for df in at.dataframe if "时期" in df.value.columns)
    rows = {r["时期"]: r for _, r in table.iterrows()}
    assert set(rows) >= set(monthly)
    for month, row in rows.items():
        year, mm = month.split("-")
        now, before = monthly.get(month, 0), monthly.get(f"{int(year) - 1}-{mm}", 0)
        assert row["信访件次"] == fmt_int(now), month
        # a month whose month a year earlier had no petitions (all of the first year) shows —
        assert row["件次同比"] == (fmt_yoy((now - before) / before) if before else "—"), month
    assert any(r["件次同比"] == "—" for r in rows.values())


def test_village_scope_shows_no_petition_numbers(
    app_test: Any, small_db: Path, places: dict[str, str]
) -> None:
    at = open_page(app_test, "2023Q1", places["village"])
    k = kpis(small_db, "2023Q1", places["village"])
    assert k["petitions"] is None and k["petitions_yoy"] is None
    assert "信访件次" not in metric_values(at)
    assert len(at.metric) == 0
    assert any("按乡镇街道登记" in i.value for i in at.info)
    assert not at.dataframe
    # one click goes up to the township
    button = next(b for b in at.button if b.key == "petitions_up")
    button.click().run()
    assert not at.exception
    check_equals_kpis(at, kpis(small_db, "2023Q1", places["village"][:9]))


def test_quarterly_view_and_english(app_test: Any, small_db: Path) -> None:
    at = open_page(app_test, "2023Q1", lang="en")
    k = kpis(small_db, "2023Q1")
    assert {m.label: m.value for m in at.metric}["Petitions"] == fmt_int(k["petitions"])
    control = next(c for c in at.button_group if c.key == "petitions_granularity")
    control.set_value("quarter").run()
    assert not at.exception, [e.value for e in at.exception]
