"""What happens in the demo district: visit rounds, cases merged from reports and their flow
through the levels, callbacks, petitions.

Times are handled as integer minutes (numpy ``datetime64[m]``) and dates as ``datetime64[D]``;
every draw is vectorised over households or visits, and only the per-case event chains (tens of
thousands, not millions) are built in a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from warmvisits.demo import names as N
from warmvisits.demo.places import Places, Scale

ROUNDS = ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4"]
WINDOWS = {
    "2023Q1": ("2023-02-20", "2023-03-05"),
    "2023Q2": ("2023-05-15", "2023-05-31"),
    "2023Q3": ("2023-08-14", "2023-08-31"),
    "2023Q4": ("2023-11-13", "2023-11-30"),
    "2024Q1": ("2024-02-26", "2024-03-10"),
    "2024Q2": ("2024-05-13", "2024-05-31"),
    "2024Q3": ("2024-08-12", "2024-08-30"),
    "2024Q4": ("2024-11-11", "2024-11-29"),
}
CUTOFF = np.datetime64("2024-12-31T23:59", "m")  # the exports were taken after this moment
LEVEL_NAMES = ["村社区", "乡镇街道", "区直部门", "区委区政府", "上级"]
METHOD_NAMES = ["入户", "电话", "未联系上"]


def quarter_bounds(q: str) -> tuple[np.datetime64, np.datetime64]:
    """First day and last day (inclusive) of a quarter such as 2023Q1."""
    year, n = int(q[:4]), int(q[-1])
    start = np.datetime64(f"{year}-{3 * n - 2:02d}-01", "D")
    end = (start.astype("datetime64[M]") + 3).astype("datetime64[D]") - 1
    return start, end


@dataclass
class Variation:
    """The realistic unevenness planted in the district (for tests and for the pages to find)."""

    lagging_townships: list[int]
    lagging_grids: np.ndarray
    one_day_grids: dict[str, list[int]]
    all_door_grids: dict[str, list[int]]
    outside_window_grids: dict[str, list[int]]
    rising_township: int
    slow_departments: list[str] = field(default_factory=lambda: list(N.SLOW_DEPTS))


def plan_variation(places: Places, seed: int) -> Variation:
    rng = np.random.default_rng([seed, 2])
    g = places.grids
    n_g = g.height
    towns = [
        i
        for i, (street, name) in enumerate(
            zip(places.townships["is_street"], places.townships["township_name"], strict=True)
        )
        if not street and name not in ("芦庙镇", "魏岗镇")
    ]
    n_lag_t = 0 if len(towns) < 4 else max(1, len(towns) // 11)
    lag_t = sorted(int(x) for x in rng.choice(towns, n_lag_t, replace=False)) if n_lag_t else []
    lag_g = np.nonzero(rng.random(n_g) < 0.01)[0]
    if lag_g.size == 0:
        lag_g = np.array([n_g - 1])
    migrant = np.nonzero(g["migrant"].to_numpy())[0]
    n_impl = max(1, n_g // 1800)
    one_day, all_door, outside = {}, {}, {}
    for r in ROUNDS:
        pick = rng.choice(n_g, 2 * n_impl, replace=False)
        one_day[r] = sorted(int(x) for x in pick[:n_impl])
        outside[r] = sorted(int(x) for x in pick[n_impl:])
        pool = migrant if migrant.size else np.arange(n_g)
        k = min(len(pool), max(1, n_impl // 2 + 1))
        all_door[r] = sorted(int(x) for x in rng.choice(pool, k, replace=False))
    rising = towns[len(towns) // 2] if towns else len(places.townships) - 1
    return Variation(lag_t, lag_g, one_day, all_door, outside, int(rising))


# ---------------------------------------------------------------------------------------------
# visits


@dataclass
class RoundVisits:
    round: str
    seq: np.ndarray  # visit number within the round (1..n), in visit order
    hh: np.ndarray  # household index
    g: np.ndarray  # grid index
    date: np.ndarray  # datetime64[D]
    method: np.ndarray  # 0 door, 1 phone, 2 unreached


def visit_id_expr(round_code: str, seq: pl.Expr) -> pl.Expr:
    """走访编号: ZF + year (2 digits) + quarter + 7-digit number within the round."""
    return pl.lit(f"ZF{round_code[2:4]}{round_code[-1]}") + seq.cast(pl.Utf8).str.zfill(7)


def round_visits(r: int, places: Places, var: Variation, seed: int) -> RoundVisits:
    rng = np.random.default_rng([seed, 10, r])
    code = ROUNDS[r]
    w0, w1 = (np.datetime64(x, "D") for x in WINDOWS[code])
    q_end = quarter_bounds(code)[1]
    span = int((w1 - w0).astype(int))
    grids = places.grids
    n_g = grids.height
    urban = grids["is_urban"].to_numpy()
    migrant = grids["migrant"].to_numpy()
    t_idx = grids["t_idx"].to_numpy()

    # per grid: how hard to reach, how often by phone, when in the field
    p_unreached = np.where(migrant, 0.012, 0.0035) * rng.uniform(0.5, 1.5, n_g)
    p_unreached[np.isin(t_idx, var.lagging_townships)] = 0.035
    p_unreached[var.lagging_grids] = rng.uniform(0.07, 0.14, len(var.lagging_grids))
    p_phone = np.where(urban, 0.12, 0.17) * rng.uniform(0.6, 1.4, n_g)
    p_phone[migrant] = rng.uniform(0.38, 0.55, int(migrant.sum()))
    p_phone[var.all_door_grids[code]] = 0.0
    start = rng.integers(0, 4, n_g)
    start[np.isin(t_idx, var.lagging_townships)] += 3
    length = np.minimum(rng.integers(6, 13, n_g), span + 1 - start)
    length = np.maximum(length, 1)

    active = places.hh_leave > r
    act = np.nonzero(active)[0]
    n = act.size
    g = places.hh_grid[act]
    u = rng.random(n)
    unreached = u < p_unreached[g]
    retry = (~unreached) & (rng.random(n) < 0.022)
    two_fail = unreached & (rng.random(n) < 0.4)
    n_att = 1 + retry.astype(np.int64) + two_fail.astype(np.int64)
    rows = np.repeat(np.arange(n), n_att)
    first = np.concatenate([[0], np.cumsum(n_att)[:-1]])
    k = np.arange(rows.size) - first[rows]
    last = k == n_att[rows] - 1

    d0 = start[g] + (rng.random(n) * length[g]).astype(np.int64)
    gap = rng.integers(1, 4, rows.size)
    day = d0[rows] + k * gap
    gr = g[rows]
    day = np.where(day > span, np.maximum(d0[rows], span), day)
    one = np.isin(gr, var.one_day_grids[code])
    day = np.where(one, start[gr] + 2, day)
    out = np.isin(gr, var.outside_window_grids[code])
    room = int((q_end - w1).astype(int))
    late = span + 3 + (rng.random(rows.size) * max(1, min(18, room - 4))).astype(np.int64)
    day = np.where(out, np.minimum(late + k, span + room), day)
    date = w0 + day.astype("timedelta64[D]")

    phone = rng.random(rows.size) < p_phone[gr]
    method = np.where(unreached[rows] | ~last, 2, np.where(phone, 1, 0))
    hh = act[rows]
    order = np.lexsort((k, hh, gr, date))
    return RoundVisits(
        code,
        np.arange(1, rows.size + 1),
        hh[order],
        gr[order],
        date[order],
        method[order].astype(np.int8),
    )


def answer_codes(
    visits: RoundVisits, rows: np.ndarray, places: Places, r: int, seed: int
) -> dict[str, pl.Series]:
    """Answers of the given visit rows, one Series per menu item of the rows' form (all rows of
    one call share a form). Unreached visits have no answers."""
    rng = np.random.default_rng([seed, 11, r, int(rows[0]) if rows.size else 0])
    urban = bool(places.grids["is_urban"][int(visits.g[rows[0]])]) if rows.size else True
    form = "城市版" if urban else "农村版"
    t_of_row = places.grids["t_idx"].to_numpy()[visits.g[rows]]
    n_t = places.townships.height
    trng = np.random.default_rng([seed, 12])
    t_factor = trng.lognormal(0.0, 0.35, (len(N.MENU), n_t))
    season = int(ROUNDS[r][-1])
    ok = visits.method[rows] != 2
    out: dict[str, pl.Series] = {}
    for i, (code, _q, version, atype, _dept, unfav) in enumerate(N.MENU):
        if version not in ("通用", form):
            continue
        opts = {"是否": ["是", "否"], "好坏": ["好", "一般", "差"], "选择": ["A", "B", "C", "D"]}[
            atype
        ]
        bad = [o for o in unfav.split(";") if o]
        if atype == "是否" and not bad:
            base = np.array([0.22, 0.78])
        elif atype == "是否":
            share = 0.07
            base = np.array([1 - share, share]) if bad == ["否"] else np.array([share, 1 - share])
        elif atype == "好坏":
            base = np.array([0.72, 0.22, 0.06])
        elif len(bad) == 3:
            base = np.array([0.7, 0.1, 0.14, 0.06])
        else:
            base = np.array([0.55, 0.3, 0.11, 0.04])
        is_bad = np.array([o in bad for o in opts])
        mult = t_factor[i] * (1 - 0.05 * r)
        if code in ("M3Q2", "M8Q3", "M3Q1") and season in (2, 3):
            mult = mult * 1.5
        probs = np.tile(base, (n_t, 1))
        if is_bad.any():
            probs[:, is_bad] *= mult[:, None]
            good = probs[:, ~is_bad].sum(1)
            probs[:, ~is_bad] *= ((1 - probs[:, is_bad].sum(1)) / good)[:, None]
        cum = np.cumsum(probs, axis=1)
        u = rng.random(rows.size)
        c = np.zeros(rows.size, dtype=np.int64)
        for j in range(len(opts) - 1):
            c += u > cum[:, j][t_of_row]
        blank = (~ok) | (rng.random(rows.size) < 0.006)
        c[blank] = len(opts)
        out[code] = pl.Series([*opts, None], dtype=pl.Utf8).gather(c)
    return out


# ---------------------------------------------------------------------------------------------
# cases


_CAT_RURAL = {  # season -> weights over N.CATEGORIES
    1: [0.22, 0.09, 0.13, 0.1, 0.06, 0.12, 0.09, 0.08, 0.02, 0.05, 0.04],
    2: [0.25, 0.14, 0.11, 0.09, 0.05, 0.1, 0.08, 0.08, 0.03, 0.04, 0.03],
    3: [0.2, 0.18, 0.12, 0.09, 0.05, 0.1, 0.08, 0.07, 0.05, 0.03, 0.03],
    4: [0.1, 0.12, 0.14, 0.12, 0.07, 0.14, 0.1, 0.09, 0.03, 0.05, 0.04],
}
_CAT_URBAN = {
    1: [0.0, 0.1, 0.12, 0.1, 0.1, 0.1, 0.18, 0.08, 0.06, 0.12, 0.04],
    2: [0.0, 0.13, 0.11, 0.09, 0.1, 0.09, 0.2, 0.08, 0.06, 0.1, 0.04],
    3: [0.0, 0.17, 0.1, 0.09, 0.09, 0.09, 0.2, 0.07, 0.08, 0.08, 0.03],
    4: [0.0, 0.12, 0.11, 0.11, 0.1, 0.11, 0.17, 0.08, 0.06, 0.1, 0.04],
}
_COMPLEX_SHARE = np.array([0.35, 0.25, 0.4, 0.08, 0.1, 0.1, 0.12, 0.2, 0.08, 0.3, 0.05])


@dataclass
class CaseDraft:
    """Cases of one source and period before their flow is drawn."""

    g: np.ndarray
    received: np.ndarray  # datetime64[m]
    category: np.ndarray  # index into N.CATEGORIES
    complex_: np.ndarray  # bool
    source: str
    title_idx: np.ndarray
    lead_hh: np.ndarray  # household whose report started it (-1: none)
    links: list[np.ndarray] | None  # per case, visit seqs of its round
    round: str | None


def visit_cases(
    r: int, visits: RoundVisits, places: Places, count: int, seed: int
) -> tuple[CaseDraft, np.ndarray, np.ndarray]:
    """Cases merged from the household reports of one round. Returns the draft and, per visit
    row, the case number it was merged into (-1 for none) and the title index used."""
    rng = np.random.default_rng([seed, 20, r])
    code = ROUNDS[r]
    q_end = quarter_bounds(code)[1]
    n_g = places.grids.height
    ok = np.nonzero(visits.method != 2)[0]
    w_grid = rng.gamma(4.0, 0.25, n_g)
    vnames = places.grids["village_name"].to_numpy()
    w_grid[vnames == "马元社区"] *= 1.6
    w = w_grid[visits.g[ok]]
    key = np.log(rng.random(ok.size)) / w
    lead_pos = np.argpartition(-key, count - 1)[:count] if count < ok.size else np.arange(ok.size)
    lead = ok[lead_pos]
    is_lead = np.zeros(visits.seq.size, dtype=bool)
    is_lead[lead] = True
    others = ok[~is_lead[ok]]
    perm = others[rng.permutation(others.size)]
    perm = perm[np.argsort(visits.g[perm], kind="stable")]
    g_of_perm = visits.g[perm]
    grid_start = np.searchsorted(g_of_perm, np.arange(n_g))
    avail = np.bincount(g_of_perm, minlength=n_g)

    order = np.argsort(visits.g[lead], kind="stable")
    lead = lead[order]
    lg = visits.g[lead]
    extra = rng.choice(np.arange(6), lead.size, p=[0.62, 0.2, 0.09, 0.05, 0.025, 0.015])
    cum = np.cumsum(extra)
    first_of_grid = np.searchsorted(lg, lg)
    off = cum - extra - np.where(first_of_grid > 0, cum[first_of_grid - 1], 0)
    case_of_visit = np.full(visits.seq.size, -1, dtype=np.int64)
    case_of_visit[lead] = np.arange(lead.size)
    links: list[np.ndarray] = []
    last_day = visits.date[lead].copy()
    for i in range(lead.size):
        k = int(min(extra[i], max(0, avail[lg[i]] - off[i])))
        idx = perm[grid_start[lg[i]] + off[i] : grid_start[lg[i]] + off[i] + k]
        case_of_visit[idx] = i
        rows = np.concatenate([[lead[i]], idx])
        links.append(visits.seq[rows])
        if k:
            last_day[i] = max(last_day[i], visits.date[idx].max())

    season = int(code[-1])
    urban = places.grids["is_urban"].to_numpy()[lg]
    cat = np.empty(lead.size, dtype=np.int64)
    for flag, table in ((True, _CAT_URBAN), (False, _CAT_RURAL)):
        sel = np.nonzero(urban == flag)[0]
        p = np.array(table[season], dtype=float)
        cat[sel] = rng.choice(len(p), sel.size, p=p / p.sum())
    complex_ = rng.random(lead.size) < _COMPLEX_SHARE[cat]
    delay = rng.choice(np.arange(4), lead.size, p=[0.35, 0.35, 0.2, 0.1])
    minute = rng.integers(510, 1050, lead.size)
    recv_day = np.minimum(last_day + delay.astype("timedelta64[D]"), q_end)
    received = recv_day.astype("datetime64[m]") + minute.astype("timedelta64[m]")
    n_titles = np.array([len(N.CASE_TITLES[c]) for c in N.CATEGORIES])
    title_idx = (rng.random(lead.size) * n_titles[cat]).astype(np.int64)
    draft = CaseDraft(
        lg, received, cat, complex_, "暖心走访", title_idx, visits.hh[lead], links, code
    )
    return draft, case_of_visit, title_idx


def other_cases(places: Places, scale: Scale, seed: int) -> list[CaseDraft]:
    """Cases from the 12345 hotline and other sources, every quarter of 2023 and 2024."""
    rng = np.random.default_rng([seed, 30])
    n_g = places.grids.height
    w = places.grids["n_households"].to_numpy().astype(float)
    drafts = []
    for src, per_q in (("12345热线", scale.hotline_per_quarter), ("其他", scale.other_per_quarter)):
        gs, recs, cats = [], [], []
        for code in ROUNDS:
            s, e = quarter_bounds(code)
            n = int(per_q * rng.uniform(0.85, 1.15))
            days = int((e - s).astype(int)) + 1
            d = s + rng.integers(0, days, n).astype("timedelta64[D]")
            m = rng.integers(480, 1260, n).astype("timedelta64[m]")
            recs.append(d.astype("datetime64[m]") + m)
            gs.append(rng.choice(n_g, n, p=w / w.sum()))
            season = int(code[-1])
            urban = places.grids["is_urban"].to_numpy()[gs[-1]]
            c = np.empty(n, dtype=np.int64)
            for flag, table in ((True, _CAT_URBAN), (False, _CAT_RURAL)):
                sel = np.nonzero(urban == flag)[0]
                p = np.array(table[season], dtype=float)
                c[sel] = rng.choice(len(p), sel.size, p=p / p.sum())
            cats.append(c)
        g = np.concatenate(gs)
        cat = np.concatenate(cats)
        n_titles = np.array([len(N.CASE_TITLES[c]) for c in N.CATEGORIES])
        drafts.append(
            CaseDraft(
                g,
                np.concatenate(recs),
                cat,
                rng.random(g.size) < _COMPLEX_SHARE[cat],
                src,
                (rng.random(g.size) * n_titles[cat]).astype(np.int64),
                np.full(g.size, -1),
                None,
                None,
            )
        )
    return drafts


@dataclass
class Cases:
    table: pl.DataFrame  # one row per case (export columns + helpers)
    events: pl.DataFrame  # one row per step
    draft_index: np.ndarray  # row of table for each concatenated draft case


_STAGE_MEDIAN = np.array([2.0, 4.0, 9.0, 15.0, 28.0])  # days at each level


def flow_cases(drafts: list[CaseDraft], places: Places, scale: Scale, seed: int) -> Cases:
    """Draw each case's path through the levels and its times, resolve exactly
    ``scale.resolved_q1`` of the 2023Q1 visit cases by the quarter's end, and write the events."""
    rng = np.random.default_rng([seed, 40])
    g = np.concatenate([d.g for d in drafts])
    received = np.concatenate([d.received for d in drafts])
    cat = np.concatenate([d.category for d in drafts])
    cx = np.concatenate([d.complex_ for d in drafts])
    src = np.concatenate([np.full(d.g.size, d.source, dtype=object) for d in drafts])
    title_idx = np.concatenate([d.title_idx for d in drafts])
    lead_hh = np.concatenate([d.lead_hh for d in drafts])
    rnd = np.concatenate([np.full(d.g.size, d.round or "", dtype=object) for d in drafts])
    links: list[np.ndarray | None] = []
    for dr in drafts:
        links.extend(dr.links if dr.links is not None else [None] * dr.g.size)
    n = g.size
    start = np.where(src == "暖心走访", 0, 1)
    p_simple = np.array([[0.5, 0.34, 0.13, 0.025, 0.005], [0.0, 0.6, 0.32, 0.06, 0.02]])
    p_complex = np.array([[0.1, 0.3, 0.42, 0.13, 0.05], [0.0, 0.28, 0.5, 0.16, 0.06]])
    u = rng.random(n)
    top = np.empty(n, dtype=np.int64)
    for s in (0, 1):
        for is_c, ptab in ((False, p_simple), (True, p_complex)):
            sel = (start == s) & (cx == is_c)
            top[sel] = np.searchsorted(np.cumsum(ptab[s]), u[sel], side="right").clip(0, 4)
    top = np.maximum(top, start)
    sent_back = (top > start) & (rng.random(n) < 0.08)
    reassign = (top >= 2) & (rng.random(n) < 0.12)
    stuck = rng.random(n) < 0.02
    dept = np.array([N.CATEGORY_DEPT[c] for c in N.CATEGORIES])[cat]
    slow = np.array([N.SLOW_DEPTS.get(d, 1.0) for d in dept])
    # stage durations: up to 6 stages (levels start..top, then one back down)
    stages = np.zeros((n, 6))
    levels = np.full((n, 6), -1, dtype=np.int64)
    n_st = top - start + 1 + sent_back
    for j in range(6):
        lvl = start + j
        is_up = lvl <= top
        back = (~is_up) & sent_back & (j == top - start + 1)
        lvl = np.where(back, top - 1, lvl)
        valid = is_up | back
        med = _STAGE_MEDIAN[np.clip(lvl, 0, 4)] * np.where(cx, 2.0, 1.0)
        med = np.where(lvl == 2, med * slow, med)
        med = np.where(back, 2.0, med)
        d = rng.lognormal(np.log(med), 0.75)
        stages[:, j] = np.where(valid, d, 0.0)
        levels[:, j] = np.where(valid, lvl, -1)
    total_days = np.maximum(stages.sum(1), 0.02)
    natural = received + np.rint(total_days * 1440).astype("timedelta64[m]")

    # exactly scale.resolved_q1 of the 2023Q1 visit cases resolved by the quarter's end
    q1 = np.nonzero((src == "暖心走访") & (rnd == "2023Q1"))[0]
    t_end = np.datetime64("2023-03-31T23:59", "m")
    rank_key = np.where(stuck[q1], np.datetime64("2100-01-01T00:00", "m"), natural[q1])
    order = q1[np.argsort(rank_key, kind="stable")]
    k = min(scale.resolved_q1, order.size)
    early, late = order[:k], order[k:]
    stuck[early] = False
    room = (t_end - received[early]).astype(np.int64)
    too_late = natural[early] > t_end
    new = received[early] + (room * rng.uniform(0.55, 0.97, early.size)).astype("timedelta64[m]")
    natural[early] = np.where(too_late, new, natural[early])
    push = late[(natural[late] <= t_end) & ~stuck[late]]
    extra = (rng.uniform(0.3, 20.0, push.size) * 1440).astype("timedelta64[m]")
    natural[push] = t_end + extra
    span_days = (natural - received).astype(np.int64) / 1440.0
    scale_f = span_days / total_days
    stages = stages * np.where(stuck, 1.0, scale_f)[:, None]
    resolved = np.where(stuck | (natural > CUTOFF), np.datetime64("NaT"), natural)

    # the chains of events
    vnames = places.grids["village_name"].to_numpy()[g].tolist()
    vtypes = places.grids["village_type"].to_numpy()[g].tolist()
    tnames = places.grids["township_name"].to_numpy()[g].tolist()
    ttypes = places.grids["township_type"].to_numpy()[g].tolist()
    alt_depts = sorted(set(N.CATEGORY_DEPT.values()))
    disp = rng.uniform(0.01, 0.3, n)
    alt = rng.integers(0, len(alt_depts), n).tolist()
    dept_l = dept.tolist()
    ev_case: list[int] = []
    ev_at: list[int] = []
    ev_action: list[str] = []
    ev_level: list[int] = []
    ev_unit: list[str] = []
    ev_note: list[str] = []
    # plain Python numbers in the loop: minutes since 1970
    rec_l = received.astype(np.int64).tolist()
    nat_l = natural.astype(np.int64).tolist()
    stages_l = stages.tolist()
    levels_l = levels.tolist()
    n_st_l = n_st.tolist()
    disp_l = disp.tolist()
    stuck_l = stuck.tolist()
    reassign_l = reassign.tolist()
    top_l = top.tolist()
    src_l = src.tolist()
    cutoff = int(CUTOFF.astype(np.int64))
    cur_l = [0] * n
    unit_l = [""] * n
    status_l = [""] * n

    def unit(i: int, lvl: int) -> str:
        if lvl == 0:
            return vnames[i] + ("居委会" if vtypes[i] == "社区" else "村委会")
        if lvl == 1:
            return tnames[i] + ("办事处" if ttypes[i] == "街道" else "人民政府")
        if lvl == 2:
            return dept_l[i]
        if lvl == 3:
            return "区委区政府（区综合指挥中心）"
        return "亳州市人民政府"

    for i in range(n):
        t0 = rec_l[i]
        k = n_st_l[i]
        st = stages_l[i][:k]
        lv = levels_l[i][:k]
        ends = []
        acc = 0.0
        for dur in st:
            acc += dur
            ends.append(t0 + max(1, round(acc * 1440)))
        chain: list[tuple[int, str, int, str, str]] = []
        merged = links[i]
        if src_l[i] == "暖心走访":
            note = "网格员走访收集"
            if merged is not None and merged.size > 1:
                note += f"，合并{merged.size}户反映"
        else:
            note = "12345热线转办" if src_l[i] == "12345热线" else "部门移交"
        chain.append((t0, "受理", lv[0], unit(i, lv[0]), note))
        d_at = t0 + max(1, int(st[0] * 1440 * disp_l[i]))
        chain.append((d_at, "派遣", lv[0], unit(i, lv[0]), "派遣至承办单位"))
        for j in range(1, k):
            at = ends[j - 1]
            if lv[j] > lv[j - 1]:
                chain.append((at, "上报", lv[j], unit(i, lv[j]), "超出本级办理权限，逐级上报"))
            else:
                chain.append((at, "退回", lv[j], unit(i, lv[j]), "退回属地继续办理"))
            if reassign_l[i] and lv[j] == top_l[i] and lv[j] >= 2 and lv[j] > lv[j - 1]:
                mid = at + int(st[j] * 1440 * 0.4)
                chain.append((mid, "转办", lv[j], alt_depts[alt[i]], "转相关部门办理"))
        if not stuck_l[i]:
            chain.append((nat_l[i], "办结", lv[-1], unit(i, lv[-1]), "已办结"))
        elif k > 1:
            chain = [c for c in chain if c[0] <= ends[-2]]
        else:
            chain = chain[:2]
        last_at = t0
        last = chain[0]
        for n_ev, (at0, action, e_lvl, u_name, nt) in enumerate(chain):
            # office hours, on the same day (so no time moves across a quarter's end)
            tod = at0 % 1440
            if n_ev and tod < 480:
                at0 += 480 - tod + tod % 60
            elif n_ev and tod >= 1080:
                at0 += 1020 - tod + tod % 60
            at = max(at0, last_at)
            if at > cutoff:
                break
            ev_case.append(i)
            ev_at.append(at)
            ev_action.append(action)
            ev_level.append(e_lvl)
            ev_unit.append(u_name)
            ev_note.append(nt)
            last_at = at
            last = (at, action, e_lvl, u_name, nt)
        if last[1] == "办结":
            nat_l[i] = last[0]
            status_l[i] = "已办结"
        elif last[1] == "上报":
            status_l[i] = "已移交上级"
        else:
            status_l[i] = "办理中"
        cur_l[i] = last[2]
        unit_l[i] = last[3]
    natural = np.array(nat_l, dtype=np.int64).astype("datetime64[m]")
    status = np.array(status_l, dtype=object)
    cur_level = np.array(cur_l, dtype=np.int64)
    unit_of = np.array(unit_l, dtype=object)
    resolved = np.where(status == "已办结", natural, np.datetime64("NaT"))

    table = pl.DataFrame(
        {
            "i": np.arange(n),
            "g": g,
            "source": src.astype(str),
            "round": rnd.astype(str),
            "category": np.array(N.CATEGORIES)[cat],
            "title": [
                vnames[i] + N.CASE_TITLES[N.CATEGORIES[cat[i]]][title_idx[i]] for i in range(n)
            ],
            "complexity": np.where(cx, "复杂", "一般"),
            "received_at": received.astype("datetime64[ms]"),
            "status": status.astype(str),
            "current_level": np.array(LEVEL_NAMES)[cur_level],
            "handling_unit": unit_of.astype(str),
            "resolved_at": resolved.astype("datetime64[ms]"),
            "lead_hh": lead_hh,
        }
    )
    table = table.with_columns(
        (
            pl.col("received_at")
            + pl.when(pl.col("complexity") == "复杂")
            .then(pl.duration(days=30))
            .otherwise(pl.duration(days=7))
        ).alias("due_at")
    )
    # case numbers: SJ + date received + number within the day, in order received
    table = table.sort(["received_at", "i"]).with_columns(
        (
            pl.lit("SJ")
            + pl.col("received_at").dt.strftime("%Y%m%d")
            + (pl.col("received_at").dt.date().cum_count().over(pl.col("received_at").dt.date()))
            .cast(pl.Utf8)
            .str.zfill(4)
        ).alias("case_id")
    )
    li_case = [i for i in range(n) if links[i] is not None]
    li_arr = [a for a in links if a is not None]
    li_size = [a.size for a in li_arr]
    long = pl.DataFrame(
        {
            "i": np.repeat(np.array(li_case, dtype=np.int64), li_size),
            "round": np.repeat(rnd[li_case].astype(str), li_size),
            "seq": np.concatenate(li_arr) if li_case else np.array([], np.int64),
        }
    )
    long = long.with_columns(
        (
            pl.lit("ZF")
            + pl.col("round").str.slice(2, 2)
            + pl.col("round").str.slice(5, 1)
            + pl.col("seq").cast(pl.Utf8).str.zfill(7)
        ).alias("vid")
    )
    joined = long.group_by("i", maintain_order=True).agg(
        pl.col("vid").str.join("、").alias("visit_ids")
    )
    table = table.join(joined, on="i", how="left", maintain_order="left")
    draft_index = np.empty(n, dtype=np.int64)
    draft_index[table["i"].to_numpy()] = np.arange(n)
    events = pl.DataFrame(
        {
            "ci": np.array(ev_case, dtype=np.int64),
            "at": np.array(ev_at, dtype=np.int64).astype("datetime64[m]").astype("datetime64[ms]"),
            "action": ev_action,
            "level": np.array(LEVEL_NAMES)[np.array(ev_level, dtype=np.int64)],
            "unit": ev_unit,
            "note": ev_note,
        }
    ).with_columns(
        pl.Series("case_id", table["case_id"].to_numpy()[draft_index[np.array(ev_case)]])
    )
    return Cases(table, events, draft_index)


# ---------------------------------------------------------------------------------------------
# callbacks and petitions


def callbacks(
    cases: Cases,
    backchecks: list[tuple[np.ndarray, np.ndarray]],
    places: Places,
    seed: int,
) -> pl.DataFrame:
    """Callbacks on a sample of resolved cases, and back-checks of visited households.
    ``backchecks``: per round, (household index, visit date). Satisfaction in 2023Q1 is set to
    1.2% dissatisfied among answered calls exactly."""
    rng = np.random.default_rng([seed, 50])
    t = cases.table.filter(pl.col("status") == "已办结")
    p = np.where(t["source"].to_numpy() == "暖心走访", 0.11, 0.06)
    t = t.filter(pl.Series(rng.random(t.height) < p))
    res = t["resolved_at"].to_numpy().astype("datetime64[m]")
    called = res + (rng.uniform(1.0, 6.0, t.height) * 1440).astype("timedelta64[m]")
    # calls are made in office hours
    day = called.astype("datetime64[D]")
    called = day.astype("datetime64[m]") + rng.integers(540, 1050, t.height).astype(
        "timedelta64[m]"
    )
    hh = t["lead_hh"].to_numpy().copy()
    g = t["g"].to_numpy()
    n_per_grid = places.grids["n_households"].to_numpy()
    grid_first = np.concatenate([[0], np.cumsum(n_per_grid)[:-1]])
    none = hh < 0
    hh[none] = grid_first[g[none]] + (rng.random(int(none.sum())) * n_per_grid[g[none]]).astype(
        np.int64
    )
    case_ids = t["case_id"].to_list()
    bc_hh = np.concatenate([b[0] for b in backchecks]) if backchecks else np.array([], np.int64)
    bc_day = (
        np.concatenate([b[1] for b in backchecks])
        if backchecks
        else np.array([], dtype="datetime64[D]")
    )
    bc_at = (bc_day + rng.integers(3, 15, bc_hh.size).astype("timedelta64[D]")).astype(
        "datetime64[m]"
    ) + rng.integers(540, 1050, bc_hh.size).astype("timedelta64[m]")
    df = pl.DataFrame(
        {
            "k": np.arange(hh.size + bc_hh.size),
            "hh": np.concatenate([hh, bc_hh]),
            "case_id": case_ids + [None] * bc_hh.size,
            "called_at": np.concatenate([called, bc_at]).astype("datetime64[ms]"),
        },
        schema_overrides={"case_id": pl.Utf8},
    ).filter(pl.col("called_at") <= pl.lit(CUTOFF.astype("datetime64[ms]").item()))
    n = df.height
    u = rng.random(n)
    outcome = np.where(
        u < 0.07,
        "未接通",
        np.where(u < 0.07 + 0.80, "满意", np.where(u < 0.985, "基本满意", "不满意")),
    ).astype(object)
    at = df["called_at"].to_numpy().astype("datetime64[m]")
    q1 = np.nonzero(
        (at >= np.datetime64("2023-01-01T00:00")) & (at <= np.datetime64("2023-03-31T23:59"))
    )[0]
    answered = q1[outcome[q1] != "未接通"]
    outcome[answered] = np.where(rng.random(answered.size) < 0.86, "满意", "基本满意")
    n_bad = int(answered.size * 0.012)
    outcome[rng.choice(answered, n_bad, replace=False)] = "不满意"
    comments = {
        "满意": ["", "", "", "感谢网格员", "问题已解决"],
        "基本满意": ["", "基本解决", "希望加快进度"],
        "不满意": ["问题未彻底解决", "办理时间太长", "未见到实际效果"],
        "未接通": ["无人接听", "关机", "号码停机"],
    }
    comment = [
        comments[o][int(v * len(comments[o]))] for o, v in zip(outcome, rng.random(n), strict=True)
    ]
    comment_or_none: list[str | None] = [
        ("核实走访：属实" if c == "" and cid is None else c) or None
        for c, cid in zip(comment, df["case_id"].to_list(), strict=True)
    ]
    df = df.with_columns(
        pl.Series("outcome", outcome.astype(str)),
        pl.Series("comment", comment_or_none, dtype=pl.Utf8),
        pl.Series("caller", np.array(N.CALLERS)[rng.integers(0, len(N.CALLERS), n)]),
        pl.Series(
            "household_id", places.households["household_id"].to_numpy()[df["hh"].to_numpy()]
        ),
    ).sort(["called_at", "hh", "k"])
    df = df.with_columns(
        (
            pl.lit("HF")
            + pl.col("called_at").dt.strftime("%Y%m%d")
            + pl.col("called_at")
            .dt.date()
            .cum_count()
            .over(pl.col("called_at").dt.date())
            .cast(pl.Utf8)
            .str.zfill(4)
        ).alias("callback_id")
    )
    return df


def petitions(places: Places, scale: Scale, var: Variation, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng([seed, 60])
    tw = places.townships
    hh_t = (places.grids.group_by("t_idx").agg(pl.col("n_households").sum()).sort("t_idx"))[
        "n_households"
    ].to_numpy()
    base = hh_t.astype(float) ** 0.8 * rng.lognormal(0, 0.3, tw.height)
    quarters = [f"{y}Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]
    parts = []
    for qi, (q, total) in enumerate(zip(quarters, scale.petitions, strict=True)):
        w = base.copy()
        w[var.rising_township] *= 1.0 + 0.22 * qi
        counts = rng.multinomial(total, w / w.sum())
        t_idx = np.repeat(np.arange(tw.height), counts)
        s, e = quarter_bounds(q)
        days = int((e - s).astype(int)) + 1
        d = s + rng.integers(0, days, total).astype("timedelta64[D]")
        parts.append(pl.DataFrame({"t_idx": t_idx, "registered_on": d}))
    df = pl.concat(parts)
    n = df.height
    persons = np.where(
        rng.random(n) < 0.85,
        1,
        np.where(rng.random(n) < 0.72, rng.integers(2, 5, n), rng.integers(5, 31, n)),
    )
    df = df.with_columns(
        pl.Series("township_code", tw["township_code"].to_numpy()[df["t_idx"].to_numpy()]),
        pl.Series(
            "channel", rng.choice(["来信", "来访", "网上", "电话"], n, p=[0.15, 0.33, 0.37, 0.15])
        ),
        pl.Series(
            "category",
            rng.choice(
                N.PETITION_CATEGORIES,
                n,
                p=np.array(N.PETITION_CATEGORY_WEIGHTS) / sum(N.PETITION_CATEGORY_WEIGHTS),
            ),
        ),
        pl.Series("persons", persons),
        pl.Series("repeat", np.where(rng.random(n) < 0.18, "是", "否")),
        pl.Series("o", rng.random(n)),
    ).sort(["registered_on", "o"])
    df = df.with_columns(
        (
            pl.lit("XF")
            + pl.col("registered_on").dt.strftime("%Y")
            + pl.col("registered_on")
            .cum_count()
            .over(pl.col("registered_on").dt.year())
            .cast(pl.Utf8)
            .str.zfill(6)
        ).alias("petition_id")
    ).drop("o")
    return df
