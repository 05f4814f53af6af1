"""Coverage page on the small demo (AppTest from app.py) and its library pieces: every section
runs; the map draws one polygon per grid with a boundary, offline; the numbers agree with kpis
and with independent SQL over the clean tables; household lists are masked and hidden from
leaders; WKT parsing, colours and the view."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from warmvisits import db as wdb
from warmvisits import geo

SECTIONS = ["map", "mix", "below", "implausible", "leaders", "households"]


def sql(db: Path, query: str, **params: object) -> list[tuple]:
    with duckdb.connect(os.fspath(wdb.current_build(db)), read_only=True) as con:
        return con.sql(query, params=params or None).fetchall()


def last_round(db: Path) -> str:
    return sql(db, "select max(round) from visits")[0][0]


def open_coverage(app_test: Callable[..., object], role: str = "analyst", **params: str) -> object:
    at = app_test(query_params=params, wv_role=role)
    at.run()
    at.switch_page("pages/coverage.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == ("Visit coverage" if params.get("lang") == "en" else "入户覆盖")
    return at


def section(at: object, name: str) -> object:
    radio = next(r for r in at.radio if str(r.key).startswith("cov_section_"))
    radio.set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_section_runs(app_test: Callable[..., object], app_env: Path) -> None:
    at = open_coverage(app_test, quarter=last_round(app_env))
    for name in SECTIONS:
        section(at, name)


def deck_spec(at: object) -> dict:
    decks = at.get("deck_gl_json_chart")
    assert len(decks) == 1
    return json.loads(decks[0].proto.json)


def test_map_draws_every_grid_offline(app_test: Callable[..., object], app_env: Path) -> None:
    at = open_coverage(app_test, quarter=last_round(app_env))
    spec = deck_spec(at)
    assert spec["mapStyle"] == "/app/static/blank_style.json"
    assert not re.search(r"https?://", json.dumps(spec)), "the map spec names an outside URL"
    layer = spec["layers"][0]
    assert layer["@@type"] == "PolygonLayer"
    grids_with_boundary = sql(
        app_env, "select count(*) from grids where boundary_wkt like 'POLYGON%'"
    )[0][0]
    assert grids_with_boundary > 0
    assert len({d["grid_code"] for d in layer["data"]}) == grids_with_boundary
    # the blank style the map points to is served from static/
    style = json.loads((Path(__file__).parent.parent / "static/blank_style.json").read_text())
    assert style["version"] == 8 and style["sources"] == {}


def test_map_tooltip_speaks_the_interface_language(
    app_test: Callable[..., object], app_env: Path
) -> None:
    def tooltip(at: object) -> str:
        return json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)["html"]

    zh = tooltip(open_coverage(app_test, quarter=last_round(app_env)))
    assert "覆盖率" in zh and "{cov}" in zh
    en = tooltip(open_coverage(app_test, quarter=last_round(app_env), lang="en"))
    assert "Coverage" in en and "覆盖率" not in en


def test_mix_adds_up_and_agrees_with_kpis(
    app_test: Callable[..., object], app_env: Path, kpis_cli: Callable[..., dict]
) -> None:
    quarter = last_round(app_env)
    at = section(open_coverage(app_test, quarter=quarter), "mix")
    table = at.dataframe[0].value
    parts = (
        table["n_door"] + table["n_phone_only"] + table["n_unreached"] + table["n_not_attempted"]
    )
    assert (parts == table["n_registered"]).all()
    code = sql(app_env, "select min(township_code) from townships")[0][0]
    k = kpis_cli(app_env, quarter, code)
    row = table[
        table["name"]
        == sql(app_env, f"select township_name from townships where township_code = '{code}'")[0][0]
    ].iloc[0]  # noqa: E501
    assert int(row["n_registered"]) == k["registered_households"]
    assert int(row["n_door"]) == k["door_households"]
    assert int(row["n_phone_only"]) == k["phone_households"]
    assert row["coverage"] == pytest.approx(k["coverage"], abs=1e-12)


def test_grids_below_target_match_an_independent_count(
    app_test: Callable[..., object], app_env: Path
) -> None:
    quarter = last_round(app_env)
    expected = sql(
        app_env,
        """
        with reg as (
            select grid_code, household_id from households where status = '在册'
        ), vis as (
            select distinct household_id from visits
            where round = $q and method in ('入户', '电话')
        )
        select reg.grid_code
        from reg left join vis using (household_id)
        group by reg.grid_code
        having count(vis.household_id) / count(*) < 0.95
        order by 1
        """,
        q=quarter,
    )
    at = section(open_coverage(app_test, quarter=quarter), "below")
    if not expected:
        assert any("没有低于目标" in s.value for s in at.success)
        return
    table = at.dataframe[0].value
    assert sorted(table["grid_code"].tolist()) == [r[0] for r in expected]
    assert (table["coverage"] < 0.95).all()


def test_one_day_grids_are_flagged_with_their_reason(
    app_test: Callable[..., object], app_env: Path
) -> None:
    quarter = last_round(app_env)
    expected = sql(
        app_env,
        """
        select grid_code from visits where round = $q
        group by grid_code having count(distinct visit_on) = 1 and count(*) >= 10
        order by 1
        """,
        q=quarter,
    )
    at = section(open_coverage(app_test, quarter=quarter), "implausible")
    if not at.dataframe:
        assert expected == []
        return
    table = at.dataframe[0].value
    flagged = table[table["reasons"].str.contains("一天")]["grid_code"].tolist()
    assert sorted(flagged) == [r[0] for r in expected]


def test_leaders_table_agrees_with_the_visits(
    app_test: Callable[..., object], app_env: Path
) -> None:
    quarter = last_round(app_env)
    at = section(open_coverage(app_test, quarter=quarter), "leaders")
    table = at.dataframe[0].value
    days = dict(
        sql(
            app_env,
            "select grid_code, count(distinct visit_on) from visits where round = $q group by 1",
            q=quarter,
        )
    )
    for _, row in table.head(20).iterrows():
        assert int(row["days_in_field"]) == days.get(row["grid_code"], 0)
    assert len(at.get("download_button")) == 1


def a_grid_with_households(db: Path) -> str:
    return sql(db, "select min(grid_code) from households where status = '在册'")[0][0]


def test_household_list_is_masked_for_analysts(
    app_test: Callable[..., object], app_env: Path
) -> None:
    grid = a_grid_with_households(app_env)
    at = open_coverage(app_test, quarter=last_round(app_env), scope=grid)
    # a grid scope opens the household list directly
    table = at.dataframe[0].value
    n = sql(app_env, "select count(*) from households where grid_code = $g", g=grid)[0][0]
    assert len(table) == n
    names = sql(app_env, "select head_name, phone from households where grid_code = $g", g=grid)
    shown = " ".join(map(str, table.to_numpy().ravel()))
    for name, phone in names:
        if name and len(name) >= 2:
            assert name not in shown
        if phone and len(phone) == 11:
            assert phone not in shown
            assert f"{phone[:3]}****{phone[-4:]}" in shown
    # each round column holds a method label or "—"
    rounds = [r[0] for r in sql(app_env, "select distinct round from visits")]
    for r in rounds:
        assert set(table[r]) <= {"入户", "电话", "未联系上", "—"}


def test_leaders_see_no_household_list(app_test: Callable[..., object], app_env: Path) -> None:
    grid = a_grid_with_households(app_env)
    at = open_coverage(app_test, role="leader", quarter=last_round(app_env), scope=grid)
    assert not at.dataframe
    assert any("个人信息" in i.value for i in at.info)


# ------------------------------------------------------------------------------ warmvisits.geo


def test_parse_polygon_and_multipolygon() -> None:
    assert geo.parse_polygon("POLYGON((115.7 33.8, 115.71 33.8, 115.71 33.81, 115.7 33.8))") == [
        [[115.7, 33.8], [115.71, 33.8], [115.71, 33.81], [115.7, 33.8]]
    ]
    multi = "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5), (5.1 5.1, 5.2 5.1, 5.2 5.2, 5.1 5.1)))"
    rings = geo.parse_polygon(multi)
    assert rings == [[[0, 0], [1, 0], [1, 1], [0, 0]], [[5, 5], [6, 5], [6, 6], [5, 5]]]
    assert geo.parse_polygon("polygon ((1e1 2, 3 4, 5 6, 1e1 2))") == [
        [[10.0, 2.0], [3.0, 4.0], [5.0, 6.0], [10.0, 2.0]]
    ]
    for bad in (None, "", "POINT(1 2)", "POLYGON((1 2, 3 4))", "garbage"):
        assert geo.parse_polygon(bad) is None


def test_coverage_colours() -> None:
    red, green = geo.coverage_color(0.5, 0.95), geo.coverage_color(1.0, 0.95)
    just_under, at_target = geo.coverage_color(0.949, 0.95), geo.coverage_color(0.95, 0.95)
    assert red[0] > red[1] and green[1] > green[0]
    assert just_under[0] >= at_target[0]  # below target is never greener than at target
    assert geo.coverage_color(None) == geo.NO_DATA
    assert all(0 <= c <= 255 for c in red + green + just_under + at_target)


def test_fit_view_contains_the_rings() -> None:
    lon, lat, zoom = geo.fit_view([[[115.7, 33.8], [115.9, 33.8], [115.9, 33.9]]])
    assert lon == pytest.approx(115.8) and lat == pytest.approx(33.85)
    # at this zoom 900 px cover at least the 0.2° of longitude
    assert 900 * 360 / (512 * 2**zoom) >= 0.2
    assert geo.fit_view([]) == (115.78, 33.85, 9.0)
