"""The dashboard shell (app.py + ui): every page runs from app.py on the small demo, filters
come from and go to the URL, the language switch, friendly states, a new build is noticed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from warmvisits import db as wdb
from warmvisits import i18n

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.stem for p in (ROOT / "pages").glob("*.py"))
ADMIN_PAGES = {"data", "users"}


def all_text(at: object) -> str:
    """Every piece of text the run put on screen (titles, captions, markdown, labels, metrics)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(w.label) for w in at.selectbox] + [str(w.label) for w in at.radio]
    return "\n".join(parts)


def sidebar_value(at: object, key: str) -> object:
    return at.sidebar.selectbox(key=key).value  # type: ignore[attr-defined]


def quarters_in(db: Path) -> list[str]:
    with duckdb.connect(os.fspath(wdb.current_build(db)), read_only=True) as con:
        rows = con.sql("select distinct round from visits order by round").fetchall()
    return [r[0] for r in rows]


def a_township(db: Path) -> tuple[str, str]:
    with duckdb.connect(os.fspath(wdb.current_build(db)), read_only=True) as con:
        code, name = con.sql(
            "select township_code, township_name from townships order by township_code limit 1"
        ).fetchall()[0]
    return code, name


def test_overview_is_the_default_page_with_chrome(app_test: Callable[..., object]) -> None:
    at = app_test()
    at.run()
    assert not at.exception
    assert at.title[0].value == "领导总览"
    text = all_text(at)
    assert "数据截至" in text and "构建于" in text
    # the sidebar chrome: language, quarter, township picker
    assert at.sidebar.radio(key="wv_w_lang").value == "zh"
    assert sidebar_value(at, "wv_w_quarter") == quarters_in(at_env_db())[-1]
    assert sidebar_value(at, "wv_w_township") == ""
    # the URL carries the filters
    assert at.query_params["quarter"] == quarters_in(at_env_db())[-1]
    assert at.query_params["lang"] == "zh"


def at_env_db() -> Path:
    return Path(os.environ["WARMVISITS_DB"])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_from_app_py(app_test: Callable[..., object], page: str) -> None:
    i18n.MISSING.clear()
    at = app_test(wv_role="admin" if page in ADMIN_PAGES else "analyst")
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{page} drew no title"
    text = all_text(at)
    assert "⟦" not in text, f"{page} shows a missing interface string"
    assert i18n.MISSING == set()


def test_filters_from_the_url(app_test: Callable[..., object], app_env: Path) -> None:
    first = quarters_in(app_env)[0]
    code, name = a_township(app_env)
    at = app_test(query_params={"quarter": first, "scope": code, "lang": "en"})
    at.run()
    assert not at.exception
    assert at.title[0].value == "Leaders' overview"
    assert sidebar_value(at, "wv_w_quarter") == first
    assert sidebar_value(at, "wv_w_township") == code
    assert name in all_text(at)
    # survives a page change
    at.switch_page("pages/coverage.py").run()
    assert not at.exception
    assert at.title[0].value == "Visit coverage"
    assert sidebar_value(at, "wv_w_quarter") == first
    assert at.query_params["scope"] == code


def test_scope_picker_cascades_and_writes_the_url(
    app_test: Callable[..., object], app_env: Path
) -> None:
    code, _ = a_township(app_env)
    at = app_test()
    at.run()
    at.sidebar.selectbox(key="wv_w_township").set_value(code).run()
    assert not at.exception
    assert at.query_params["scope"] == code
    villages = at.sidebar.selectbox(key="wv_w_village").options
    assert len(villages) >= 2  # "all villages" + at least one village of the township
    village = at.sidebar.selectbox(key="wv_w_village")
    with duckdb.connect(os.fspath(wdb.current_build(app_env)), read_only=True) as con:
        first_village = con.sql(
            "select min(village_code) from villages where township_code = $t", params={"t": code}
        ).fetchall()[0][0]
    village.set_value(first_village).run()
    assert at.query_params["scope"] == first_village
    assert at.sidebar.selectbox(key="wv_w_grid").value == ""
    # back to the district
    at.sidebar.selectbox(key="wv_w_township").set_value("").run()
    assert "scope" not in at.query_params


def test_sidebar_pickers_default_to_the_value_they_show(
    app_test: Callable[..., object], app_env: Path
) -> None:
    """A picker's default option (its proto ``default``, what the browser falls back to when it
    rebuilds the widget) is the value it shows, not the first option. With the first option as
    default, busy sessions were seen to send the first option back: a demo analyst became a
    leader and a chosen quarter became the newest."""
    first = quarters_in(app_env)[0]  # the oldest: the quarter picker's last option
    with duckdb.connect(os.fspath(wdb.current_build(app_env)), read_only=True) as con:
        grid, township = con.sql(
            "select max(grid_code), max(township_code) from grids"
            " where township_code = (select max(township_code) from townships)"
        ).fetchall()[0]
    at = app_test(
        query_params={"quarter": first, "scope": grid, "lang": "en"},
        wv_role="callback",
        wv_demo_scope=township,
    )
    at.run()
    assert not at.exception
    want = {
        "wv_w_quarter": first,
        "wv_w_township": township,
        "wv_w_village": grid[:12],
        "wv_w_grid": grid,
        "wv_role": "callback",
        "wv_demo_scope": township,
    }
    for key, value in want.items():
        box = at.sidebar.selectbox(key=key)
        assert box.value == value, key
        assert box.options[box.proto.default] == box.format_func(value), key  # type: ignore[attr-defined]
    lang = at.sidebar.radio(key="wv_w_lang")
    assert lang.value == "en"
    assert lang.proto.default == list(i18n.LANGS).index("en")  # type: ignore[attr-defined]


def test_language_switch(app_test: Callable[..., object]) -> None:
    at = app_test()
    at.run()
    assert at.title[0].value == "领导总览"
    at.sidebar.radio(key="wv_w_lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Leaders' overview"
    assert at.query_params["lang"] == "en"
    assert "Data as of" in all_text(at)


@pytest.mark.parametrize("bad", ["'; drop table grids; --", "<script>", "99999", "341602"])
def test_bad_scope_in_the_url_falls_back_to_the_district(
    app_test: Callable[..., object], bad: str
) -> None:
    at = app_test(query_params={"scope": bad, "quarter": "2023Q1'--"})
    at.run()
    assert not at.exception
    assert sidebar_value(at, "wv_w_township") == ""
    assert "scope" not in at.query_params


def test_a_quarter_without_data_is_a_friendly_message(app_test: Callable[..., object]) -> None:
    at = app_test(query_params={"quarter": "2019Q1"})
    at.run()
    assert not at.exception
    assert any("没有数据" in i.value for i in at.info)
    assert not at.metric


def test_no_database_yet(
    app_test: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARMVISITS_DB", os.fspath(tmp_path / "empty"))
    at = app_test()
    at.run()
    assert not at.exception
    assert any("还没有数据库" in i.value for i in at.info)


def test_a_new_build_is_noticed(
    app_test: Callable[..., object], app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a private copy of the small demo, so the shared fixture is not touched
    folder = tmp_path / "db"
    (folder / "builds").mkdir(parents=True)
    first = folder / "builds" / "20240101-000000-000001.duckdb"
    shutil.copy(wdb.current_build(app_env), first)
    wdb.make_current(wdb.pointer_path(folder), first)
    monkeypatch.setenv("WARMVISITS_DB", os.fspath(folder))
    at = app_test()
    at.run()
    assert not at.exception
    before = all_text(at)

    second = folder / "builds" / "20240101-000000-000002.duckdb"
    shutil.copy(first, second)
    with duckdb.connect(os.fspath(second)) as con:
        con.execute("update build_info set value = '2031-07-07 07:07:07' where key = 'built_at'")
    wdb.make_current(wdb.pointer_path(folder), second)
    at.run()
    assert not at.exception
    assert "2031-07-07 07:07" not in before
    assert "2031-07-07 07:07" in all_text(at)
