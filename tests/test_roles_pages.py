"""Each role sees exactly its pages, and no personal data or other township's data it should
not (AppTest from app.py on a tiny built export set, demo and real)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import auth_fixture as af
import duckdb
import pytest

from warmvisits import auth as wauth
from warmvisits import queries

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "role-test-password"

# Worked out from the issue, not read from ui.auth: which page each role may open.
ANALYSIS = {"overview", "coverage", "cases", "resolution", "petitions", "questionnaire"}
EXPECTED = {
    "leader": ANALYSIS | {"satisfaction"},
    "analyst": ANALYSIS | {"satisfaction", "callbacks"},
    "callback": {"callbacks", "satisfaction"},
    "admin": ANALYSIS | {"satisfaction", "callbacks", "data", "users"},
}


def existing() -> set[str]:
    """Page files present now (other pages land while this suite grows)."""
    return {p.stem for p in (ROOT / "pages").glob("*.py")}


ROLES = ["leader", "analyst", "callback", "admin"]
USERS = {  # user name -> (role, scope)
    "lead": ("leader", ""),
    "ana": ("analyst", ""),
    "cb": ("callback", ""),
    "adm": ("admin", ""),
    "town": ("analyst", af.T1),
    "townadm": ("admin", af.T1),
}


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("roles")
    exports = af.write_exports(base / "exports")
    demo = af.build_db(exports, base / "demo", demo=True)
    real = af.build_db(exports, base / "real", demo=False)
    users = base / "users.toml"
    one_hash = wauth.hash_password(PASSWORD)
    entries = {n: wauth.User(n, r, s, one_hash) for n, (r, s) in USERS.items()}
    entries["portal"] = wauth.User("portal", "leader", af.T1, None)
    wauth.save_users(users, entries)
    return {"demo": demo, "real": real, "users": users}


@pytest.fixture
def make_app(dbs, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def make(which: str = "demo", query_params: dict[str, str] | None = None, **state):
        af.env_for(monkeypatch, dbs[which], dbs["users"])
        monkeypatch.chdir(ROOT)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(os.fspath(ROOT / "app.py"), default_timeout=60)
        for k, v in (query_params or {}).items():
            at.query_params[k] = v
        for k, v in state.items():
            at.session_state[k] = v
        return at

    yield make
    st.cache_data.clear()
    st.cache_resource.clear()


def sign_in(at, name: str, password: str = PASSWORD):
    at.text_input(key="wv_signin_user").set_value(name)
    at.text_input(key="wv_signin_password").set_value(password)
    at.button(key="FormSubmitter:wv_signin-登录").click()
    return at.run()


def forbidden_for(role: str) -> list[str]:
    """Planted strings a role must never see, on any page."""
    tails = af.ADDRESS_TAILS + [af.REJECTED[1], af.REJECTED[2]]
    if role == "leader":
        return af.FULL_NAMES + af.FULL_PHONES + af.MASKED_NAMES + af.MASKED_PHONES + tails
    if role == "analyst":
        return af.FULL_NAMES + af.FULL_PHONES + tails
    if role == "callback":
        return tails
    return []


def visit_every_page(at, pages: set[str]) -> dict[str, str]:
    shown = {}
    for page in sorted(pages):
        at.switch_page(f"pages/{page}.py")
        at.run()
        assert not at.exception, (page, [e.message for e in at.exception][:1])
        shown[page] = af.rendered_text(at)
    return shown


# ---------------------------------------------------------------------------- the demo


@pytest.mark.parametrize("role", ROLES)
def test_demo_role_sees_exactly_its_pages_and_no_personal_data_it_should_not(make_app, role):
    at = make_app("demo", {"quarter": "2023Q1"}, wv_role=role)
    at.run()
    assert not at.exception
    pages = af.registered_pages(at)
    assert pages == EXPECTED[role] & existing()
    # the demo banner is there
    assert any("演示数据" in w.value for w in at.warning)
    for page, text in visit_every_page(at, pages).items():
        leaked = [s for s in forbidden_for(role) if s in text]
        assert not leaked, f"{role} sees {leaked} on {page}"


def test_the_page_scan_finds_personal_data_where_it_is_shown(make_app):
    """Positive control: the admin's data page lists the rejected household in full, and the
    scan used above finds it."""
    at = make_app("demo", wv_role="admin", wv_data_section="report")
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception
    text = af.rendered_text(at)
    assert af.REJECTED[1] in text and af.REJECTED[2] in text


def test_role_in_session_state_is_ignored_on_real_data(make_app):
    at = make_app("real", {"quarter": "2023Q1"}, wv_role="admin")
    at.run()
    assert not at.exception
    assert af.registered_pages(at) == set()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    text = af.rendered_text(at)
    assert not [s for s in af.FULL_NAMES + af.T2_MARKERS + ["薛阁街道"] if s in text]
    with pytest.raises(ValueError):
        at.switch_page("pages/overview.py")


# ---------------------------------------------------------------------------- real data, sign-in


@pytest.mark.parametrize(
    ("user", "role"), [("lead", "leader"), ("cb", "callback"), ("adm", "admin")]
)
def test_sign_in_gives_the_role_its_pages_and_sign_out_ends_it(make_app, user, role):
    at = make_app("real", {"quarter": "2023Q1"})
    at.run()
    sign_in(at, user)
    assert not at.exception
    pages = af.registered_pages(at)
    assert pages == EXPECTED[role] & existing()
    assert not any("演示数据" in w.value for w in at.warning)  # no demo banner on real data
    for page, text in visit_every_page(at, pages).items():
        leaked = [s for s in forbidden_for(role) if s in text]
        assert not leaked, f"{role} sees {leaked} on {page}"
    at.button(key="wv_sign_out").click()
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert "wv_session" not in at.session_state


def test_wrong_password_shows_an_error_and_nothing_else(make_app):
    at = make_app("real", {"quarter": "2023Q1"})
    at.run()
    sign_in(at, "adm", "not the password")
    assert [e.value for e in at.error] == ["用户名或密码不正确。"]
    assert af.registered_pages(at) == set()
    sign_in(at, "nobody-here", PASSWORD)
    assert [e.value for e in at.error] == ["用户名或密码不正确。"]


def test_expired_session_asks_to_sign_in_again(make_app, dbs):
    old = time.time() - (wauth.SESSION_IDLE_MINUTES + 1) * 60
    stale = wauth.Session("ana", "analyst", "", "password", old, old)
    at = make_app("real", {"quarter": "2023Q1"}, wv_session=stale)
    at.run()
    assert af.registered_pages(at) == set()
    assert "登录已过期，请重新登录。" in [i.value for i in at.info]


def test_removed_user_loses_the_session(make_app, dbs):
    now = time.time()
    ghost = wauth.Session("ghost", "admin", "", "password", now, now)
    at = make_app("real", {"quarter": "2023Q1"}, wv_session=ghost)
    at.run()
    assert af.registered_pages(at) == set()


# ---------------------------------------------------------------------------- place scope


@pytest.mark.parametrize(
    "asked", [af.T2, af.V2, af.G2, "", "3416021", "' or '1'='1", af.T1[:-1] + "9"]
)
def test_township_user_never_sees_another_township(make_app, asked):
    at = make_app("real", {"quarter": "2023Q1", "scope": asked})
    at.run()
    sign_in(at, "town")
    assert not at.exception
    assert at.session_state["wv_scope"].startswith(af.T1)
    pages = af.registered_pages(at)
    assert pages == EXPECTED["analyst"] & existing()
    for page, text in visit_every_page(at, pages).items():
        leaked = [m for m in af.T2_MARKERS if m in text]
        assert not leaked, f"township user sees {leaked} on {page} (asked scope {asked!r})"
        assert at.session_state["wv_scope"].startswith(af.T1)


def test_township_admin_is_kept_off_district_data_management(make_app):
    at = make_app("real")
    at.run()
    sign_in(at, "townadm")
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception
    text = af.rendered_text(at)
    assert af.REJECTED[1] not in text
    assert "数据管理只对全区范围的管理员开放。" in [w.value for w in at.warning]


def test_demo_scope_switcher_clamps_the_url_scope(make_app):
    at = make_app("demo", {"quarter": "2023Q1", "scope": af.T2}, wv_role="analyst")
    at.session_state["wv_demo_scope"] = af.T1
    at.run()
    assert at.session_state["wv_scope"] == af.T1


# ---------------------------------------------------------------------------- proxy identity


def test_trusted_proxy_identity_maps_to_role_and_scope(make_app):
    at = make_app("real", {"quarter": "2023Q1", "scope": af.T2})
    at.user = {wauth.PROXY_USER_KEY: "portal"}
    at.run()
    assert not at.exception
    assert af.registered_pages(at) == EXPECTED["leader"] & existing()
    assert at.session_state["wv_scope"] == af.T1


def test_unknown_proxy_identity_is_refused(make_app):
    at = make_app("real", {"quarter": "2023Q1"})
    at.user = {wauth.PROXY_USER_KEY: "stranger"}
    at.run()
    assert af.registered_pages(at) == set()
    assert any("stranger" in e.value for e in at.error)


# ---------------------------------------------------------------------------- the query layer


def test_query_layer_masks_for_a_role_and_refuses_foreign_scopes(dbs):
    con = duckdb.connect(os.fspath(dbs["real"]), read_only=True)
    try:
        ids = list(af.HOUSEHOLDS)
        full = queries.run(con, "callbacks_households", household_ids=ids, scope="")
        assert sorted(full["head_name"].to_list()) == sorted(af.FULL_NAMES)
        masked = queries.run(
            con, "callbacks_households", household_ids=ids, scope="", viewer_role="analyst"
        )
        by_id = dict(zip(masked["household_id"], masked["phone"], strict=True))
        assert by_id == {hid: m[1] for hid, m in af.MASKED.items()}
        hidden = queries.run(
            con, "callbacks_households", household_ids=ids, scope="", viewer_role="leader"
        )
        assert set(hidden["head_name"].to_list()) == {"***"}
        with pytest.raises(queries.ScopeError):
            queries.run(
                con, "callbacks_households", household_ids=ids, scope=af.T2, viewer_scope=af.T1
            )
        own = queries.run(
            con, "callbacks_households", household_ids=ids, scope=af.T1, viewer_scope=af.T1
        )
        assert set(own["household_id"].to_list()) == {h for h in ids if h.startswith(af.T1)}
    finally:
        con.close()


# ---------------------------------------------------------------------------- the data page


def test_data_page_report_build_history_and_audit(tmp_path, monkeypatch):
    """An administrator reads the build report, rebuilds, makes the earlier build current again,
    and finds all of it in the audit log."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from warmvisits import audit
    from warmvisits import db as wdb

    exports = af.write_exports(tmp_path / "exports")
    pointer = af.build_db(exports, tmp_path / "db", demo=True)
    first = wdb.current_build(pointer)
    af.env_for(monkeypatch, pointer, None)
    monkeypatch.setenv("WARMVISITS_EXPORTS", os.fspath(tmp_path / "uploads"))
    monkeypatch.chdir(ROOT)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(os.fspath(ROOT / "app.py"), default_timeout=60)
    at.session_state["wv_role"] = "admin"
    at.session_state["wv_data_section"] = "report"
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception
    kinds = at.dataframe[0].value
    rows = dict(zip(kinds["数据类型"], kinds["行数"], strict=True))
    rejected = dict(zip(kinds["数据类型"], kinds["拒收"], strict=True))
    # the fixture: 2 grids, 4 households (+1 rejected), 2 items, 5 visits, 2 cases, 4 events,
    # 2 callbacks, 4 petitions
    assert rows == {
        "网格台账": 2,
        "住户台账": 4,
        "问卷题目": 2,
        "走访记录": 5,
        "事项台账": 2,
        "流转记录": 4,
        "回访记录": 2,
        "信访登记": 4,
    }
    assert rejected["住户台账"] == 1 and sum(rejected.values()) == 1
    by_rule = at.dataframe[2].value
    assert list(by_rule["规则"]) == ["unknown_grid"] and list(by_rule["行数"]) == [1]
    reject_rows = at.dataframe[3].value
    assert list(reject_rows["head_name"]) == [af.REJECTED[1]]
    assert list(reject_rows["行号"]) == [6]  # header on line 1, the fifth data row

    # rebuild from the current build's export folder (the demo stays a demo)
    at.session_state["wv_data_section"] = "files"
    at.run()
    at.radio(key="wv_data_source").set_value(os.fspath(exports))
    at.run()
    at.button(key="wv_data_build").click()
    at.run()
    assert not at.exception
    second = wdb.current_build(pointer)
    assert second != first
    assert [s.value for s in at.success][-1].startswith("构建完成：")

    # history: make the first build current again
    at.session_state["wv_data_section"] = "history"
    at.run()
    history = at.dataframe[0].value
    assert len(history) == 2 and list(history["当前"]) == ["✓", ""]
    at.selectbox(key="wv_data_history_pick").set_value(first.stem)
    at.button(key="wv_data_make_current").click()
    at.run()
    assert wdb.current_build(pointer) == first

    events = [e.event for e in audit.entries(audit.store_path())]
    assert events[:2] == ["make_current", "build"]
