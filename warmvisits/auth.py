"""Users, roles, place scopes, password sign-in with throttling, sessions, proxy identity.

**The users file.** ``users.toml``, found by one rule: ``--users-file`` where given, else the
``WARMVISITS_USERS`` environment variable, else ``users.toml`` in the database folder (the
folder that holds the ``warmvisits.duckdb`` pointer: ``data/users.toml`` by default, or beside
``$WARMVISITS_DB``). One table per user::

    [users.wang]
    role = "analyst"            # leader | analyst | callback | admin
    scope = "341602101"         # "" = the whole district, else a township (or finer) code
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."   # absent: proxy sign-in only
    created_at = "2026-11-24T21:40:00"

Passwords are stored only as salted Argon2id hashes (argon2-cffi) and never printed or logged.
The file is refused when its mode lets group or others read or write it (``chmod 600``): it
holds the hashes, and whoever can write it can make themselves an administrator. Manage it
with ``warmvisits user add|passwd|remove|list`` (:func:`cli_user`), which writes it with mode
0600 atomically.

**Sign-in** (:func:`authenticate`) checks the throttle first, then the password. Argon2's verify
compares in constant time, and an unknown user name is checked against a dummy hash so it
takes as long as a wrong password and gets the same answer. After :data:`MAX_FAILURES_USER`
failures for one user name, or :data:`MAX_FAILURES_CLIENT` from one client, within
:data:`LOCK_MINUTES` minutes, further attempts are refused until the oldest of those failures is
:data:`LOCK_MINUTES` old. Failures are kept in the ``signin_failures`` table of the audit store
(:mod:`warmvisits.audit`), so they survive reruns and restarts. Every attempt is audited.

**Sessions** (:class:`Session`) end :data:`SESSION_IDLE_MINUTES` after the last page run or
:data:`SESSION_MAX_HOURS` after sign-in, whichever comes first, and whenever the user is removed
from the file; a changed role or scope in the file applies at the next page run.

**Trusted proxy identity.** For districts that sign in through their own portal, a reverse
proxy sets a header (say ``X-Remote-User``) and Streamlit copies it into ``st.user`` by its
``server.trustedUserHeaders`` setting, e.g. in ``.streamlit/config.toml``::

    [server]
    trustedUserHeaders = {"X-Remote-User" = "warmvisits_user"}

The name found under :data:`PROXY_USER_KEY` is looked up in the same users file
(:func:`user_from_proxy`); an entry needs no password for this. Only configure the header when
the proxy strips any client-sent copy of it.

No Streamlit here: ``ui/auth.py`` draws the forms and keeps the session.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sqlite3
import stat
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from warmvisits import audit
from warmvisits.db import pointer_path

ROLES = ("leader", "analyst", "callback", "admin")
USERS_ENV = "WARMVISITS_USERS"
USERS_NAME = "users.toml"
PROXY_USER_KEY = "warmvisits_user"  # the st.user key trustedUserHeaders maps the header to

MAX_FAILURES_USER = 5
MAX_FAILURES_CLIENT = 20
LOCK_MINUTES = 15
SESSION_IDLE_MINUTES = 30
SESSION_MAX_HOURS = 8
MIN_PASSWORD_LENGTH = 8

_USERNAME = re.compile(r"^[\w.@-]{1,64}$")
_SCOPE = re.compile(r"^(\d{9}|\d{12}|\d{15})?$")

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's recommended cost


class UsersFileError(RuntimeError):
    """The users file cannot be used (unsafe mode, bad content)."""


class UserError(ValueError):
    """A user entry or a request about one is not acceptable."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    scope: str = ""
    password_hash: str | None = None
    created_at: str = ""

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)


# ---------------------------------------------------------------------------- the users file


def users_path(
    users_file: str | os.PathLike[str] | None = None,
    db: str | os.PathLike[str] | None = None,
) -> Path:
    """``--users-file``, else ``$WARMVISITS_USERS``, else ``users.toml`` in the database folder."""
    if users_file:
        return Path(users_file).expanduser().absolute()
    env = os.environ.get(USERS_ENV)
    if env:
        return Path(env).expanduser().absolute()
    return pointer_path(db).parent / USERS_NAME


def check_mode(path: Path) -> None:
    """Refuse a users file that group or others may read or write."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o066:
        raise UsersFileError(
            f"refusing {path}: it is readable or writable by group/others (mode {mode:04o}); "
            f"it holds password hashes. Fix it with: chmod 600 {path}"
        )


def validate_username(name: str) -> str:
    name = (name or "").strip()
    if not _USERNAME.match(name):
        raise UserError(f"bad user name {name!r}: 1-64 letters, digits or . _ @ - (no spaces)")
    return name


def validate_role(role: str | None) -> str:
    if role not in ROLES:
        raise UserError(f"bad role {role!r}; one of {', '.join(ROLES)}")
    return role


def validate_scope(scope: str | None) -> str:
    scope = (scope or "").strip()
    if not _SCOPE.match(scope):
        raise UserError(f"bad scope {scope!r}: empty (district) or a 9-digit township code")
    return scope


def load_users(path: str | os.PathLike[str]) -> dict[str, User]:
    """The users in ``path`` (an empty dict when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    check_mode(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsersFileError(f"{path} is not valid TOML: {exc}") from exc
    table = data.get("users", {})
    if not isinstance(table, dict):
        raise UsersFileError(f"{path}: [users] must be a table of users")
    users: dict[str, User] = {}
    for name, entry in table.items():
        if not isinstance(entry, dict):
            raise UsersFileError(f"{path}: users.{name} must be a table")
        try:
            user = User(
                name=validate_username(name),
                role=validate_role(entry.get("role")),
                scope=validate_scope(entry.get("scope", "")),
                password_hash=entry.get("password_hash") or None,
                created_at=str(entry.get("created_at", "")),
            )
        except UserError as exc:
            raise UsersFileError(f"{path}: users.{name}: {exc}") from exc
        users[user.name] = user
    return users


def save_users(path: str | os.PathLike[str], users: dict[str, User]) -> None:
    """Write the users file atomically with mode 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table: dict[str, Any] = {}
    for name in sorted(users):
        u = users[name]
        entry: dict[str, Any] = {"role": u.role, "scope": u.scope}
        if u.password_hash:
            entry["password_hash"] = u.password_hash
        if u.created_at:
            entry["created_at"] = u.created_at
        table[name] = entry
    text = (
        "# warmvisits users: manage with `warmvisits user add|passwd|remove|list`.\n"
        "# Keep this file private (chmod 600): it holds password hashes.\n"
        + tomli_w.dumps({"users": table})
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-" + os.urandom(8).hex())


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; Argon2 compares in constant time. No hash -> False,
    after spending the same time on a dummy hash."""
    target = password_hash or _dummy_hash()
    ok: bool
    try:
        ok = bool(_hasher.verify(target, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    return ok and password_hash is not None


# ---------------------------------------------------------------------------- throttling

_THROTTLE_SCHEMA = """
create table if not exists signin_failures (
    at real not null,          -- unix time
    username text not null,
    client text not null
);
create index if not exists signin_failures_user on signin_failures(username, at);
create index if not exists signin_failures_client on signin_failures(client, at);
"""


def _throttle_con(store: str | os.PathLike[str]) -> sqlite3.Connection:
    con = audit.connect(store)
    con.executescript(_THROTTLE_SCHEMA)
    return con


def locked_until(
    store: str | os.PathLike[str], username: str, client: str = "", now: float | None = None
) -> float | None:
    """Unix time until which sign-in for this user name or client is refused, or None."""
    now = time.time() if now is None else now
    window = LOCK_MINUTES * 60
    con = _throttle_con(store)
    try:
        con.execute("delete from signin_failures where at < ?", (now - 24 * 3600,))
        until: float | None = None
        for column, value, limit in (
            ("username", username, MAX_FAILURES_USER),
            ("client", client, MAX_FAILURES_CLIENT),
        ):
            if column == "client" and not value:
                continue
            rows = con.execute(
                f"select at from signin_failures where {column} = ? and at > ?"  # noqa: S608
                " order by at desc limit ?",
                (value, now - window, limit),
            ).fetchall()
            if len(rows) >= limit:
                ends = rows[-1][0] + window
                until = ends if until is None else max(until, ends)
    finally:
        con.close()
    return until


def _record_failure(store: str | os.PathLike[str], username: str, client: str, now: float) -> None:
    con = _throttle_con(store)
    try:
        con.execute(
            "insert into signin_failures (at, username, client) values (?, ?, ?)",
            (now, username, client),
        )
    finally:
        con.close()


def _clear_failures(store: str | os.PathLike[str], username: str) -> None:
    con = _throttle_con(store)
    try:
        con.execute("delete from signin_failures where username = ?", (username,))
    finally:
        con.close()


# ---------------------------------------------------------------------------- sign-in, sessions


@dataclass(frozen=True)
class SignIn:
    ok: bool
    reason: str  # "ok" | "bad_credentials" | "locked"
    user: User | None = None
    locked_until: float | None = None


def authenticate(
    users: dict[str, User],
    username: str,
    password: str,
    *,
    store: str | os.PathLike[str],
    client: str = "",
    now: float | None = None,
) -> SignIn:
    """Check a password sign-in, with throttling; audit the attempt either way."""
    now = time.time() if now is None else now
    username = (username or "").strip()[:64]
    until = locked_until(store, username, client, now)
    if until is not None:
        audit.record(
            store,
            "sign_in_failed",
            who=username,
            client=client,
            what="locked",
            detail={"locked_until": datetime.fromtimestamp(until).isoformat(timespec="seconds")},
        )
        return SignIn(False, "locked", locked_until=until)
    user = users.get(username)
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None:
        _record_failure(store, username, client, now)
        audit.record(store, "sign_in_failed", who=username, client=client, what="bad_credentials")
        return SignIn(False, "bad_credentials")
    _clear_failures(store, username)
    audit.record(store, "sign_in", who=user.name, role=user.role, client=client, what="password")
    return SignIn(True, "ok", user=user)


def user_from_proxy(users: dict[str, User], name: str | None) -> User | None:
    """The users-file entry for a name a trusted proxy vouched for (None when not listed)."""
    if not name or not isinstance(name, str):
        return None
    return users.get(name.strip())


@dataclass(frozen=True)
class Session:
    username: str
    role: str
    scope: str
    via: str  # "password" | "proxy" | "demo"
    started_at: float
    last_seen: float

    def expired(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return (
            now - self.last_seen > SESSION_IDLE_MINUTES * 60
            or now - self.started_at > SESSION_MAX_HOURS * 3600
        )


def start_session(user: User, via: str, now: float | None = None) -> Session:
    now = time.time() if now is None else now
    return Session(user.name, user.role, user.scope, via, now, now)


def refresh_session(
    session: Session, users: dict[str, User], now: float | None = None
) -> Session | None:
    """The session for this page run: None when expired or the user is gone; role and scope
    follow the users file."""
    now = time.time() if now is None else now
    if session.expired(now):
        return None
    user = users.get(session.username)
    if user is None:
        return None
    return replace(session, role=user.role, scope=user.scope, last_seen=now)


def scope_allowed(user_scope: str, requested: str | None) -> bool:
    """True when ``requested`` lies inside ``user_scope`` (a code prefix; '' = district)."""
    return (requested or "").startswith(user_scope or "")


def clamp_scope(user_scope: str, requested: str | None) -> str:
    """The requested scope if inside the user's scope, else the user's own scope."""
    requested = requested or ""
    return requested if scope_allowed(user_scope, requested) else (user_scope or "")


# ---------------------------------------------------------------------------- the command


def _read_password(args: argparse.Namespace) -> str:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("password: ")
    second = getpass.getpass("again: ")
    if first != second:
        raise UserError("the two passwords differ")
    return first


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return ""


def cli_user(args: argparse.Namespace) -> int:
    """``warmvisits user add|passwd|remove|list``."""
    path = users_path(getattr(args, "users_file", None))
    try:
        users = load_users(path)
        action = args.action
        if action == "list":
            if not users:
                print(f"no users in {path}")
            for u in sorted(users.values(), key=lambda u: u.name):
                sign_in = "password" if u.has_password else "proxy only"
                print(f"{u.name}\t{u.role}\t{u.scope or '(district)'}\t{sign_in}")
            return 0
        if not args.username:
            raise UserError(f"user {action} needs a user name")
        name = validate_username(args.username)
        if action == "add":
            if name in users:
                raise UserError(f"user {name!r} exists; use `warmvisits user passwd`")
            role = validate_role(args.role)
            scope = validate_scope(getattr(args, "scope", ""))
            pw_hash = None
            if not getattr(args, "no_password", False):
                pw_hash = hash_password(_read_password(args))
            users[name] = User(
                name, role, scope, pw_hash, datetime.now().isoformat(timespec="seconds")
            )
            what = f"added {name} ({role}, scope {scope or 'district'})"
        elif action == "passwd":
            if name not in users:
                raise UserError(f"no user {name!r} in {path}")
            changes: dict[str, Any] = {"password_hash": hash_password(_read_password(args))}
            if args.role:
                changes["role"] = validate_role(args.role)
            users[name] = replace(users[name], **changes)
            what = f"changed the password of {name}"
        elif action == "remove":
            if name not in users:
                raise UserError(f"no user {name!r} in {path}")
            del users[name]
            what = f"removed {name}"
        else:  # pragma: no cover - argparse restricts the choices
            raise UserError(f"unknown action {action!r}")
        save_users(path, users)
        try:
            audit.record(audit.store_path(), "user_change", who=_os_user(), what=what)
        except OSError:
            pass  # the users file changed; an unwritable audit folder must not hide that
        print(f"{what} in {path}")
        return 0
    except (UserError, UsersFileError) as exc:
        print(f"warmvisits user: {exc}", file=sys.stderr)
        return 2
