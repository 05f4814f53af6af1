"""The overview's browser time against the trivial page's, alone and quicker than ``make bench``.

The same measurement as bench/pages.py (time from navigation to the last st.metric drawn, fresh
browser context per load, one warm-up each), but the two pages' loads alternate, and each load
waits until no other process on the machine is busy (another benchmark would otherwise land in
one page's numbers and not the other's). Prints every load and the medians.

    python -m bench._browser_compare --db /tmp/wvdb [-n 9]

Not one of ``make bench``'s areas (the leading underscore keeps it out).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import psutil

from bench.pages import _quarter, _server, _time_to_metrics


def _others_busy(seconds: float = 0.5) -> float:
    """CPU percent used by processes that are not this one or its children."""
    me = psutil.Process()
    mine = {me.pid, *(c.pid for c in me.children(recursive=True))}
    procs = [p for p in psutil.process_iter() if p.pid not in mine]
    for p in procs:
        try:
            p.cpu_percent(None)
        except psutil.Error:
            pass
    time.sleep(seconds)
    total = 0.0
    for p in procs:
        try:
            total += p.cpu_percent(None)
        except psutil.Error:
            pass
    return total


async def _quiet(limit: float = 20.0, patience: int = 120) -> None:
    for _ in range(patience):
        if _others_busy() < limit:
            return
        await asyncio.sleep(1)
    print("(the machine never went quiet; measuring anyway)")


async def compare(db: str, n: int) -> tuple[list[float], list[float]]:
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.async_api import async_playwright

    quarter = _quarter(db)
    trivial: list[float] = []
    overview: list[float] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with _server(db, "bench/trivial_app.py") as t_url, _server(db, "app.py") as url:
            o_url = f"{url}/?quarter={quarter}"
            await _time_to_metrics(browser, t_url, 1)
            await _time_to_metrics(browser, o_url, 10)
            for _ in range(n):
                await _quiet()
                trivial.append(await _time_to_metrics(browser, t_url, 1))
                await _quiet()
                overview.append(await _time_to_metrics(browser, o_url, 10))
        await browser.close()
    return trivial, overview


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench._browser_compare")
    ap.add_argument("--db", default=os.environ.get("WARMVISITS_DB", "data"))
    ap.add_argument("-n", type=int, default=9)
    args = ap.parse_args()
    trivial, overview = asyncio.run(compare(args.db, args.n))
    t, o = statistics.median(trivial), statistics.median(overview)
    print("trivial ms ", [round(x * 1000) for x in trivial])
    print("overview ms", [round(x * 1000) for x in overview])
    print(f"median trivial {t * 1000:.0f} ms, overview {o * 1000:.0f} ms, ratio {o / t:.2f}")


if __name__ == "__main__":
    main()
