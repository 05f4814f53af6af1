"""Sign-in in a real browser (Playwright driving Debian's chromium against `streamlit run` on a
real, non-demo build): each role signs in, sees exactly its pages in the navigation, opens them
without an error element, and signs out; a wrong password is refused; a trusted proxy header
signs a portal user in. No request leaves localhost (the ``page`` fixture asserts it)."""

from __future__ import annotations

import os
from pathlib import Path

import auth_fixture as af
import pytest
from conftest import error_elements, start_server, wait_for_app

from warmvisits import auth as wauth

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "browser-test-password"
TITLES = {
    "overview": "领导总览",
    "coverage": "入户覆盖",
    "cases": "问题办理",
    "resolution": "办结时效",
    "petitions": "信访趋势",
    "questionnaire": "问卷分析",
    "callbacks": "满意度回访",
    "satisfaction": "满意度",
    "data": "数据管理",
    "users": "用户管理",
}
ANALYSIS = {"overview", "coverage", "cases", "resolution", "petitions", "questionnaire"}
EXPECTED = {
    "leader": ANALYSIS | {"satisfaction"},
    "analyst": ANALYSIS | {"satisfaction", "callbacks"},
    "callback": {"callbacks", "satisfaction"},
    "admin": set(TITLES),
}
USERS = {"lead": "leader", "ana": "analyst", "cb": "callback", "adm": "admin"}


def existing() -> set[str]:
    return {p.stem for p in (ROOT / "pages").glob("*.py")}


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("browser_auth")
    exports = af.write_exports(base / "exports")
    db = af.build_db(exports, base / "db", demo=False)
    users = base / "users.toml"
    h = wauth.hash_password(PASSWORD)
    entries = {n: wauth.User(n, r, "", h) for n, r in USERS.items()}
    entries["portal"] = wauth.User("portal", "analyst", af.T1, None)
    wauth.save_users(users, entries)
    env = {
        "WARMVISITS_USERS": os.fspath(users),
        "STREAMLIT_SERVER_TRUSTED_USER_HEADERS": '{"X-Remote-User": "warmvisits_user"}',
    }
    with start_server(db, extra_env=env) as url:
        yield url


def nav_titles(pg) -> set[str]:
    links = pg.locator("[data-testid='stSidebarNavLink']")
    # a link's text is its material icon's name, then its title
    return {links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())}


def open_sign_in(pg, url: str) -> None:
    """Open the app and wait for the sign-in form (the first run may rerun once)."""
    pg.goto(url)
    wait_for_app(pg)
    pg.get_by_label("用户名").wait_for(timeout=30_000)
    wait_for_app(pg)


def sign_in(pg, url: str, name: str, password: str = PASSWORD) -> None:
    open_sign_in(pg, url)
    pg.get_by_label("用户名").fill(name)
    pg.get_by_label("密码").fill(password)
    pg.get_by_role("button", name="登录").click()
    wait_for_app(pg)


@pytest.mark.parametrize(("name", "role"), sorted(USERS.items()))
def test_sign_in_see_allowed_pages_only_then_sign_out(page, real_server, name, role):
    open_sign_in(page, real_server)
    # not signed in: the sign-in form, no navigation, no data
    assert page.get_by_label("用户名").is_visible()
    assert nav_titles(page) == set()
    assert "薛阁街道" not in page.inner_text("body")

    sign_in(page, real_server, name)
    page.wait_for_selector("[data-testid='stSidebarNavLink']", timeout=30_000)
    want = {TITLES[p] for p in EXPECTED[role] & existing()}
    assert nav_titles(page) == want
    body = page.inner_text("body")
    assert name in body and "演示数据" not in body
    for title in sorted(want):
        page.locator("[data-testid='stSidebarNavLink']", has_text=title).last.click()
        wait_for_app(page)
        assert not error_elements(page), (title, error_elements(page))
        assert page.locator("h1").first.inner_text().strip() != ""

    page.get_by_role("button", name="退出登录").click()
    page.get_by_label("用户名").wait_for(timeout=30_000)
    wait_for_app(page)
    assert nav_titles(page) == set()


def test_wrong_password_is_refused(page, real_server):
    sign_in(page, real_server, "adm", "not the password")
    page.get_by_text("用户名或密码不正确。").wait_for(timeout=15_000)
    assert nav_titles(page) == set()


def test_trusted_proxy_header_signs_the_portal_user_in(browser, real_server):
    context = browser.new_context(extra_http_headers={"X-Remote-User": "portal"}, locale="zh-CN")
    try:
        pg = context.new_page()
        pg.goto(real_server + f"/?scope={af.T2}")
        wait_for_app(pg)
        pg.wait_for_selector("[data-testid='stSidebarNavLink']", timeout=30_000)
        assert nav_titles(pg) == {TITLES[p] for p in EXPECTED["analyst"] & existing()}
        body = pg.inner_text("body")
        assert "portal" in body and "芦庙镇" not in body
    finally:
        context.close()
