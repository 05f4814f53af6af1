"""The demo district's places and people: townships, villages, grids with boundaries, households.

Everything is drawn from one numpy generator per part, vectorised over households; the layout of
boundaries is a nested treemap of rectangles (district → township → village → grid), so cells
never overlap and each grid's area follows its number of households.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from warmvisits.demo import names as N


@dataclass(frozen=True)
class Scale:
    name: str
    n_streets: int
    n_towns: int
    n_villages: int
    n_grids: int
    hh_mean: float
    visit_cases: tuple[int, ...]  # cases from visits, per round 2023Q1 … 2024Q4
    resolved_q1: int  # of the 2023Q1 ones, resolved by 2023-03-31 23:59:59
    hotline_per_quarter: int
    other_per_quarter: int
    backchecks_per_round: int
    petitions: tuple[int, ...]  # per quarter 2022Q1 … 2024Q4
    household_xlsx_townships: int  # how many small townships get an .xlsx register


_DISTRICT_CASES = (8849, 8126, 8472, 7315, 7984, 7452, 7718, 6651)
_DISTRICT_PETITIONS = (1250, 1183, 1216, 1139, 878, 905, 884, 861, 822, 846, 801, 787)

SCALES: dict[str, Scale] = {
    "small": Scale(
        "small", 1, 2, 5, 16, 24.0, (14, 12, 13, 11, 12, 11, 12, 10), 9, 6, 2, 6,
        (40, 37, 38, 35, 28, 29, 27, 27, 26, 27, 25, 24), 1,
    ),
    "district": Scale(
        "district", 4, 22, 275, 5320, 101.9, _DISTRICT_CASES, 5980, 1480, 310, 320,
        _DISTRICT_PETITIONS, 1,
    ),
    "city": Scale(
        "city", 20, 110, 1375, 26600, 101.9, tuple(5 * c for c in _DISTRICT_CASES), 5 * 5980,
        5 * 1480, 5 * 310, 5 * 320, tuple(5 * p for p in _DISTRICT_PETITIONS), 4,
    ),
}  # fmt: skip

# Places named in the published report: (township, village, type, grids, households)
SPECIAL_VILLAGES = [
    ("薛阁街道", "马元社区", "社区", 130, 13367),
    ("芦庙镇", "袁庄村", "村", 15, 1519),
    ("魏岗镇", "高楼村", "村", 14, None),
]
SMALL_LAYOUT = [  # township, [(village, type, grids)]
    ("薛阁街道", [("马元社区", "社区", 4), ("芍花社区", "社区", 3)]),
    ("芦庙镇", [("袁庄村", "村", 4), ("李楼村", "村", 2)]),
    ("魏岗镇", [("高楼村", "村", 3)]),
]

CENTRE = (115.78, 33.85)
SPAN = (0.52, 0.43)  # degrees of longitude and latitude the district spans


@dataclass
class Places:
    townships: pl.DataFrame  # township_code, township_name, township_type, is_street
    villages: pl.DataFrame  # village_code, village_name, village_type, township_code, t_idx
    grids: pl.DataFrame  # grid_code, … , v_idx, t_idx, lon, lat, boundary_wkt, flags
    households: pl.DataFrame  # household_id, grid index g_idx, attributes
    hh_grid: np.ndarray  # grid index per household
    hh_leave: np.ndarray  # first round index in which the household is no longer there (8 = never)


def _largest_remainder(weights: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    base = np.full(len(w), minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError("total too small for the minimum")
    share = w / w.sum() * rest
    fl = np.floor(share).astype(np.int64)
    left = rest - fl.sum()
    order = np.argsort(-(share - fl), kind="stable")
    fl[order[:left]] += 1
    return base + fl


def _split(rect: tuple[float, float, float, float], weights: list[float]) -> list[tuple]:
    """Cut a rectangle into len(weights) rectangles with areas in proportion to the weights,
    as columns of stacked cells, cells near-square. Cuts land exactly on the parent's edges."""
    x0, y0, x1, y1 = rect
    n = len(weights)
    if n == 0:
        return []
    w_km = (x1 - x0) * 92.5
    h_km = (y1 - y0) * 111.0
    ncols = max(1, min(n, round(math.sqrt(n * w_km / max(h_km, 1e-9)))))
    total = float(sum(weights))
    # contiguous groups of roughly equal weight
    groups: list[list[int]] = [[] for _ in range(ncols)]
    acc = 0.0
    for i, wt in enumerate(weights):
        col = min(ncols - 1, int(acc / total * ncols + 1e-9))
        # keep enough items for the remaining columns
        col = max(col, ncols - (n - i)) if n - i <= ncols else col
        groups[col].append(i)
        acc += wt
    groups = [g for g in groups if g]
    col_tot = [sum(weights[i] for i in g) for g in groups]
    out: list[tuple] = [()] * n
    cx = 0.0
    for k, g in enumerate(groups):
        xa = x0 + (x1 - x0) * cx / total
        cx += col_tot[k]
        xb = x1 if k == len(groups) - 1 else x0 + (x1 - x0) * cx / total
        cy = 0.0
        for j, i in enumerate(g):
            ya = y0 + (y1 - y0) * cy / col_tot[k]
            cy += weights[i]
            yb = y1 if j == len(g) - 1 else y0 + (y1 - y0) * cy / col_tot[k]
            out[i] = (xa, ya, xb, yb)
    return out


def _wkt(r: tuple) -> str:
    x0, y0, x1, y1 = (f"{v:.6f}" for v in r)
    return f"POLYGON (({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


def _township_names(scale: Scale, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    streets = list(N.STREETS[: scale.n_streets])
    towns = list(N.TOWNS[: scale.n_towns])
    used = set(streets) | set(towns)
    chars = list(N.PLACE_CHARS)
    while len(streets) < scale.n_streets or len(towns) < scale.n_towns:
        i, j = (int(x) for x in rng.integers(0, len(chars), 2))
        stem = chars[i] + chars[j]
        if stem[0] == stem[1]:
            continue
        if len(streets) < scale.n_streets:
            name = stem + "街道"
            target = streets
        else:
            name = stem + ("乡" if rng.random() < 0.1 else "镇")
            target = towns
        if name not in used and not any(name[:2] == u[:2] for u in used):
            used.add(name)
            target.append(name)
    return streets, towns


def _name_pool(rng: np.random.Generator, count: int, used: set[str]) -> list[str]:
    out: list[str] = []
    surnames = list(N.SURNAMES)
    suffixes = list(N.VILLAGE_SUFFIX)
    tries = 0
    while len(out) < count:
        a, b, c = (int(x) for x in rng.integers(0, 1 << 30, 3))
        stem = surnames[a % len(surnames)]
        if tries > 20 * count:  # single-character stems used up (city scale): two characters
            stem += surnames[c % len(surnames)]
        name = stem + suffixes[b % len(suffixes)] + "村"
        tries += 1
        if name not in used:
            used.add(name)
            out.append(name)
    return out


def _community_pool(rng: np.random.Generator, count: int, used: set[str]) -> list[str]:
    out: list[str] = []
    base = [c + "社区" for c in N.COMMUNITY_NAMES]
    for c in base:
        if len(out) >= count:
            break
        if c not in used:
            used.add(c)
            out.append(c)
    chars = list(N.PLACE_CHARS)
    while len(out) < count:
        name = "".join(rng.choice(chars, 2)) + "社区"
        if name not in used:
            used.add(name)
            out.append(name)
    return out


def _hierarchy(scale: Scale, rng: np.random.Generator) -> tuple[list, list]:
    """townships: (code, name, type, is_street); villages: (code, name, type, t_idx, n_grids)"""
    if scale.name == "small":
        tws: list = []
        vls: list = []
        for ti, (tname, vlist) in enumerate(SMALL_LAYOUT):
            is_street = tname.endswith("街道")
            code = N.COUNTY_CODE + (f"{ti + 1:03d}" if is_street else f"{100 + ti:03d}")
            tws.append((code, tname, "街道" if is_street else "镇", is_street))
            for vi, (vname, vtype, ng) in enumerate(vlist):
                vls.append((f"{code}{vi + 1:03d}", vname, vtype, ti, ng))
        return tws, vls

    streets, towns = _township_names(scale, rng)
    tws = []
    for i, name in enumerate(streets):
        tws.append((f"{N.COUNTY_CODE}{i + 1:03d}", name, "街道", True))
    for i, name in enumerate(towns):
        ttype = "乡" if name.endswith("乡") else "镇"
        tws.append((f"{N.COUNTY_CODE}{101 + i:03d}", name, ttype, False))

    # villages per township: street offices about 9 (mostly communities), towns share the rest
    n_st = len(streets)
    st_counts = [int(rng.integers(8, 11)) for _ in range(n_st)]
    rest = scale.n_villages - sum(st_counts)
    town_counts = _largest_remainder(rng.uniform(0.7, 1.3, len(towns)), rest, 6)
    counts = st_counts + [int(c) for c in town_counts]

    used: set[str] = {v for _, v, _, _, _ in SPECIAL_VILLAGES}
    specials = {t: (v, vt, g, h) for t, v, vt, g, h in SPECIAL_VILLAGES}
    n_comm = sum(c - 2 for c in st_counts) + len(towns) + 5
    comm_pool = _community_pool(rng, n_comm, used)
    vill_pool = _name_pool(rng, scale.n_villages, used)
    vls = []
    weights: list[float] = []
    fixed: dict[int, int] = {}
    for ti, (code, tname, _ttype, is_street) in enumerate(tws):
        entries: list[tuple[str, str, float]] = []
        for k in range(counts[ti]):
            if is_street:
                vtype = "村" if k >= counts[ti] - 2 else "社区"
            else:
                vtype = "社区" if k == 0 else "村"
            if vtype == "社区":
                name = comm_pool.pop(0)
                w = (
                    rng.lognormal(math.log(42), 0.35)
                    if is_street
                    else rng.lognormal(math.log(28), 0.3)
                )
            else:
                name = vill_pool.pop(0)
                w = rng.lognormal(math.log(16.5), 0.25)
            entries.append((name, vtype, w))
        if tname in specials:
            sname, stype, sgrids, _ = specials[tname]
            # replace the first village of that type with the named one
            for k, (_, vt, _) in enumerate(entries):
                if vt == stype:
                    entries[k] = (sname, stype, float(sgrids))
                    break
        for k, (name, vtype, w) in enumerate(entries):
            idx = len(vls)
            vls.append((f"{code}{k + 1:03d}", name, vtype, ti, 0))
            weights.append(w)
            if tname in specials and name == specials[tname][0]:
                fixed[idx] = specials[tname][2]
    free = [i for i in range(len(vls)) if i not in fixed]
    alloc = _largest_remainder(
        np.array([weights[i] for i in free]), scale.n_grids - sum(fixed.values()), 4
    )
    grids_per = dict(fixed)
    for i, a in zip(free, alloc, strict=True):
        grids_per[i] = int(a)
    vls = [(c, n, t, ti, grids_per[i]) for i, (c, n, t, ti, _) in enumerate(vls)]
    return tws, vls


def _layout(tws: list, vls: list) -> list[tuple]:
    """One rectangle per grid, in grid order (village by village)."""
    cx, cy = CENTRE
    sx, sy = SPAN
    box = (cx - sx / 2, cy - sy / 2, cx + sx / 2, cy + sy / 2)
    grids_of_t = [0.0] * len(tws)
    for _, _, _, ti, ng in vls:
        grids_of_t[ti] += ng
    street_idx = [i for i, t in enumerate(tws) if t[3]]
    town_idx = [i for i, t in enumerate(tws) if not t[3]]
    t_rects: dict[int, tuple] = {}
    if street_idx and town_idx:
        # the city proper in the middle, towns around it in three columns
        x0, y0, x1, y1 = box
        w = x1 - x0
        mid = (x0 + w * 0.36, y0, x0 + w * 0.64, y1)
        west = (x0, y0, mid[0], y1)
        east = (mid[2], y0, x1, y1)
        h = y1 - y0
        centre = (mid[0], y0 + h * 0.4, mid[2], y0 + h * 0.62)
        north = (mid[0], centre[3], mid[2], y1)
        south = (mid[0], y0, mid[2], centre[1])
        for i, r in zip(
            street_idx, _split(centre, [grids_of_t[i] for i in street_idx]), strict=True
        ):
            t_rects[i] = r
        parts = [west, north, south, east]
        area = [(r[2] - r[0]) * (r[3] - r[1]) for r in parts]
        tw = [grids_of_t[i] for i in town_idx]
        cuts = np.cumsum(area) / sum(area) * sum(tw)
        acc = np.cumsum(tw)
        bucket = np.minimum(np.searchsorted(cuts, acc - np.array(tw) / 2), 3)
        for p in range(4):
            members = [town_idx[k] for k in range(len(town_idx)) if bucket[k] == p]
            for i, r in zip(
                members, _split(parts[p], [grids_of_t[i] for i in members]), strict=True
            ):
                t_rects[i] = r
    else:
        for i, r in zip(range(len(tws)), _split(box, grids_of_t), strict=True):
            t_rects[i] = r
    rects: list[tuple] = []
    for ti in range(len(tws)):
        vidx = [k for k, v in enumerate(vls) if v[3] == ti]
        v_rects = _split(t_rects[ti], [float(vls[k][4]) for k in vidx])
        for k, vr in zip(vidx, v_rects, strict=True):
            rects_v = _split(vr, [1.0] * vls[k][4])
            rects.append((k, rects_v))
    rects.sort(key=lambda x: x[0])
    return [r for _, rs in rects for r in rs]


def _names(rng: np.random.Generator, n: int) -> pl.Series:
    sur = np.array(list(N.SURNAMES))
    # common surnames are more common
    p = 1.0 / np.arange(1, len(sur) + 1) ** 0.6
    s = sur[rng.choice(len(sur), n, p=p / p.sum())]
    given = np.array(N.GIVEN_NAMES)
    g = given[rng.integers(0, len(given), n)]
    return pl.Series(np.char.add(s, g))


_MOBILE = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181",
    "182", "183", "186", "187", "188", "189", "191", "199",
]  # fmt: skip


def _phones(rng: np.random.Generator, n: int, landline: float, missing: float) -> pl.Series:
    pre = np.array(_MOBILE)[rng.integers(0, len(_MOBILE), n)]
    tail = rng.integers(0, 100_000_000, n)
    df = pl.DataFrame({"pre": pre, "tail": tail, "land": rng.integers(0, 1_000_000, n)})
    u = rng.random(n)
    out = df.select(
        pl.when(pl.lit(u) < missing)
        .then(pl.lit(None, dtype=pl.Utf8))
        .when(pl.lit(u) < missing + landline)
        .then(pl.lit("0558-5") + pl.col("land").cast(pl.Utf8).str.zfill(6))
        .otherwise(pl.col("pre") + pl.col("tail").cast(pl.Utf8).str.zfill(8))
        .alias("phone")
    )
    return out["phone"]


def build_places(scale: Scale, seed: int) -> Places:
    rng = np.random.default_rng([seed, 1])
    tws, vls = _hierarchy(scale, rng)
    rects = _layout(tws, vls)

    townships = pl.DataFrame(
        {
            "township_code": [t[0] for t in tws],
            "township_name": [t[1] for t in tws],
            "township_type": [t[2] for t in tws],
            "is_street": [t[3] for t in tws],
        }
    )
    villages = pl.DataFrame(
        {
            "village_code": [v[0] for v in vls],
            "village_name": [v[1] for v in vls],
            "village_type": [v[2] for v in vls],
            "t_idx": [v[3] for v in vls],
            "n_grids": [v[4] for v in vls],
        }
    )
    v_of_g = np.repeat(np.arange(len(vls)), [v[4] for v in vls])
    k_in_v = np.concatenate([np.arange(v[4]) for v in vls])
    n_g = len(v_of_g)
    vcodes = np.array([v[0] for v in vls])
    vnames = np.array([v[1] for v in vls])
    vtypes = np.array([v[2] for v in vls])
    t_of_v = np.array([v[3] for v in vls])
    grid_codes = np.char.add(vcodes[v_of_g], np.char.zfill((k_in_v + 1).astype(str), 3))
    grid_names = np.char.add(
        np.char.add(vnames[v_of_g], "第"), np.char.add((k_in_v + 1).astype(str), "网格")
    )
    is_urban = vtypes[v_of_g] == "社区"
    lon = np.array([(r[0] + r[2]) / 2 for r in rects])
    lat = np.array([(r[1] + r[3]) / 2 for r in rects])
    wkt = [_wkt(r) for r in rects]

    # households per grid
    sd = scale.hh_mean * 0.09
    lo, hi = scale.hh_mean * 0.55, scale.hh_mean * 1.5
    hh = np.clip(np.rint(rng.normal(scale.hh_mean, sd, n_g)), lo, hi).astype(np.int64)
    if scale.name != "small":
        for _tname, vname, _vt, _ng, total in SPECIAL_VILLAGES:
            if total is None:
                continue
            vi = [i for i, v in enumerate(vls) if v[1] == vname][0]
            sel = np.nonzero(v_of_g == vi)[0]
            hh[sel] = _largest_remainder(np.ones(len(sel)), total, 1)
    # grid leaders: a named person with a mobile phone for every grid
    leader = _names(rng, n_g)
    leader_phone = _phones(rng, n_g, 0.0, 0.0)

    # migrant-heavy grids (many working away: phone visits)
    migrant = (~is_urban) & (rng.random(n_g) < 0.08)
    grids = pl.DataFrame(
        {
            "grid_code": grid_codes,
            "grid_name": grid_names,
            "village_code": vcodes[v_of_g],
            "village_name": vnames[v_of_g],
            "village_type": vtypes[v_of_g],
            "township_code": np.array([t[0] for t in tws])[t_of_v[v_of_g]],
            "township_name": np.array([t[1] for t in tws])[t_of_v[v_of_g]],
            "township_type": np.array([t[2] for t in tws])[t_of_v[v_of_g]],
            "leader_name": leader,
            "leader_phone": leader_phone,
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "boundary_wkt": wkt,
            "v_idx": v_of_g,
            "t_idx": t_of_v[v_of_g],
            "k_in_v": k_in_v,
            "is_urban": is_urban,
            "migrant": migrant,
            "n_households": hh,
        }
    )

    # households
    n_h = int(hh.sum())
    g_of_h = np.repeat(np.arange(n_g), hh)
    starts = np.concatenate([[0], np.cumsum(hh)[:-1]])
    seq = np.arange(n_h) - starts[g_of_h] + 1
    members_p = np.array([0.15, 0.22, 0.22, 0.2, 0.12, 0.06, 0.03])
    members = rng.choice(np.arange(1, 8), n_h, p=members_p)
    tagm = rng.random((n_h, len(N.TAGS))) < np.array(N.TAG_WEIGHTS)
    members = np.where(tagm[:, 0], 1, members)  # 独居老人 live alone
    tag_cols = [
        pl.when(pl.lit(tagm[:, j])).then(pl.lit(t)).otherwise(pl.lit(None, dtype=pl.Utf8))
        for j, t in enumerate(N.TAGS)
    ]
    u = rng.random(n_h)
    status = np.where(u < 0.989, 0, np.where(u < 0.997, 1, 2))
    leave = np.where(status == 0, 8, rng.integers(0, 9, n_h))
    urb = is_urban[g_of_h]
    estates = np.array(N.ESTATES)[rng.integers(0, len(N.ESTATES), n_g)][g_of_h]
    bldg = seq // 24 + 1 + grids["k_in_v"].to_numpy()[g_of_h] % 7 * 3
    unit = (seq // 8) % 3 + 1
    room = (seq % 8) // 2 + 1
    floor = seq % 6 + 1
    tnames = grids["township_name"].to_numpy()[g_of_h]
    vn = grids["village_name"].to_numpy()[g_of_h]
    group = grids["k_in_v"].to_numpy()[g_of_h] + 1
    hdf = pl.DataFrame(
        {
            "g_idx": g_of_h,
            "grid_code": grid_codes[g_of_h],
            "seq": seq,
            "urban": urb,
            "town": tnames,
            "vname": vn,
            "estate": estates,
            "bldg": bldg,
            "unit": unit,
            "room": floor * 100 + room,
            "group": group,
            "num": seq,
            "members": members,
            "status": np.array(["在册", "迁出", "注销"])[status],
        }
    )
    households = hdf.select(
        (pl.col("grid_code") + "-" + pl.col("seq").cast(pl.Utf8).str.zfill(4)).alias(
            "household_id"
        ),
        pl.col("grid_code"),
        _names(rng, n_h).alias("head_name"),
        _phones(rng, n_h, 0.11, 0.025).alias("phone"),
        pl.when(pl.col("urban"))
        .then(
            pl.concat_str(
                [
                    pl.lit(N.DISTRICT),
                    pl.col("town"),
                    pl.col("vname"),
                    pl.col("estate"),
                    pl.col("bldg").cast(pl.Utf8),
                    pl.lit("栋"),
                    pl.col("unit").cast(pl.Utf8),
                    pl.lit("单元"),
                    pl.col("room").cast(pl.Utf8),
                    pl.lit("室"),
                ]
            )
        )
        .otherwise(
            pl.concat_str(
                [
                    pl.lit(N.DISTRICT),
                    pl.col("town"),
                    pl.col("vname"),
                    pl.col("group").cast(pl.Utf8),
                    pl.lit("组"),
                    pl.col("num").cast(pl.Utf8),
                    pl.lit("号"),
                ]
            )
        )
        .alias("address"),
        pl.col("members"),
        pl.concat_str(tag_cols, separator="、", ignore_nulls=True).alias("tags"),
        pl.col("status"),
    )
    households = households.with_columns(
        pl.when(pl.col("tags") == "").then(None).otherwise(pl.col("tags")).alias("tags")
    )
    return Places(
        townships=townships,
        villages=villages,
        grids=grids,
        households=households,
        hh_grid=g_of_h,
        hh_leave=leave,
    )
