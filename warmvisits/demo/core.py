"""``generate()``: write a complete demo export set, and the ``warmvisits demo`` command."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from warmvisits.demo import activity as A
from warmvisits.demo import names as N
from warmvisits.demo.output import (
    PlantedRow,
    Sheet,
    as_text,
    minimal_pdf,
    note_text,
    prepare_dir,
    write_csv,
    write_manifest,
    write_xlsx,
)
from warmvisits.demo.places import SCALES, Places, build_places
from warmvisits.rules import REJECT_RULES, WARNING_RULES
from warmvisits.schema import KINDS

CN_NUM = {1: "一", 2: "二", 3: "三", 4: "四"}


@dataclass
class DemoSummary:
    out: Path
    scale: str
    seed: int
    files: list[str]
    rows: dict[str, int]  # regular (valid) rows per kind
    planted: list[PlantedRow]  # extra bad rows (rejects) and marked regular rows (warnings)
    expected: dict[str, float | int | None]  # 2023Q1 district figures of METRICS.md
    variation: dict[str, object]  # the unevenness planted on purpose
    bytes: int = 0
    seconds: float = 0.0

    @property
    def rejects(self) -> list[PlantedRow]:
        """The planted rows the build must reject."""
        return [p for p in self.planted if p.rule in REJECT_RULES]

    @property
    def warnings(self) -> list[PlantedRow]:
        """The planted regular rows the build keeps with a warning."""
        return [p for p in self.planted if p.rule in WARNING_RULES]


def _zh(kind: str, df: pl.DataFrame) -> pl.DataFrame:
    names = {c.name: c.zh for c in KINDS[kind].columns}
    return df.rename({c: names[c] for c in df.columns if c in names})


def _zh_row(kind: str, row: dict[str, str | None]) -> dict[str, str | None]:
    names = {c.name: c.zh for c in KINDS[kind].columns}
    return {names.get(k, k): v for k, v in row.items()}


class _Writer:
    def __init__(self, out: Path, progress: Callable[[str], None]) -> None:
        self.out = out
        self.files: list[str] = []
        self.planted: list[PlantedRow] = []
        self.rows: dict[str, int] = {}
        self.progress = progress

    def _count(self, sheet: Sheet) -> None:
        self.rows[sheet.kind] = self.rows.get(sheet.kind, 0) + sheet.df.height

    def csv(self, name: str, sheet: Sheet, encoding: str) -> None:
        self._count(sheet)
        df, planted = sheet.finish(name)
        write_csv(self.out / name, df, encoding)
        self.files.append(name)
        self.planted += planted

    def xlsx(self, name: str, sheets: list[Sheet], created: datetime) -> None:
        done = []
        for s in sheets:
            self._count(s)
            df, planted = s.finish(name)
            done.append((s, df))
            self.planted += planted
        write_xlsx(self.out / name, done, created)
        self.files.append(name)


def _grids_sheets(places: Places) -> list[Sheet]:
    g = places.grids.with_columns(
        pl.col("lon").map_elements(lambda v: f"{v:.6f}", return_dtype=pl.Utf8),
        pl.col("lat").map_elements(lambda v: f"{v:.6f}", return_dtype=pl.Utf8),
    )
    cols = [c.name for c in KINDS["grids"].columns]
    street = places.townships.filter(pl.col("is_street"))["township_code"].to_list()
    out = []
    for name, sel, numeric in (
        ("城区街道", pl.col("township_code").is_in(street), {"经度", "纬度"}),
        ("乡镇", ~pl.col("township_code").is_in(street), {"乡镇街道编码", "村社区编码", "网格编码", "网格员电话", "经度", "纬度"}),
    ):  # fmt: skip
        df = _zh("grids", as_text(g.filter(sel).select(cols)))
        if df.height:
            out.append(
                Sheet(name, df, "grids", f"{N.DISTRICT}城乡网格员台账", "导出时间：2023-01-12 09:30:15",
                      frozenset(numeric))
            )  # fmt: skip
    return out


def _menu_sheet() -> Sheet:
    rows = []
    for code, question, version, atype, dept, unfav in N.MENU:
        theme = N.THEMES[int(code[1]) - 1]
        rows.append((code, theme, question, version, atype, dept, unfav or None))
    df = pl.DataFrame(
        rows,
        schema=["item_code", "theme", "question", "form_version", "answer_type", "department", "unfavourable"],
        orient="row",
    )  # fmt: skip
    return Sheet(
        "问卷题目", _zh("menu", df), "menu", f"{N.DISTRICT}“四季菜单·暖心走访”问卷题目（2023版）",
        "导出时间：2023-02-10 16:05:00",
    )  # fmt: skip


def generate(
    out: Path,
    scale: str = "district",
    seed: int = 2023,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Write a complete demo export set into ``out`` and say what was planted in it."""
    t_start = time.perf_counter()
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: one of {', '.join(SCALES)}")
    sc = SCALES[scale]
    out = Path(out)
    say = progress or (lambda _msg: None)
    prepare_dir(out)
    plant_rng = np.random.default_rng([seed, 90])
    w = _Writer(out, say)

    places = build_places(sc, seed)
    var = A.plan_variation(places, seed)
    g = places.grids
    hh = places.households
    say(f"地区：{places.townships.height} 个乡镇街道，{places.villages.height} 个村社区，"
        f"{g.height} 个网格，{hh.height} 户")  # fmt: skip

    # ---- grids
    sheets = _grids_sheets(places)
    tgt = sheets[-1]
    vil_row = tgt.df.row(0, named=True)
    bad_code = dict(vil_row)
    bad_code["网格编码"] = vil_row["网格编码"][:14]
    bad_code["网格名称"] = vil_row["村社区"] + "新建网格"
    tgt.plant(plant_rng, bad_code, "bad_code", "14-digit grid code")
    bad_wkt = dict(vil_row)
    bad_wkt["网格编码"] = vil_row["村社区编码"] + "990"
    bad_wkt["网格名称"] = vil_row["村社区"] + "第99网格"
    bad_wkt["边界"] = "LINESTRING (115.700000 33.800000, 115.710000 33.810000)"
    tgt.plant(plant_rng, bad_wkt, "bad_boundary", "boundary is a LINESTRING")
    w.xlsx(
        f"{N.DISTRICT}城乡网格员台账（2023年1月更新）.xlsx",
        sheets,
        datetime(2023, 1, 12, 9, 30, 15),
    )

    # ---- menu
    menu = _menu_sheet()
    bad_menu = {"题目编码": "M8Q9", "主题": "民生诉求", "题目": "您对本次走访的其他意见建议？",
                "适用版本": "全部", "答案类型": "是否", "责任部门": "区委组织部", "不利选项": None}  # fmt: skip
    menu.plant(plant_rng, bad_menu, "bad_enum", "适用版本 全部")
    w.xlsx(
        f"{N.DISTRICT}“四季菜单”暖心走访问卷题目（2023版）.xlsx",
        [menu],
        datetime(2023, 2, 10, 16, 5),
    )
    say("网格台账、问卷题目已写出")

    # ---- households, one register per township
    hh_txt = hh.with_columns(pl.col("members").cast(pl.Utf8))
    t_of_hh = g["t_idx"].to_numpy()[places.hh_grid]
    sizes = np.bincount(t_of_hh, minlength=places.townships.height)
    xlsx_t = set(np.argsort(sizes, kind="stable")[: sc.household_xlsx_townships].tolist())
    csv_seen = 0
    for ti, trow in enumerate(places.townships.iter_rows(named=True)):
        part = hh_txt.filter(pl.Series(t_of_hh == ti))
        tname = trow["township_name"]
        if ti in xlsx_t:
            part = part.with_columns(
                pl.when(pl.col("status") == "在册").then(None).otherwise(pl.col("status")).alias("status")
            )  # fmt: skip
            s = Sheet("住户花名册", _zh("households", part), "households", f"{tname}住户信息登记表",
                      "导出时间：2023-01-15 10:02:41", frozenset({"网格编码", "联系电话", "户籍人数"}))  # fmt: skip
            w.xlsx(f"{tname}住户花名册.xlsx", [s], datetime(2023, 1, 15, 10, 2, 41))
            continue
        english = csv_seen == 1
        df = part if english else _zh("households", part)
        s = Sheet(None, df, "households")
        if csv_seen == 0:
            # the planted household rows
            def row(k: int, part: pl.DataFrame = part, **kw: str | None) -> dict[str, str | None]:
                base = part.row(k, named=True)
                base.update(kw)
                return _zh_row("households", base)

            gc = part["grid_code"][0]
            other = part.filter(pl.col("grid_code") != gc)["grid_code"][0]
            s.plant(
                plant_rng,
                row(0, household_id=f"{gc}-9901", head_name=None),
                "missing_required",
                "户主姓名 blank",
            )
            s.plant(
                plant_rng,
                row(1, household_id=f"{gc}-9902", grid_code=other),
                "household_grid_mismatch",
            )
            s.plant(
                plant_rng,
                row(2, household_id=f"{gc}-9903", status="待核实"),
                "bad_enum",
                "状态 待核实",
            )
            s.plant(
                plant_rng,
                row(3, household_id=f"{gc}-9904", members="0"),
                "bad_number",
                "户籍人数 0",
            )
            ghost = gc[:12] + "987"
            s.plant(
                plant_rng, row(4, household_id=f"{ghost}-0001", grid_code=ghost), "unknown_grid"
            )
            s.mark(part.height // 2, {s.df.columns[3]: "138123456"}, "bad_phone", "9-digit phone")
        enc = "utf-8-sig" if trow["is_street"] else ("gb18030" if ti % 2 else "utf-8")
        w.csv(f"{N.DISTRICT}住户台账_{tname}.csv", s, enc)
        csv_seen += 1
    say(f"住户台账已写出（{hh.height} 户）")

    # ---- visit rounds
    reg = (hh["status"] == "在册").to_numpy()
    hh_ids = hh["household_id"]
    grid_codes = g["grid_code"]
    leaders = g["leader_name"]
    urban_g = g["is_urban"].to_numpy()
    drafts = []
    backchecks = []
    expected: dict[str, float | int | None] = {}
    methods = pl.Series(A.METHOD_NAMES)
    for r, code in enumerate(A.ROUNDS):
        vis = A.round_visits(r, places, var, seed)
        draft, case_of_visit, _ = A.visit_cases(r, vis, places, sc.visit_cases[r], seed)
        drafts.append(draft)
        ok = vis.method != 2
        rng_bc = np.random.default_rng([seed, 70, r])
        pick = rng_bc.choice(
            np.nonzero(ok)[0], min(sc.backchecks_per_round, int(ok.sum())), replace=False
        )
        backchecks.append((vis.hh[pick], vis.date[pick]))
        if r == 0:
            sel = ok & reg[vis.hh]
            expected["registered_households"] = int(reg.sum())
            seen = np.zeros(reg.size, dtype=bool)
            seen[vis.hh[sel]] = True
            expected["visited_households"] = int(seen.sum())
            seen[:] = False
            seen[vis.hh[sel & (vis.method == 0)]] = True
            expected["door_households"] = int(seen.sum())
        # problems raised: the report that went into a case
        texts = []
        for c, cat in enumerate(N.CATEGORIES):
            for t in N.CASE_TITLES[cat]:
                texts.append((c, N.PROBLEM_TEXT[cat].format(t=t)))
        lookup = {}
        k = 0
        for c, cat in enumerate(N.CATEGORIES):
            for j in range(len(N.CASE_TITLES[cat])):
                lookup[(c, j)] = k
                k += 1
        table = np.array([t for _, t in texts] + [None], dtype=object)
        code_of = np.full(vis.seq.size, len(texts), dtype=np.int64)
        linked = np.nonzero(case_of_visit >= 0)[0]
        ci = case_of_visit[linked]
        flat = np.array([lookup[(c, j)] for c, j in zip(draft.category[ci].tolist(), draft.title_idx[ci].tolist(), strict=True)], dtype=np.int64)  # fmt: skip
        if linked.size:
            code_of[linked] = flat
        problems = pl.Series(table[code_of].tolist(), dtype=pl.Utf8)
        year, q = code[:4], int(code[-1])
        round_text = f"{year}年第{CN_NUM[q]}季度" if code == "2023Q2" else code
        for form, is_urban in (("城市版", True), ("农村版", False)):
            rows = np.nonzero(urban_g[vis.g] == is_urban)[0]
            if rows.size == 0:
                continue
            base = pl.DataFrame(
                {
                    "seq": vis.seq[rows],
                    "household_id": hh_ids.gather(vis.hh[rows]),
                    "grid_code": grid_codes.gather(vis.g[rows]),
                    "visit_date": vis.date[rows],
                    "method": methods.gather(vis.method[rows]),
                    "visitor": leaders.gather(vis.g[rows]),
                    "problems_raised": problems.gather(rows),
                }
            )
            df = base.select(
                A.visit_id_expr(code, pl.col("seq")).alias("visit_id"),
                pl.lit(round_text).alias("round"),
                "household_id",
                "grid_code",
                pl.col("visit_date").dt.strftime("%Y-%m-%d" if year == "2023" else "%Y/%-m/%-d"),
                "method",
                "visitor",
                pl.lit(form).alias("form_version"),
                "problems_raised",
            )
            answers = A.answer_codes(vis, rows, places, r, seed)
            df = _zh("visits", df).with_columns(**answers)
            if year == "2024":
                first = [
                    "户编码",
                    "网格编码",
                    "走访编号",
                    "走访日期",
                    "走访人",
                    "走访方式",
                    "走访轮次",
                ]
                df = df.select(first + [c for c in df.columns if c not in first])
            s = Sheet(None, df, "visits")
            if r == 0 and is_urban:
                _plant_visits(s, plant_rng, int(vis.seq.size), code, grid_codes)
            if r == 1 and is_urban:
                k = int(np.nonzero(df["走访方式"].to_numpy() == "入户")[0][0])
                s.mark(k, {"M1Q2": "E"}, "answer_not_an_option", "M1Q2=E")
            name = f"{N.DISTRICT}{year}年第{CN_NUM[q]}季度暖心走访登记表（{form}）"
            if code == "2023Q3" and not is_urban:
                name += "(1)"
            w.csv(name + ".csv", s, "gb18030" if year == "2023" else "utf-8-sig")
        say(f"走访记录 {code}：{vis.seq.size} 条，事项 {draft.g.size} 件")

    # ---- cases and their flow
    cases = A.flow_cases(drafts + A.other_cases(places, sc, seed), places, sc, seed)
    ct = cases.table
    t_end = datetime(2023, 3, 31, 23, 59, 59)
    q1 = ct.filter(
        (pl.col("source") == "暖心走访")
        & pl.col("received_at").is_between(datetime(2023, 1, 1), t_end)
    )
    expected["cases_received"] = q1.height
    expected["cases_resolved"] = q1.filter(pl.col("resolved_at") <= t_end).height
    cols = [c.name for c in KINDS["cases"].columns]
    ct = ct.with_columns(pl.Series("grid_code", grid_codes.gather(ct["g"].to_numpy())))
    for year, enc, fmt in (
        ("2023", "utf-8", "%Y-%m-%d %H:%M:%S"),
        ("2024", "gb18030", "%Y/%-m/%-d %H:%M"),
    ):
        part = ct.filter(pl.col("received_at").dt.year() == int(year))
        if year == "2024":
            part = part.with_columns(pl.lit(None, dtype=pl.Datetime("ms")).alias("due_at"))
        txt = _zh(
            "cases",
            as_text(part.select(cols), {"received_at": fmt, "resolved_at": fmt, "due_at": fmt}),
        )
        s = Sheet(None, txt, "cases")
        if year == "2023":
            _plant_cases(s, plant_rng, txt)
        else:
            k = int(np.nonzero(txt["关联走访编号"].is_not_null().to_numpy())[0][0])
            link = str(txt["关联走访编号"][k]) + "、ZF2419999999"
            s.mark(k, {"关联走访编号": link}, "unknown_visit_link")
        w.csv(f"一网共治平台事项台账_{year}年.csv", s, enc)
        ev = cases.events.join(
            part.select("case_id"), on="case_id", how="semi", maintain_order="left"
        ).sort("at", maintain_order=True)
        etxt = _zh(
            "case_events",
            as_text(ev.select("case_id", "at", "action", "level", "unit", "note"), {"at": fmt}),
        )
        s = Sheet(None, etxt, "case_events")
        if year == "2023":
            _plant_events(s, plant_rng, etxt)
        w.csv(f"一网共治平台流转记录_{year}年.csv", s, "utf-8-sig" if year == "2023" else "gb18030")
    say(f"事项台账 {ct.height} 件，流转记录 {cases.events.height} 条")

    # ---- callbacks
    cb = A.callbacks(cases, backchecks, places, seed)
    in_q1 = cb.filter(pl.col("called_at").is_between(datetime(2023, 1, 1), t_end))
    answered = in_q1.filter(pl.col("outcome") != "未接通")
    good = answered.filter(pl.col("outcome").is_in(["满意", "基本满意"])).height
    expected["callbacks"] = in_q1.height
    expected["callbacks_answered"] = answered.height
    expected["satisfaction_rate"] = good / answered.height if answered.height else None
    cb_cols = [
        "callback_id",
        "household_id",
        "case_id",
        "called_at",
        "caller",
        "outcome",
        "comment",
    ]
    for year, enc in (("2023", "utf-8"), ("2024", "utf-8-sig")):
        part = cb.filter(pl.col("called_at").dt.year() == int(year)).select(cb_cols)
        txt = _zh("callbacks", as_text(part, {"called_at": "%Y-%m-%d %H:%M"}))
        s = Sheet(None, txt, "callbacks")
        if year == "2023":
            _plant_callbacks(s, plant_rng, txt)
        w.csv(f"满意度回访记录_{year}年.csv", s, enc)
    say(f"回访记录 {cb.height} 条")

    # ---- petitions
    pet = A.petitions(places, sc, var, seed)
    n23 = pet.filter(
        pl.col("registered_on").is_between(datetime(2023, 1, 1), datetime(2023, 3, 31))
    ).height
    n22 = pet.filter(
        pl.col("registered_on").is_between(datetime(2022, 1, 1), datetime(2022, 3, 31))
    ).height
    expected["petitions"] = n23
    expected["petitions_prev_year"] = n22
    expected["petitions_yoy"] = (n23 - n22) / n22 if n22 else None
    p_cols = [
        "petition_id",
        "registered_on",
        "township_code",
        "channel",
        "category",
        "persons",
        "repeat",
    ]
    for year, enc, fmt in (
        ("2022", "gb18030", "%Y年%-m月%-d日"),
        ("2023", "gb18030", "%Y/%-m/%-d"),
        ("2024", "utf-8", "%Y-%m-%d"),
    ):
        part = pet.filter(pl.col("registered_on").dt.year() == int(year)).select(p_cols)
        txt = _zh("petitions", as_text(part, {"registered_on": fmt}))
        s = Sheet(None, txt, "petitions")
        if year == "2023":
            _plant_petitions(s, plant_rng, txt)
        w.csv(f"{N.DISTRICT}信访登记台账_{year}年.csv", s, enc)
    say(f"信访登记 {pet.height} 件")

    # ---- notes that the reader must list and skip
    files = sorted(w.files)
    (out / "说明.txt").write_bytes(note_text(scale, seed, files).encode("utf-8"))
    (out / "数据导出说明.pdf").write_bytes(minimal_pdf("Qiaocheng warm visits export (demo data)"))
    all_files = sorted(files + ["说明.txt", "数据导出说明.pdf"])
    write_manifest(out, scale, seed, all_files)
    total = sum((out / f).stat().st_size for f in all_files)
    tw = places.townships["township_name"].to_list()
    variation: dict[str, object] = {
        "lagging_townships": [tw[i] for i in var.lagging_townships],
        "lagging_grids": grid_codes.gather(var.lagging_grids).to_list(),
        "one_day_grids": {r: grid_codes.gather(v).to_list() for r, v in var.one_day_grids.items()},
        "all_door_grids": {
            r: grid_codes.gather(v).to_list() for r, v in var.all_door_grids.items()
        },
        "outside_window_grids": {
            r: grid_codes.gather(v).to_list() for r, v in var.outside_window_grids.items()
        },
        "slow_departments": var.slow_departments,
        "rising_petitions_township": tw[var.rising_township],
        "round_windows": dict(A.WINDOWS),
    }
    summary = DemoSummary(
        out=out,
        scale=scale,
        seed=seed,
        files=all_files,
        rows=w.rows,
        planted=sorted(w.planted, key=lambda p: (p.file, p.sheet or "", p.row_number)),
        expected=expected,
        variation=variation,
        bytes=total,
        seconds=time.perf_counter() - t_start,
    )
    say(f"完成：{len(all_files)} 个文件，{total / 1e6:.0f} MB，{summary.seconds:.1f} 秒")
    return summary


def _plant_visits(s: Sheet, rng: np.random.Generator, n: int, code: str, grids: pl.Series) -> None:
    df = s.df
    new_id = iter(A.visit_id_expr(code, pl.lit(n + 1 + k)).alias("x") for k in range(20))

    def nid() -> str:
        return pl.select(next(new_id)).item()

    def base(k: int, **kw: str | None) -> dict[str, str | None]:
        row = df.row(k % df.height, named=True)
        row["反映问题"] = None
        row.update(kw)
        return row

    i = int(rng.integers(0, df.height))
    row0 = df.row(i, named=True)
    other = df.filter(pl.col("网格编码") != row0["网格编码"])["网格编码"][0]
    s.plant(rng, base(i, 走访编号=nid(), 网格编码=other), "visit_grid_mismatch")
    s.plant(rng, base(i + 1, 走访编号=nid(), 走访日期="2023-02-30"), "bad_date", "2023-02-30")
    ghost = row0["网格编码"] + "-9931"
    s.plant(
        rng,
        base(i + 2, 走访编号=nid(), 户编码=ghost, 网格编码=row0["网格编码"]),
        "unknown_household",
    )
    s.plant(rng, base(i + 3, 走访编号=nid(), 走访方式="上门"), "bad_enum", "走访方式 上门")
    s.plant(rng, base(i + 4, 走访编号=nid(), 走访轮次="2023Q5"), "bad_round")
    s.plant(rng, base(i + 5, 走访编号=nid(), 走访人=None), "missing_required", "走访人 blank")
    j = int(rng.integers(0, df.height // 2))
    dup = base(j)
    dup["走访日期"] = "2023-03-04" if dup["走访日期"] != "2023-03-04" else "2023-03-03"
    s.plant(rng, dup, "duplicate_key", f"走访编号 {dup['走访编号']} again", after=j)


def _case_row(df: pl.DataFrame, k: int, **kw: str | None) -> dict[str, str | None]:
    row = df.row(k, named=True)
    row.update({"关联走访编号": None, "来源": "暖心走访"})
    row.update(kw)
    return row


def _plant_cases(s: Sheet, rng: np.random.Generator, df: pl.DataFrame) -> None:
    may = df.filter(pl.col("受理时间").str.starts_with("2023-05"))
    src = may if may.height >= 6 else df
    ids = [f"SJ202305{10 + k}99{k:02d}" for k in range(6)]

    def r(k: int, **kw: str | None) -> dict[str, str | None]:
        return _case_row(src, k % src.height, 事项编号=ids[k], **kw)

    recv = [src.row(k % src.height, named=True)["受理时间"] for k in range(6)]

    def shift(ts: str, days: int) -> str:
        d = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S")
        return (d + np.timedelta64(days, "D").item()).strftime("%Y-%m-%d %H:%M:%S")

    s.plant(rng, r(0, 状态="已办结", 当前层级="村社区", 办结时间=None), "resolved_without_time")
    s.plant(
        rng,
        r(1, 状态="已办结", 当前层级="村社区", 办结时间=shift(recv[1], -2)),
        "resolved_before_received",
    )
    s.plant(
        rng,
        r(2, 状态="办理中", 当前层级="村社区", 办结时间=shift(recv[2], 3)),
        "resolved_time_not_resolved",
    )
    s.plant(
        rng,
        r(3, 网格编码=src.row(3 % src.height, named=True)["网格编码"][:12] + "986"),
        "unknown_grid",
    )
    s.plant(
        rng,
        r(4, 状态="办理中", 当前层级="乡镇街道", 办结时间=None, 办结时限=shift(recv[4], -1)),
        "due_before_received",
    )
    s.plant(rng, r(5, 复杂程度="特急"), "bad_enum", "复杂程度 特急")


def _plant_events(s: Sheet, rng: np.random.Generator, df: pl.DataFrame) -> None:
    k = int(rng.integers(0, df.height))
    row = df.row(k, named=True)
    s.plant(rng, {**row, "事项编号": "SJ202305209999"}, "unknown_case")
    s.plant(rng, {**row, "动作": "签收", "说明": None}, "bad_enum", "动作 签收")
    s.plant(rng, {**row, "时间": "2023-13-01 10:00:00", "说明": None}, "bad_date")


def _plant_callbacks(s: Sheet, rng: np.random.Generator, df: pl.DataFrame) -> None:
    later = df.filter(pl.col("回访时间") >= "2023-05")
    src = later if later.height >= 2 else df
    a, b = src.row(0, named=True), src.row(src.height - 1, named=True)
    ghost = a["户编码"][:15] + "-9941"
    s.plant(
        rng,
        {**a, "回访编号": "HF202305019901", "户编码": ghost, "事项编号": None},
        "unknown_household",
    )
    s.plant(
        rng,
        {**b, "回访编号": "HF202305019902", "回访结果": "非常满意"},
        "bad_enum",
        "回访结果 非常满意",
    )


def _plant_petitions(s: Sheet, rng: np.random.Generator, df: pl.DataFrame) -> None:
    src = df.filter(pl.col("登记日期").str.starts_with("2023/5/"))
    src = src if src.height >= 4 else df
    rows = [src.row(k % src.height, named=True) for k in range(4)]
    ids = [f"XF2023{990001 + k}" for k in range(4)]
    s.plant(
        rng,
        {**rows[0], "信访编号": ids[0], "乡镇街道编码": N.COUNTY_CODE + "998"},
        "unknown_township",
    )
    s.plant(rng, {**rows[1], "信访编号": ids[1], "人数": "0"}, "bad_number", "人数 0")
    s.plant(rng, {**rows[2], "信访编号": ids[2], "信访形式": "传真"}, "bad_enum", "信访形式 传真")
    s.plant(rng, {**rows[3], "信访编号": ids[3], "登记日期": "2023/2/30"}, "bad_date")


def cli_demo(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:5.1f}s] {msg}", file=sys.stderr, flush=True)

    try:
        summary = generate(Path(args.out), args.scale, args.seed, progress)
    except FileExistsError as exc:
        print(f"warmvisits demo: {exc}", file=sys.stderr)
        return 2
    e = summary.expected
    n_bad = len(summary.rejects)
    print(
        f"演示数据已写入 {summary.out}（{summary.scale}，种子 {summary.seed}）：{len(summary.files)} 个文件，"
        f"{sum(summary.rows.values())} 行，另植入 {n_bad} 行错误数据、{len(summary.planted) - n_bad} 行警告数据。"
        f"2023Q1：走访 {e.get('visited_households')} 户，事项 {e.get('cases_received')} 件，"
        f"办结 {e.get('cases_resolved')} 件。",
        file=sys.stderr,
    )
    return 0
