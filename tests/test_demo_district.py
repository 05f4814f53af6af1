"""The district-scale demo reproduces the published 2023Q1 figures of Qiaocheng district through
the whole pipeline: generate → ``warmvisits build`` → ``warmvisits kpis`` (separate processes).

Slow (generation and build of about 4.4 million visit rows): marked ``slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warmvisits import demo

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    exe = ROOT / ".venv" / "bin" / "warmvisits"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "warmvisits.cli"]
    return subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[demo.DemoSummary, Path]:
    out = tmp_path_factory.mktemp("demo_district")
    summary = demo.generate(out, "district", 2023)
    db = tmp_path_factory.mktemp("demo_district_db")
    proc = _cli("build", "--exports", os.fspath(out), "--db", os.fspath(db), "--json", "--demo")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return summary, db


def test_published_figures(district: tuple[demo.DemoSummary, Path]) -> None:
    _, db = district
    proc = _cli("kpis", "--db", os.fspath(db), "--quarter", "2023Q1")
    assert proc.returncode == 0, proc.stderr
    k = json.loads(proc.stdout)
    assert k["as_of"] == "2023-03-31 23:59:59"
    assert k["visited_households"] > 530_000
    assert k["cases_received"] == 8_849
    assert k["cases_resolved"] == 5_980
    assert k["satisfaction_rate"] >= 0.98
    # 2022Q1 1,250 petitions → 2023Q1 878: (878 − 1250) / 1250 = −0.2976
    assert k["petitions_prev_year"] == 1_250 and k["petitions"] == 878
    assert round(k["petitions_yoy"] * 100, 2) == -29.76


def test_places_loaded(district: tuple[demo.DemoSummary, Path]) -> None:
    summary, db = district
    with duckdb.connect(os.fspath(db / "warmvisits.duckdb"), read_only=True) as con:

        def one(q: str) -> object:
            return con.sql(q).fetchall()[0][0]

        assert one("select count(*) from grids") == 5_320
        assert one("select count(*) from villages") == 275
        assert one("select count(distinct leader_name || grid_code) from grids") == 5_320
        mayuan = con.sql(
            "select t.township_name, count(distinct g.grid_code), count(h.household_id) "
            "from villages v join townships t using (township_code) "
            "join grids g using (village_code) join households h using (grid_code) "
            "where v.village_name = '马元社区' group by 1"
        ).fetchall()
        assert mayuan == [("薛阁街道", 130, 13_367)]
        yuanzhuang = con.sql(
            "select t.township_name, count(*) from households h "
            "join villages v using (village_code) join townships t on t.township_code = v.township_code "
            "where v.village_name = '袁庄村' group by 1"
        ).fetchall()
        assert yuanzhuang == [("芦庙镇", 1_519)]
        gaolou = con.sql(
            "select distinct t.township_name, v.village_type from villages v "
            "join townships t using (township_code) where v.village_name = '高楼村'"
        ).fetchall()
        assert gaolou == [("魏岗镇", "村")]
        visits = one("select count(*) from visits")
        assert 4_000_000 <= visits <= 4_700_000
        rejects = one("select count(*) from rejects")
    assert rejects == len(summary.rejects)
