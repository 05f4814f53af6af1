"""Users file, password hashes, throttled sign-in, sessions, proxy identity, audit log
(warmvisits.auth, warmvisits.audit, `warmvisits user`)."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import sys

import pytest

from warmvisits import audit, auth
from warmvisits.cli import main

PASSWORD = "correct horse 42"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A database folder of our own, so nothing touches the project's data/."""
    monkeypatch.setenv("WARMVISITS_DB", str(tmp_path / "db"))
    monkeypatch.delenv("WARMVISITS_USERS", raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def one_hash() -> str:
    return auth.hash_password(PASSWORD)


def _users(one_hash: str) -> dict[str, auth.User]:
    return {
        "wang": auth.User("wang", "analyst", "341602101", one_hash),
        "li": auth.User("li", "admin", "", one_hash),
        "portal.zhao": auth.User("portal.zhao", "leader", "", None),
    }


# ---------------------------------------------------------------- hashes and the users file


def test_hash_is_salted_argon2id_and_verifies(one_hash):
    assert one_hash.startswith("$argon2id$")
    assert PASSWORD not in one_hash
    assert auth.hash_password(PASSWORD) != one_hash  # a new salt each time
    assert auth.verify_password(one_hash, PASSWORD)
    assert not auth.verify_password(one_hash, PASSWORD + "x")
    assert not auth.verify_password(None, PASSWORD)
    assert not auth.verify_password("garbage", PASSWORD)


def test_short_password_refused():
    with pytest.raises(auth.UserError):
        auth.hash_password("short")


def test_users_file_written_private_and_read_back(env, one_hash):
    path = env / "users.toml"
    auth.save_users(path, _users(one_hash))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    back = auth.load_users(path)
    assert back == _users(one_hash)
    assert not back["portal.zhao"].has_password


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_users_file_readable_by_others_is_refused(env, one_hash, mode):
    path = env / "users.toml"
    auth.save_users(path, _users(one_hash))
    os.chmod(path, mode)
    with pytest.raises(auth.UsersFileError, match="chmod 600"):
        auth.load_users(path)


def test_users_file_with_a_bad_role_is_refused(env):
    path = env / "users.toml"
    path.write_text('[users.a]\nrole = "king"\nscope = ""\n', encoding="utf-8")
    os.chmod(path, 0o600)
    with pytest.raises(auth.UsersFileError, match="king"):
        auth.load_users(path)


def test_missing_users_file_means_no_users(env):
    assert auth.load_users(env / "nope.toml") == {}


def test_users_path_rule(env, monkeypatch):
    assert auth.users_path(env / "given.toml") == env / "given.toml"
    # default: users.toml in the database folder named by WARMVISITS_DB
    assert auth.users_path() == env / "db" / "users.toml"
    monkeypatch.setenv("WARMVISITS_USERS", str(env / "from_env.toml"))
    assert auth.users_path() == env / "from_env.toml"
    assert auth.users_path(env / "given.toml") == env / "given.toml"


# ---------------------------------------------------------------- sign-in and throttling


def test_sign_in_ok_and_wrong(env, one_hash):
    store = env / "audit.sqlite"
    users = _users(one_hash)
    ok = auth.authenticate(users, "wang", PASSWORD, store=store, client="10.0.0.1")
    assert ok.ok and ok.user is not None and ok.user.role == "analyst"
    bad = auth.authenticate(users, "wang", "nope nope", store=store, client="10.0.0.1")
    assert not bad.ok and bad.reason == "bad_credentials" and bad.user is None
    # an unknown user gets the very same answer as a wrong password
    unknown = auth.authenticate(users, "ghost", PASSWORD, store=store, client="10.0.0.1")
    assert unknown.reason == "bad_credentials"
    # a proxy-only entry cannot sign in with a password
    proxy = auth.authenticate(users, "portal.zhao", "", store=store)
    assert not proxy.ok
    log = audit.entries(store)
    assert [e.event for e in reversed(log)] == [
        "sign_in",
        "sign_in_failed",
        "sign_in_failed",
        "sign_in_failed",
    ]
    assert log[-1].who == "wang" and log[-1].client == "10.0.0.1"


def test_five_failures_lock_the_user_name_until_they_age(env, one_hash):
    store = env / "audit.sqlite"
    users = _users(one_hash)
    t0 = 1_800_000_000.0
    for i in range(auth.MAX_FAILURES_USER):
        r = auth.authenticate(users, "wang", f"wrong {i}xxxx", store=store, now=t0 + i)
        assert r.reason == "bad_credentials"
    # now even the right password is refused ...
    r = auth.authenticate(users, "wang", PASSWORD, store=store, now=t0 + 10)
    assert not r.ok and r.reason == "locked"
    # ... until the first failure is LOCK_MINUTES old (t0 + 900 s)
    assert r.locked_until == pytest.approx(t0 + auth.LOCK_MINUTES * 60)
    r = auth.authenticate(users, "wang", PASSWORD, store=store, now=t0 + 899)
    assert r.reason == "locked"
    # another user is not affected
    assert auth.authenticate(users, "li", PASSWORD, store=store, now=t0 + 20).ok
    r = auth.authenticate(users, "wang", PASSWORD, store=store, now=t0 + 901)
    assert r.ok


def test_lock_survives_a_new_connection_and_success_clears_failures(env, one_hash):
    store = env / "audit.sqlite"
    users = _users(one_hash)
    t0 = 1_800_000_000.0
    for i in range(auth.MAX_FAILURES_USER - 1):
        auth.authenticate(users, "wang", "wrong wrong", store=store, now=t0 + i)
    # the failures are in the file, not in memory
    con = sqlite3.connect(store)
    n = con.execute("select count(*) from signin_failures where username = 'wang'").fetchone()[0]
    con.close()
    assert n == auth.MAX_FAILURES_USER - 1
    assert auth.authenticate(users, "wang", PASSWORD, store=store, now=t0 + 10).ok
    # success cleared them: four more failures do not lock
    for i in range(auth.MAX_FAILURES_USER - 1):
        auth.authenticate(users, "wang", "wrong wrong", store=store, now=t0 + 20 + i)
    assert auth.locked_until(store, "wang", now=t0 + 30) is None


def test_failures_from_one_client_lock_that_client(env, one_hash, monkeypatch):
    monkeypatch.setattr(auth, "MAX_FAILURES_CLIENT", 3)
    store = env / "audit.sqlite"
    users = _users(one_hash)
    t0 = 1_800_000_000.0
    for i, name in enumerate(["a1", "a2", "a3"]):
        auth.authenticate(users, name, "guess guess", store=store, client="6.6.6.6", now=t0 + i)
    r = auth.authenticate(users, "li", PASSWORD, store=store, client="6.6.6.6", now=t0 + 5)
    assert r.reason == "locked"
    r = auth.authenticate(users, "li", PASSWORD, store=store, client="10.0.0.2", now=t0 + 5)
    assert r.ok


def test_passwords_never_reach_the_audit_store(env, one_hash):
    store = env / "audit.sqlite"
    users = _users(one_hash)
    auth.authenticate(users, "wang", "my secret guess", store=store)
    auth.authenticate(users, "wang", PASSWORD, store=store)
    con = sqlite3.connect(store)
    dump = "\n".join(con.iterdump())
    con.close()
    assert "my secret guess" not in dump and PASSWORD not in dump
    assert "wang" in dump


def test_audit_log_is_append_only(env):
    store = env / "audit.sqlite"
    audit.record(store, "build", who="li", what="build ok", detail={"rows": 3})
    con = sqlite3.connect(store)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("update audit_log set who = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("delete from audit_log")
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    con.close()
    (e,) = audit.entries(store)
    assert (e.event, e.who, e.what, e.detail) == ("build", "li", "build ok", {"rows": 3})
    with pytest.raises(ValueError):
        audit.record(store, "made_up", who="li")


# ---------------------------------------------------------------- sessions, proxy, scopes


def test_sessions_expire_when_idle_or_old(one_hash):
    users = _users(one_hash)
    t0 = 1_800_000_000.0
    s = auth.start_session(users["wang"], "password", now=t0)
    # active every 20 minutes: lives until the absolute limit
    t = t0
    while t + 20 * 60 < t0 + auth.SESSION_MAX_HOURS * 3600:
        t += 20 * 60
        refreshed = auth.refresh_session(s, users, now=t)
        assert refreshed is not None
        s = refreshed
    assert auth.refresh_session(s, users, now=t0 + auth.SESSION_MAX_HOURS * 3600 + 1) is None
    # idle for more than SESSION_IDLE_MINUTES
    s = auth.start_session(users["wang"], "password", now=t0)
    assert auth.refresh_session(s, users, now=t0 + 29 * 60) is not None
    assert auth.refresh_session(s, users, now=t0 + 31 * 60) is None


def test_session_follows_the_users_file(one_hash):
    users = _users(one_hash)
    t0 = 1_800_000_000.0
    s = auth.start_session(users["wang"], "password", now=t0)
    demoted = dict(users, wang=auth.User("wang", "leader", "341602102", one_hash))
    r = auth.refresh_session(s, demoted, now=t0 + 60)
    assert r is not None and (r.role, r.scope) == ("leader", "341602102")
    removed = {k: v for k, v in users.items() if k != "wang"}
    assert auth.refresh_session(s, removed, now=t0 + 60) is None


def test_proxy_identity_maps_through_the_users_file(one_hash):
    users = _users(one_hash)
    u = auth.user_from_proxy(users, "portal.zhao")
    assert u is not None and (u.role, u.scope) == ("leader", "")
    assert auth.user_from_proxy(users, " wang ") is users["wang"]
    assert auth.user_from_proxy(users, "stranger") is None
    assert auth.user_from_proxy(users, None) is None
    assert auth.user_from_proxy(users, "") is None


def test_scope_clamping():
    assert auth.clamp_scope("341602101", "341602101001") == "341602101001"
    assert auth.clamp_scope("341602101", "341602102") == "341602101"
    assert auth.clamp_scope("341602101", "") == "341602101"
    assert auth.clamp_scope("341602101", "3416021") == "341602101"
    assert auth.clamp_scope("", "341602102") == "341602102"
    assert auth.clamp_scope("341602101", "' or 1=1 --") == "341602101"


# ---------------------------------------------------------------- the command


def _cli(monkeypatch, argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["user", *argv])


def test_cli_add_list_passwd_remove(env, monkeypatch, capsys):
    path = env / "u.toml"
    f = ["--users-file", str(path)]
    rc = _cli(
        monkeypatch,
        ["add", "wang", "--role", "analyst", "--scope", "341602101", "--password-stdin", *f],
        PASSWORD + "\n",
    )
    assert rc == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    users = auth.load_users(path)
    assert users["wang"].role == "analyst" and users["wang"].scope == "341602101"
    assert auth.verify_password(users["wang"].password_hash, PASSWORD)

    assert _cli(monkeypatch, ["add", "wang", "--role", "admin", "--password-stdin", *f], "x") == 2
    assert _cli(monkeypatch, ["add", "bad", "--role", "admin", "--password-stdin", *f], "abc") == 2
    assert _cli(monkeypatch, ["add", "z", "--role", "leader", "--scope", "12", *f], "") == 2

    assert _cli(monkeypatch, ["list", *f]) == 0
    out = capsys.readouterr()
    assert "wang\tanalyst\t341602101\tpassword" in out.out
    assert "$argon2" not in out.out + out.err
    assert PASSWORD not in out.out + out.err

    new = "another long one"
    assert _cli(monkeypatch, ["passwd", "wang", "--password-stdin", *f], new + "\n") == 0
    users = auth.load_users(path)
    assert auth.verify_password(users["wang"].password_hash, new)
    assert not auth.verify_password(users["wang"].password_hash, PASSWORD)

    assert _cli(monkeypatch, ["remove", "wang", *f]) == 0
    assert auth.load_users(path) == {}
    assert _cli(monkeypatch, ["remove", "wang", *f]) == 2

    # every change is in the audit log (beside the database named by WARMVISITS_DB)
    log = audit.entries(audit.store_path())
    assert [e.what for e in reversed(log)] == [
        "added wang (analyst, scope 341602101)",
        "changed the password of wang",
        "removed wang",
    ]
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err and new not in out.out + out.err


def test_cli_refuses_an_unsafe_users_file(env, monkeypatch, capsys, one_hash):
    path = env / "u.toml"
    auth.save_users(path, _users(one_hash))
    os.chmod(path, 0o644)
    assert _cli(monkeypatch, ["list", "--users-file", str(path)]) == 2
    assert "chmod 600" in capsys.readouterr().err


def test_cli_default_users_file_is_in_the_database_folder(env, monkeypatch):
    rc = _cli(monkeypatch, ["add", "li", "--role", "admin", "--password-stdin"], PASSWORD + "\n")
    assert rc == 0
    assert (env / "db" / "users.toml").exists()
