"""Helpers shared by the page benchmarks that time Streamlit scripts with AppTest."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def page_app(page: str, quarter: str) -> Any:
    """An AppTest of the whole dashboard (app.py, shell included) opened on ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(os.fspath(ROOT / "app.py"), default_timeout=120)
    at.query_params["quarter"] = quarter
    at.switch_page(page)
    return at


def timed_run(at: Any) -> float:
    """Seconds for one script run; an exception in the page fails the benchmark."""
    t = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - t
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return elapsed


def ms_row(name: str, seconds: float, target_ms: float | None) -> dict[str, Any]:
    """A result row in milliseconds, checked against ``target_ms`` when there is one."""
    ms = seconds * 1000
    return {
        "benchmark": name,
        "value": round(ms, 1),
        "unit": "ms",
        "target": f"< {target_ms:g} ms" if target_ms else "",
        "ok": (ms < target_ms) if target_ms else None,
    }
