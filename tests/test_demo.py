"""The demo generator at small scale: every kind loads through the real build, the build's
rejects are exactly the planted bad rows, the same seed gives the same bytes, grid boundaries do
not overlap, the planted unevenness is there, and the folder of someone else is never touched."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from warmvisits import build as wbuild
from warmvisits import demo
from warmvisits.cli import main as cli_main
from warmvisits.schema import KINDS, match_header

SEED = 2023


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[demo.DemoSummary, Path]:
    out = tmp_path_factory.mktemp("demo_small")
    summary = demo.generate(out, "small", SEED)
    db_dir = tmp_path_factory.mktemp("demo_small_db")
    wbuild.build(out, db_dir, demo=True)
    return summary, db_dir / "warmvisits.duckdb"


def _con(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db), read_only=True)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


# ------------------------------------------------------------------------------ loads and rejects


def test_every_clean_table_has_rows(small: tuple[demo.DemoSummary, Path]) -> None:
    _, db = small
    tables = [
        "townships",
        "villages",
        "grids",
        "households",
        "menu",
        "visits",
        "visit_answers",
        "cases",
        "case_visits",
        "case_events",
        "callbacks",
        "petitions",
    ]
    with _con(db) as con:
        for t in tables:
            n = con.sql(f"select count(*) from {t}").fetchall()[0][0]
            assert n > 0, t
        rounds = [r[0] for r in con.sql("select distinct round from visits order by 1").fetchall()]
        methods = {r[0] for r in con.sql("select distinct method from visits").fetchall()}
        forms = {r[0] for r in con.sql("select distinct form_version from menu").fetchall()}
        sources = {r[0] for r in con.sql("select distinct source from cases").fetchall()}
        actions = {r[0] for r in con.sql("select distinct action from case_events").fetchall()}
    assert rounds == [f"{y}Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)]
    assert methods == {"入户", "电话", "未联系上"}
    assert forms == {"城市版", "农村版", "通用"}
    assert sources == {"暖心走访", "12345热线", "其他"}
    assert {"受理", "派遣", "办结"} <= actions


def test_headers_are_recognised_by_the_schema(small: tuple[demo.DemoSummary, Path]) -> None:
    """Every CSV's first line is a header of one kind (checked with the schema's own matcher)."""
    summary, _ = small
    kinds = set()
    for name in summary.files:
        if not name.endswith(".csv"):
            continue
        raw = (summary.out / name).read_bytes()
        text = raw[3:].decode("utf-8") if raw.startswith(b"\xef\xbb\xbf") else None
        if text is None:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")
        m = match_header(text.splitlines()[0].split(","))
        assert m is not None, name
        kinds.add(m.kind.name)
    # grids and menu come in workbooks; everything else has a CSV
    assert kinds == set(KINDS) - {"grids", "menu"}


def test_rejects_are_exactly_the_planted_rows(small: tuple[demo.DemoSummary, Path]) -> None:
    summary, db = small
    with _con(db) as con:
        got = con.sql("select file, sheet, row_number, kind, rule from rejects").fetchall()
    norm = {(Path(f).name, s or None, int(r), k, rule) for f, s, r, k, rule in got}
    want = {(p.file, p.sheet, p.row_number, p.kind, p.rule) for p in summary.rejects}
    assert len(got) == len(summary.rejects)
    assert norm == want
    # every kind of bad row the contract lists is planted somewhere
    rules = {p.rule for p in summary.rejects}
    for rule in (
        "missing_required",
        "bad_code",
        "bad_enum",
        "bad_date",
        "bad_number",
        "bad_round",
        "bad_boundary",
        "duplicate_key",
        "unknown_grid",
        "unknown_household",
        "unknown_case",
        "unknown_township",
        "household_grid_mismatch",
        "visit_grid_mismatch",
        "resolved_without_time",
        "resolved_before_received",
        "resolved_time_not_resolved",
        "due_before_received",
    ):
        assert rule in rules, rule


def test_warnings_are_exactly_the_marked_rows(small: tuple[demo.DemoSummary, Path]) -> None:
    summary, db = small
    with _con(db) as con:
        got = con.sql("select file, sheet, row_number, kind, rule from warnings").fetchall()
    norm = sorted((Path(f).name, s or None, int(r), k, rule) for f, s, r, k, rule in got)
    want = sorted((p.file, p.sheet, p.row_number, p.kind, p.rule) for p in summary.warnings)
    assert norm == want
    assert {p.rule for p in summary.warnings} == {
        "bad_phone",
        "answer_not_an_option",
        "unknown_visit_link",
    }


def test_planted_rows_are_extra(small: tuple[demo.DemoSummary, Path]) -> None:
    """No regular row is rejected: the clean tables hold exactly the regular rows."""
    summary, db = small
    table = {"case_events": "case_events"}
    with _con(db) as con:
        for kind, n in summary.rows.items():
            loaded = con.sql(f"select count(*) from {table.get(kind, kind)}").fetchall()[0][0]
            assert loaded == n, kind


def test_reader_skips_the_note_files(small: tuple[demo.DemoSummary, Path]) -> None:
    summary, db = small
    assert "说明.txt" in summary.files and "数据导出说明.pdf" in summary.files
    with _con(db) as con:
        rows = con.sql("select path, kind, error from build_files").fetchall()
    notes = {Path(p).name: (k, e) for p, k, e in rows if Path(p).suffix in (".txt", ".pdf")}
    assert set(notes) == {"说明.txt", "数据导出说明.pdf"}
    assert all(k is None and e for k, e in notes.values())


# ------------------------------------------------------------------------------ determinism


def test_same_seed_same_bytes_other_seed_other_bytes(
    small: tuple[demo.DemoSummary, Path], tmp_path: Path
) -> None:
    summary, _ = small
    again = demo.generate(tmp_path / "again", "small", SEED)
    assert again.files == summary.files
    assert _hashes(tmp_path / "again") == _hashes(summary.out)
    other = demo.generate(tmp_path / "other", "small", SEED + 1)
    a, b = _hashes(summary.out), _hashes(tmp_path / "other")
    differing = [n for n in a if n in b and a[n] != b[n]]
    assert any("走访登记表" in n for n in differing)
    assert any("住户台账" in n or "花名册" in n for n in differing)
    assert other.planted != [] and other.expected["cases_received"] is not None


# ------------------------------------------------------------------------------ boundaries


def _polygon(wkt: str) -> list[tuple[float, float]]:
    m = re.fullmatch(r"\s*POLYGON\s*\(\((.*)\)\)\s*", wkt)
    assert m, wkt
    pts = [tuple(float(v) for v in p.split()) for p in m.group(1).split(",")]
    assert pts[0] == pts[-1], "ring not closed"
    return [(x, y) for x, y in pts[:-1]]


def _convex(pts: list[tuple[float, float]]) -> bool:
    signs = set()
    n = len(pts)
    for i in range(n):
        (x0, y0), (x1, y1), (x2, y2) = pts[i], pts[(i + 1) % n], pts[(i + 2) % n]
        cross = (x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1)
        if cross:
            signs.add(cross > 0)
    return len(signs) == 1


def _interiors_overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    """Separating-axis test for two convex polygons; touching edges do not count."""
    for poly in (a, b):
        n = len(poly)
        for i in range(n):
            (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
            nx, ny = y1 - y0, x0 - x1
            pa = [nx * x + ny * y for x, y in a]
            pb = [nx * x + ny * y for x, y in b]
            scale = max(abs(nx), abs(ny)) or 1.0
            if min(max(pa), max(pb)) - max(min(pa), min(pb)) <= 1e-9 * scale:
                return False
    return True


def _inside(p: tuple[float, float], poly: list[tuple[float, float]]) -> bool:
    x, y = p
    inside = False
    n = len(poly)
    for i in range(n):
        (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def test_overlap_check_itself() -> None:
    sq = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    moved = [(x + 0.5, y + 0.5) for x, y in sq]
    touching = [(x + 1.0, y) for x, y in sq]
    diamond = [(1.4, 0.5), (1.9, 0.0), (2.4, 0.5), (1.9, 1.0)]
    assert _interiors_overlap(sq, moved)
    assert not _interiors_overlap(sq, touching)
    assert not _interiors_overlap(sq, diamond)
    assert _interiors_overlap(sq, [(0.9, 0.5), (1.4, 0.0), (1.9, 0.5), (1.4, 1.0)])


def test_grid_boundaries_do_not_overlap(small: tuple[demo.DemoSummary, Path]) -> None:
    _, db = small
    with _con(db) as con:
        rows = con.sql("select grid_code, lon, lat, boundary_wkt from grids").fetchall()
    polys = {code: _polygon(wkt) for code, _, _, wkt in rows}
    assert all(_convex(p) for p in polys.values())
    for code, lon, lat, _ in rows:
        assert _inside((lon, lat), polys[code]), code
        assert 33.5 < lat < 34.2 and 115.4 < lon < 116.2
    codes = sorted(polys)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            assert not _interiors_overlap(polys[a], polys[b]), (a, b)


# ------------------------------------------------------------------------------ planted unevenness


def test_implausible_grids_are_there(small: tuple[demo.DemoSummary, Path]) -> None:
    summary, db = small
    var = summary.variation
    windows = var["round_windows"]
    with _con(db) as con:
        for r in ("2023Q1", "2024Q3"):
            for grid in var["one_day_grids"][r]:
                days = con.sql(
                    "select count(distinct visit_on) from visits where grid_code = $g and round = $r",
                    params={"g": grid, "r": r},
                ).fetchall()[0][0]
                assert days == 1, (r, grid)
            for grid in var["outside_window_grids"][r]:
                first = con.sql(
                    "select min(visit_on)::varchar from visits where grid_code = $g and round = $r",
                    params={"g": grid, "r": r},
                ).fetchall()[0][0]
                assert first > windows[r][1], (r, grid, first)
            for grid in var["all_door_grids"][r]:
                by = dict(
                    con.sql(
                        "select method, count(*) from visits where grid_code = $g and round = $r "
                        "group by 1",
                        params={"g": grid, "r": r},
                    ).fetchall()
                )
                assert by.get("入户", 0) > 0 and by.get("电话", 0) == 0, (r, grid, by)
        # every other grid's visits in 2023Q1 lie inside the field window
        odd = set(var["outside_window_grids"]["2023Q1"])
        late = con.sql(
            "select distinct grid_code from visits where round = '2023Q1' "
            "and visit_on > date '2023-03-05'"
        ).fetchall()
    assert {g for (g,) in late} == odd


def test_cases_link_visits_and_flow_up(small: tuple[demo.DemoSummary, Path]) -> None:
    _, db = small
    with _con(db) as con:
        merged = con.sql(
            "select count(*) from (select case_id from case_visits group by 1 having count(*) > 1)"
        ).fetchall()[0][0]
        # a visit linked to a case was made in the case's grid and before the case was received
        bad_links = con.sql(
            "select count(*) from case_visits cv join cases c using (case_id) "
            "join visits v using (visit_id) "
            "where v.grid_code <> c.grid_code or v.visit_on > c.received_at::date"
        ).fetchall()[0][0]
        levels = {r[0] for r in con.sql("select distinct level from case_events").fetchall()}
        backwards = con.sql(
            "select count(*) from case_events e join cases c using (case_id) "
            "where e.at < c.received_at or (c.resolved_at is not null and e.at > c.resolved_at)"
        ).fetchall()[0][0]
    assert merged > 0
    assert bad_links == 0
    assert {"村社区", "乡镇街道", "区直部门"} <= levels
    assert backwards == 0


def test_small_kpis_match_the_summary(
    small: tuple[demo.DemoSummary, Path], kpis_cli: object
) -> None:
    summary, db = small
    k = kpis_cli(db, "2023Q1")  # type: ignore[operator]
    e = summary.expected
    for key in ("registered_households", "visited_households", "cases_received", "cases_resolved"):
        assert k[key] == e[key], key
    assert k["petitions"] == e["petitions"] and k["petitions_prev_year"] == e["petitions_prev_year"]
    assert k["petitions"] < k["petitions_prev_year"]


# ------------------------------------------------------------------------------ the folder


def test_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    real = out / "真实导出.csv"
    real.write_text("keep me", "utf-8")
    with pytest.raises(FileExistsError):
        demo.generate(out, "small", SEED)
    assert real.read_text("utf-8") == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["真实导出.csv"]


def test_rewrites_its_own_folder_and_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert cli_main(["demo", "--out", str(out), "--scale", "small", "--seed", "5"]) == 0
    err = capsys.readouterr().err
    assert "走访记录 2023Q1" in err and "完成" in err
    first = _hashes(out)
    # a second run clears only its own files and writes the same set again
    assert cli_main(["demo", "--out", str(out), "--scale", "small", "--seed", "5"]) == 0
    assert _hashes(out) == first
    (out / "别人的文件.xlsx").write_bytes(b"x")
    assert cli_main(["demo", "--out", str(out), "--scale", "small", "--seed", "5"]) == 2
    assert (out / "别人的文件.xlsx").read_bytes() == b"x"


def test_files_are_as_messy_as_real_exports(small: tuple[demo.DemoSummary, Path]) -> None:
    """GB18030 and UTF-8-BOM CSVs, workbooks with a merged title and an export-time row above
    the header, codes and phone numbers that Excel stored as numbers, English headers in one
    file, more than one date form."""
    import openpyxl

    summary, _ = small
    out = summary.out
    gb, bom = [], []
    for name in summary.files:
        if not name.endswith(".csv"):
            continue
        raw = (out / name).read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            bom.append(name)
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raw.decode("gb18030")
            gb.append(name)
    assert any("走访登记表" in n for n in gb) and any("走访登记表" in n for n in bom)
    workbook = next(n for n in summary.files if "网格员台账" in n)
    wb = openpyxl.load_workbook(out / workbook)
    assert len(wb.sheetnames) >= 2
    numeric_codes = 0
    for ws in wb.worksheets:
        assert ws.merged_cells.ranges, ws.title
        assert str(ws["A1"].value).endswith("台账")
        assert str(ws["A2"].value).startswith("导出时间：")
        header = [c.value for c in ws[3]]
        assert match_header(header) is not None and match_header(header).kind.name == "grids"
        col = header.index("网格编码") + 1
        for row in ws.iter_rows(min_row=4, min_col=col, max_col=col, values_only=True):
            numeric_codes += isinstance(row[0], int | float)
    assert numeric_codes > 0
    english = [n for n in summary.files if n.endswith(".csv") and "household_id" in
               (out / n).read_bytes()[:200].decode("utf-8", "ignore")]  # fmt: skip
    assert english
    text = (out / next(n for n in gb if "信访登记台账_2022" in n)).read_bytes().decode("gb18030")
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text)
