"""``make bench``: measure at district scale and print one table.

Order: the demo export set is generated (bench/demo.py times it), the build benchmark builds it
(bench/build.py), then every other ``bench/<area>.py`` with a ``run(ctx)`` measures its pages
or queries on that build. Each returns rows ``{"benchmark", "value", "unit", "target", "ok"}``.

    python -m bench [--scale district|city|small] [--only build,pages] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["demo", "build"]


def _areas() -> list[str]:
    found = sorted(p.stem for p in Path(__file__).parent.glob("*.py") if not p.stem.startswith("_"))
    found = [a for a in found if a not in ("trivial_app",)]
    return [a for a in FIRST if a in found] + [a for a in found if a not in FIRST]


def _ensure_exports(ctx: dict[str, Any]) -> None:
    exports = Path(ctx["exports"])
    if exports.is_dir() and any(exports.iterdir()):
        return
    from warmvisits import demo

    demo.generate(exports, ctx["scale"], 2023)


def _ensure_db(ctx: dict[str, Any]) -> None:
    from warmvisits import db as wdb

    if wdb.current_build(ctx["db"]) is not None:
        return
    from warmvisits import build

    build.build(ctx["exports"], ctx["db"], demo=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--scale", default="district", choices=["small", "district", "city"])
    p.add_argument("--only", default="", help="comma-separated areas (default: all)")
    p.add_argument("--workdir", default=str(ROOT / "data" / "bench"))
    args = p.parse_args(argv)
    work = Path(args.workdir) / args.scale
    work.mkdir(parents=True, exist_ok=True)
    ctx: dict[str, Any] = {
        "scale": args.scale,
        "exports": str(work / "exports"),
        "db": str(work / "db"),
        "workdir": str(work),
    }
    only = [a for a in args.only.split(",") if a]
    rows: list[dict[str, Any]] = []
    for area in _areas():
        if only and area not in only:
            continue
        if area not in ("demo",):
            _ensure_exports(ctx)
        if area not in ("demo", "build"):
            _ensure_db(ctx)
        t = time.perf_counter()
        print(f"== {area} ...", file=sys.stderr, flush=True)
        try:
            mod = importlib.import_module(f"bench.{area}")
            got = mod.run(ctx)
        except Exception as exc:  # one failing benchmark must not hide the others
            traceback.print_exc()
            got = [{"benchmark": f"{area}: failed", "value": float("nan"), "unit": "",
                    "target": "", "ok": False, "note": f"{type(exc).__name__}: {exc}"}]  # fmt: skip
        for r in got:
            r.setdefault("area", area)
        rows.extend(got)
        print(f"   {area} took {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    _print_table(rows, args.scale)
    out = work / "results.json"
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"\n(results also in {out})")
    return 0 if all(r.get("ok") is not False for r in rows) else 1


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def _print_table(rows: list[dict[str, Any]], scale: str) -> None:
    print(f"\nwarmvisits benchmarks — scale: {scale}")
    head = ("area", "benchmark", "value", "unit", "target", "ok")
    body = [
        (
            str(r.get("area", "")),
            str(r["benchmark"]),
            _fmt(r["value"]),
            str(r.get("unit", "")),
            str(r.get("target", "")),
            {True: "yes", False: "NO", None: ""}[r.get("ok")],
        )
        for r in rows
    ]
    widths = [
        max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-" * len(line))
    for b in body:
        print("  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
