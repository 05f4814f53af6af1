"""Shared fixtures: the small demo database, Streamlit AppTest hygiene, a live server and a
headless chromium for browser tests.

- ``small_exports`` / ``small_db``: the small demo generated (``warmvisits.demo.generate``) and
  built (``warmvisits.build.build``) once per test session; ``small_db`` is the pointer path
  (``…/warmvisits.duckdb``) that ``--db`` and ``WARMVISITS_DB`` accept.
- ``app_env``: ``WARMVISITS_DB`` set to the small demo and every Streamlit cache cleared before
  and after the test (caches survive between AppTests in one process).
- ``app_test``: a factory ``app_test(**session_state) -> AppTest`` started from app.py.
- ``app_server``: ``streamlit run app.py`` on a free port against the small demo, one per test
  module; ``start_server(db)`` starts another (a context manager) when a test needs a fresh one.
- ``browser``: Playwright's chromium (Debian's /usr/bin/chromium), one per session.
- ``page``: a new browser page whose every request is recorded (``page.wv_requests``); after the
  test the fixture asserts that no request left localhost.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SMALL_SEED = 2023
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


# ------------------------------------------------------------------------------ the demo database


@pytest.fixture(scope="session")
def small_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from warmvisits import demo

    out = tmp_path_factory.mktemp("small_exports")
    demo.generate(out, "small", SMALL_SEED)
    return out


@pytest.fixture(scope="session")
def small_db(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    from warmvisits import build
    from warmvisits import db as wdb

    # a developer may point the suite at an already built database (never set in CI)
    prebuilt = os.environ.get("WARMVISITS_TEST_SMALL_DB")
    if prebuilt:
        return wdb.pointer_path(prebuilt)
    small_exports = request.getfixturevalue("small_exports")
    folder = tmp_path_factory.mktemp("small_db")
    build.build(small_exports, folder, demo=True)
    pointer = wdb.pointer_path(folder)
    assert wdb.current_build(pointer) is not None, "the small demo did not build"
    return pointer


# ------------------------------------------------------------------------------ AppTest


def clear_streamlit_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_env(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("WARMVISITS_DB", os.fspath(small_db))
    monkeypatch.chdir(ROOT)
    clear_streamlit_caches()
    yield small_db
    clear_streamlit_caches()


@pytest.fixture
def app_test(app_env: Path) -> Callable[..., object]:
    """``app_test(query_params=None, **session_state)`` -> an AppTest of app.py, not yet run."""
    from streamlit.testing.v1 import AppTest

    def make(query_params: dict[str, str] | None = None, **session_state: object) -> AppTest:
        at = AppTest.from_file(os.fspath(ROOT / "app.py"), default_timeout=60)
        for key, value in (query_params or {}).items():
            at.query_params[key] = value
        for key, value in session_state.items():
            at.session_state[key] = value
        return at

    return make


# ------------------------------------------------------------------------------ live server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"streamlit at {url} not healthy after {timeout}s")


@contextlib.contextmanager
def start_server(
    db: Path | str, script: str = "app.py", extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Start ``streamlit run <script>`` on a free local port; yields the base URL."""
    port = free_port()
    env = {**os.environ, "WARMVISITS_DB": os.fspath(db), **(extra_env or {})}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def app_server(small_db: Path) -> Iterator[str]:
    with start_server(small_db) as url:
        yield url


# ------------------------------------------------------------------------------ browser


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def non_local_requests(urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about"):
            continue
        if parsed.hostname not in LOCAL_HOSTS:
            out.append(url)
    return out


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page (own context) recording every request; asserts afterwards that none left
    localhost."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1400, "height": 1000}, locale="zh-CN"
    )
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda req: requests.append(req.url))
    pg.wv_requests = requests
    yield pg
    context.close()
    outside = non_local_requests(requests)
    assert not outside, f"requests left localhost: {outside[:5]}"


def wait_for_app(pg: object, timeout: float = 30_000) -> None:
    """Wait until the Streamlit script has finished running and the page has settled."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=timeout)  # type: ignore[attr-defined]
    pg.wait_for_function(  # type: ignore[attr-defined]
        """() => {
            const app = document.querySelector("[data-testid='stApp']");
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && !document.querySelector("[data-testid='stSkeleton']");
        }""",
        timeout=timeout,
    )
    pg.wait_for_timeout(300)  # type: ignore[attr-defined]
    pg.wait_for_function(  # type: ignore[attr-defined]
        """() => document.querySelector("[data-testid='stApp']")
                    .getAttribute('data-test-script-state') === 'notRunning'""",
        timeout=timeout,
    )


def wait_for_count(pg: object, selector: str, n: int, timeout: float = 30_000) -> int:
    """Wait until at least `n` elements match `selector`, and return how many match.

    Plotly charts are drawn by a lazily loaded component, so a chart's element can appear some
    time after the script has finished; counting at once raced with that in CI."""
    pg.wait_for_function(  # type: ignore[attr-defined]
        "([sel, n]) => document.querySelectorAll(sel).length >= n",
        arg=[selector, n],
        timeout=timeout,
    )
    return int(pg.evaluate("(sel) => document.querySelectorAll(sel).length", selector))  # type: ignore[attr-defined]


def error_elements(pg: object) -> list[str]:
    """Texts of exception and error-alert elements on the page."""
    return pg.evaluate(  # type: ignore[attr-defined]
        """() => [...document.querySelectorAll(
                "[data-testid='stException'], [data-testid='stAlertContentError']"
            )].map(e => e.innerText.slice(0, 300))"""
    )


# ------------------------------------------------------------------------------ the kpis command


def run_kpis(db: Path | str, quarter: str, scope: str = "") -> dict[str, object]:
    """``warmvisits kpis`` run as a separate process: the reference the pages are checked against."""
    import json

    cmd = [sys.executable, "-m", "warmvisits.cli", "kpis", "--db", os.fspath(db)]
    cmd += ["--quarter", quarter, "--scope", scope]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def kpis_cli() -> Callable[..., dict[str, object]]:
    return run_kpis
