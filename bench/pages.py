"""Dashboard pages at scale: script time per page (cold and warm), the overview's browser time
against a trivial one-metric page served in the same run, and 10 concurrent browser sessions.

1. Script time: Streamlit's AppTest started from app.py (the whole script: shell + page) on the
   build in ctx["db"]. Cold = every cache cleared (a new database connection too) after one
   warm-up run that pays the imports; warm = median of further reruns.
   Targets: warm < 300 ms and cold < 2 s at district scale; warm < 1 s at city scale.
2. Browser time: `streamlit run app.py` and `streamlit run bench/trivial_app.py` on free local
   ports, Debian's chromium through Playwright; time from navigation to the last metric drawn
   (the page's n-th st.metric in the DOM), median of 5 fresh page loads after one
   warm-up. Target: the overview within 1.5× of the trivial page.
3. Load: 10 browser sessions at once, each clicking through every page; no error element may
   appear; the server's memory (RSS with its children, sampled every 0.2 s) stays under 1 GB;
   median and worst script time per run (logged by app.py when WARMVISITS_SCRIPT_TIMES is set)
   beside one session doing the same alone.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from warmvisits import i18n

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

WARM_RUNS = 5
ADMIN_PAGES = {"data", "users"}
SESSIONS = 10


def _pages() -> list[str]:
    return sorted(p.stem for p in (ROOT / "pages").glob("*.py"))


def _quarter(db: str) -> str:
    from warmvisits.db import connect

    con = connect(db)
    try:
        return con.sql("select max(round) from visits").fetchall()[0][0]
    finally:
        con.close()


def _row(name: str, value: float, unit: str, target: str, ok: bool | None) -> dict[str, Any]:
    return {"benchmark": name, "value": round(value, 1), "unit": unit, "target": target, "ok": ok}


# ------------------------------------------------------------------------------ script time


def _script_times(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["WARMVISITS_DB"] = str(ctx["db"])
    os.chdir(ROOT)
    quarter = _quarter(ctx["db"])
    warm_target = 1000.0 if ctx["scale"] == "city" else 300.0
    rows: list[dict[str, Any]] = []
    # warm-up: the first AppTest of a process pays for importing Streamlit, Plotly, pandas and
    # pydeck; "cold" below means empty caches and a new database connection, not a new process
    AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    for page in _pages():
        role = "admin" if page in ADMIN_PAGES else "analyst"

        def fresh(role: str = role) -> Any:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            at.query_params["quarter"] = quarter
            at.session_state["wv_role"] = role
            return at

        st.cache_data.clear()
        st.cache_resource.clear()
        at = fresh()
        if page == "overview":
            t = time.perf_counter()
            at.run()
            cold = time.perf_counter() - t
        else:
            at.run()
            st.cache_data.clear()
            st.cache_resource.clear()
            t = time.perf_counter()
            at.switch_page(f"pages/{page}.py").run()
            cold = time.perf_counter() - t
        if at.exception:
            rows.append(_row(f"{page}: script failed", float("nan"), "", "", False))
            continue
        warm = []
        for _ in range(WARM_RUNS):
            t = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t)
        rows.append(_row(f"{page}: script, cold cache", cold * 1000, "ms", "< 2000 ms", cold < 2))
        w = statistics.median(warm) * 1000
        rows.append(
            _row(
                f"{page}: script, warm (median of {WARM_RUNS})",
                w,
                "ms",
                f"< {warm_target:g} ms",
                w < warm_target,
            )  # fmt: skip
        )
    return rows


# ------------------------------------------------------------------------------ browser


class _MemorySampler:
    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _rss(self) -> int:
        import psutil

        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.2)

    def __enter__(self) -> _MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _server(db: str, script: str, times_log: str | None = None) -> Any:
    from conftest import start_server

    extra = {"WARMVISITS_SCRIPT_TIMES": times_log} if times_log else None
    return start_server(db, script=script, extra_env=extra)


async def _time_to_metrics(browser: Any, url: str, n_metrics: int) -> float:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    t = time.perf_counter()
    await page.goto(url)
    await page.wait_for_function(
        """n => document.querySelectorAll("[data-testid='stMetric']").length >= n""",
        arg=n_metrics,
        timeout=120_000,
    )
    elapsed = time.perf_counter() - t
    await context.close()
    return elapsed


async def _settle(page: Any) -> None:
    await page.wait_for_selector("h1", timeout=120_000)
    await page.wait_for_function(
        """() => document.querySelector("[data-testid='stApp']")
                    ?.getAttribute('data-test-script-state') === 'notRunning'""",
        timeout=120_000,
    )


SLOWEST: list[float] = []  # seconds from click to settled page, every page of every session


async def _click_through(browser: Any, url: str, quarter: str, stems: list[str]) -> list[str]:
    """One session: open the app, then click each page's link in the sidebar navigation."""
    errors: list[str] = []
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    # ten browsers render maps and charts in software on the same two cores as the server: a
    # page can take a while to settle; the slowest is reported beside the server's own times
    page.set_default_timeout(180_000)
    await page.goto(f"{url}/?quarter={quarter}")
    await _settle(page)
    for stem in stems:
        started = time.perf_counter()
        try:
            title = i18n.t(f"common.page.{stem}", "zh")
            nav = page.locator("[data-testid='stSidebarNav']")
            await nav.get_by_role("link", name=re.compile(rf"(^|\s){re.escape(title)}$")).click()
            await page.wait_for_function(
                "p => location.pathname.replace(/\\/$/, '').endsWith(p)",
                arg="" if stem == "overview" else "/" + stem,
            )
            await page.wait_for_timeout(200)
            await _settle(page)
        except Exception as exc:  # noqa: BLE001 - reported as this page's failure
            errors.append(f"{stem}: {type(exc).__name__} ({await _where(page, title)})")
            continue
        SLOWEST.append(time.perf_counter() - started)
        bad = await page.locator(
            "[data-testid='stException'], [data-testid='stAlertContentError']"
        ).count()
        if bad:
            errors.append(f"{stem}: error element")
    await context.close()
    return errors


async def _where(page: Any, title: str) -> str:
    """What a failed step's page shows: its URL, whether the link to click is there, the demo
    role, the script's state, and its first error text, for the failure's note."""
    try:
        nav = page.locator("[data-testid='stSidebarNav']")
        link = nav.get_by_role("link", name=re.compile(rf"(^|\s){re.escape(title)}$"))
        role = page.locator(".st-key-wv_role [role='combobox']")
        state = await page.evaluate(
            """() => document.querySelector("[data-testid='stApp']")
                        ?.getAttribute('data-test-script-state')"""
        )
        errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
        first_error = (await errors.first.inner_text())[:120] if await errors.count() else ""
        return (
            f"at {page.url}, link {'found' if await link.count() else 'missing'}, "
            f"role {await role.first.input_value() if await role.count() else '?'}, "
            f"script {state}, headings {await page.locator('h1').count()}"
            + (f", error: {first_error}" if first_error else "")
        )
    except Exception as exc:  # noqa: BLE001 - the page may be gone
        return f"page unreadable: {type(exc).__name__}"


def _read_times(path: str) -> list[float]:
    p = Path(path)
    if not p.exists():
        return []
    return [float(line.split("\t")[1]) for line in p.read_text().splitlines() if "\t" in line]


async def _browser_part(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.async_api import async_playwright

    quarter = _quarter(ctx["db"])
    stems = [s for s in _pages() if s not in ADMIN_PAGES and s != "overview"] + ["overview"]
    rows: list[dict[str, Any]] = []
    tmp = tempfile.mkdtemp(prefix="wv-bench-")
    single_log, load_log = f"{tmp}/single.log", f"{tmp}/load.log"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with _server(ctx["db"], "bench/trivial_app.py") as trivial_url:
            await _time_to_metrics(browser, trivial_url, 1)
            trivial = statistics.median(
                [await _time_to_metrics(browser, trivial_url, 1) for _ in range(5)]
            )
        with _server(ctx["db"], "app.py", times_log=single_log) as url:
            overview_url = f"{url}/?quarter={quarter}"
            await _time_to_metrics(browser, overview_url, 10)
            overview = statistics.median(
                [await _time_to_metrics(browser, overview_url, 10) for _ in range(5)]
            )
            rows.append(
                _row(
                    "trivial one-metric page: browser time to last metric",
                    trivial * 1000,
                    "ms",
                    "",
                    None,
                )
            )
            ratio = overview / trivial
            rows.append(
                _row("overview: browser time to last metric", overview * 1000, "ms", "", None)
            )
            rows.append(
                {
                    "benchmark": "overview ÷ trivial page, browser time",
                    "value": round(ratio, 2),
                    "unit": "×",
                    "target": "≤ 1.5×",
                    "ok": ratio <= 1.5,
                }  # fmt: skip
            )
            # one session clicking through every page, alone
            Path(single_log).unlink(missing_ok=True)
            errors = await _click_through(browser, url, quarter, stems)
            single = _read_times(single_log)
        with _server(ctx["db"], "app.py", times_log=load_log) as url:
            from conftest import free_port  # noqa: F401 - the server module is the same

            pid = _server_pid(url)
            await _click_through(browser, url, quarter, stems[:1])  # warm the server's caches
            Path(load_log).unlink(missing_ok=True)
            SLOWEST.clear()
            with _MemorySampler(pid) as mem:
                t = time.perf_counter()
                results = await asyncio.gather(
                    *[_click_through(browser, url, quarter, stems) for _ in range(SESSIONS)],
                    return_exceptions=True,
                )
                wall = time.perf_counter() - t
            load = _read_times(load_log)
        await browser.close()
    failures = [r for r in results if isinstance(r, BaseException) or r]
    rows.append(
        _row("1 session click-through: pages with an error", len(errors), "pages", "0", not errors)
    )
    if single:
        rows.append(
            _row("1 session: median script time", statistics.median(single) * 1000, "ms", "", None)
        )
        rows.append(_row("1 session: worst script time", max(single) * 1000, "ms", "", None))
    failed = _row(
        f"{SESSIONS} sessions: sessions with an error", len(failures), "sessions", "0", not failures
    )
    if failures:
        failed["note"] = "; ".join(
            f"{type(r).__name__}: {str(r)[:80]}"
            if isinstance(r, BaseException)
            else f"error on {r}"
            for r in failures[:3]
        )
    rows.append(failed)
    rows.append(_row(f"{SESSIONS} sessions: wall time to click through", wall, "s", "", None))
    if SLOWEST:
        rows.append(
            _row(f"{SESSIONS} sessions: slowest page, click to settled (browser)",
                 max(SLOWEST), "s", "", None)
        )  # fmt: skip
    rows.append(
        _row(
            f"{SESSIONS} sessions: server peak memory",
            mem.peak / 2**20,
            "MB",
            "< 1024 MB",
            mem.peak < 2**30,
        )
    )
    if load:
        rows.append(
            _row(
                f"{SESSIONS} sessions: median script time",
                statistics.median(load) * 1000,
                "ms",
                "",
                None,
            )
        )
        rows.append(
            _row(f"{SESSIONS} sessions: worst script time", max(load) * 1000, "ms", "", None)
        )
    return rows


def _server_pid(url: str) -> int:
    """The pid of the streamlit process listening on the url's port."""
    import psutil

    port = int(url.rsplit(":", 1)[1])
    for conn in psutil.net_connections(kind="tcp"):
        if (
            conn.laddr
            and conn.laddr.port == port
            and conn.status == psutil.CONN_LISTEN
            and conn.pid
        ):
            return int(conn.pid)
    raise RuntimeError(f"no process listens on port {port}")


def run(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    rows = _script_times(ctx)
    rows += asyncio.run(_browser_part(ctx))
    return rows
