"""Demo generation: time and size of writing the export set at the bench's scale.

Writes into ``ctx["exports"]`` (the folder the build benchmark then reads). Target: the district
in under 60 s on this 2-core machine. CPU time is reported beside wall time because the machine
may be shared while the bench runs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

TARGET_S = {"small": 5.0, "district": 60.0, "city": 300.0}


def run(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    from warmvisits import demo

    scale = ctx.get("scale", "district")
    out = Path(ctx["exports"])
    wall0, cpu0 = time.perf_counter(), time.process_time()
    summary = demo.generate(out, scale, 2023)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    target = TARGET_S.get(scale, 60.0)
    visits = summary.rows.get("visits", 0)
    return [
        {
            "benchmark": f"demo {scale}: generation time (wall)",
            "value": round(wall, 2),
            "unit": "s",
            "target": f"< {target:.0f} s",
            "ok": wall < target,
        },
        {
            "benchmark": f"demo {scale}: generation CPU time",
            "value": round(cpu, 2),
            "unit": "s",
            "target": "",
            "ok": None,
        },
        {
            "benchmark": f"demo {scale}: total size",
            "value": round(summary.bytes / 1e6, 1),
            "unit": "MB",
            "target": "",
            "ok": None,
        },
        {
            "benchmark": f"demo {scale}: visit rows",
            "value": float(visits),
            "unit": "rows",
            "target": "≈ 4.3 million at district scale" if scale == "district" else "",
            "ok": (4_000_000 <= visits <= 4_700_000) if scale == "district" else None,
        },
    ]
