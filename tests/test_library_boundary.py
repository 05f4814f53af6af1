"""The library package ``warmvisits/`` never imports Streamlit: Streamlit code lives in app.py,
pages/ and ui/ only. Checked twice: statically (every import statement in warmvisits/) and at
run time (a fresh interpreter imports every warmvisits module and looks at sys.modules)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "warmvisits"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.append(node.args[0].value)
    return out


def test_no_streamlit_import_statement_in_library() -> None:
    files = sorted(LIB.rglob("*.py"))
    assert files, "no library files found"
    offenders = {
        str(p.relative_to(ROOT)): m
        for p in files
        for m in _imported_modules(p)
        if m == "streamlit" or m.startswith("streamlit.")
    }
    assert offenders == {}


def test_static_scan_would_catch_an_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from streamlit import session_state\n", encoding="utf-8")
    assert "streamlit" in _imported_modules(bad)


def test_importing_every_library_module_loads_no_streamlit() -> None:
    code = """
import importlib, json, pkgutil, sys
import warmvisits
names = ["warmvisits"] + [m.name for m in pkgutil.walk_packages(warmvisits.__path__, "warmvisits.")]
failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:  # reported, and fails the test
        failed[name] = repr(exc)
print(json.dumps({"modules": names, "failed": failed,
                  "streamlit": sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "warmvisits.i18n" in result["modules"]
    assert result["failed"] == {}
    assert result["streamlit"] == []


def test_no_python_functions_handed_to_polars_where_threads_run_it() -> None:
    # A Python function given to Polars (map_elements, map_batches, map_rows) runs on Polars'
    # one shared thread pool and needs the GIL there; with ten dashboard sessions at once the
    # pool deadlocked and every session stalled (seen in the 10-session benchmark, py-spy showed
    # all script threads waiting inside Polars). The pages, ui/ and the build's loader threads
    # use ui.fmt.each or plain Python instead. Only the single-threaded demo generator may.
    allowed = {ROOT / "warmvisits" / "demo"}
    sources = [ROOT / "app.py"]
    for folder in ("pages", "ui", "warmvisits"):
        sources += (ROOT / folder).rglob("*.py")
    offenders = []
    for path in sources:
        if any(a in path.parents for a in allowed):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {
                "map_elements",
                "map_batches",
                "map_rows",
                "map_groups",
            }:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.attr}")
    assert offenders == []
