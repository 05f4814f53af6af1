"""Sampling arithmetic against values worked by hand (METRICS.md, issue 7)."""

from __future__ import annotations

import math
from fractions import Fraction

import polars as pl
import pytest

from warmvisits import sampling as s

# ------------------------------------------------------------------ sample size


def test_sample_size_p98_e2_is_189() -> None:
    # by hand: 1.959964² = 3.841459; × 0.98 × 0.02 = 0.0752926; / 0.0004 = 188.23 → 189
    r = s.sample_size(0.98, 0.02)
    assert r.n0 == pytest.approx(188.2315, abs=1e-3)
    assert r.n == 189
    assert r.n_fpc == 189


def test_sample_size_with_population_2000_e1_is_548() -> None:
    # n0 = 3.841459 × 0.0196 / 0.0001 = 752.926; 752.926 / (1 + 751.926 / 2000) = 547.2 → 548
    r = s.sample_size(0.98, 0.01, population=2000)
    assert r.n0 == pytest.approx(752.926, abs=1e-2)
    assert r.n == 548


def test_sample_size_answer_rate_divides_and_rounds_up() -> None:
    # 189 answered calls at an expected 70% answer rate: 189 / 0.7 = 270 exactly
    assert s.sample_size(0.98, 0.02, answer_rate=0.7).n == 270
    # at 80%: 236.25 → 237
    r = s.sample_size(0.98, 0.02, answer_rate=0.8)
    assert (r.n_answered, r.n) == (189, 237)
    # never more than the population
    assert s.sample_size(0.5, 0.05, population=100, answer_rate=0.5).n == 100


def test_sample_size_steps_name_each_value() -> None:
    steps = dict(s.sample_size(0.98, 0.01, population=2000).steps())
    assert "548" in steps.values()
    assert any("2000" in k for k in steps)


def test_z_for_other_confidences() -> None:
    assert s.z_for(0.95) == 1.959964
    assert s.z_for(0.90) == pytest.approx(1.644854, abs=1e-6)
    assert s.z_for(0.99) == pytest.approx(2.575829, abs=1e-6)


# ------------------------------------------------------------------ allocation


def test_allocation_proportional_sums_to_n() -> None:
    # 600/300/100 of 50 → 30/15/5 exactly
    a = s.allocate({"A": 600, "B": 300, "C": 100}, 50)
    assert a == {"A": 30, "B": 15, "C": 5}


def test_allocation_minimum_is_kept_and_rest_reshared() -> None:
    # 1000/100/10/5, n=100, min 10: C and D would get <1 each; C is pinned at 10, D at its size 5
    # left 85 over A,B (1100): A 77.27, B 7.73 < 10 → B pinned 10; left 75 → A 75.
    a = s.allocate({"A": 1000, "B": 100, "C": 10, "D": 5}, 100, minimum=10)
    assert a == {"A": 75, "B": 10, "C": 10, "D": 5}
    assert sum(a.values()) == 100


def test_allocation_largest_remainder() -> None:
    # 1/3 each of 10: 3.33 each → 3,3,3 + one extra to the first name (ties broken by name)
    a = s.allocate({"x": 5, "y": 5, "z": 5}, 10)
    assert a == {"x": 4, "y": 3, "z": 3}
    # 7/2/1 of 5: 3.5, 1.0, 0.5 → 3,1,0 + remainders .5 (x), .5 (z) → x wins by name
    assert s.allocate({"x": 7, "y": 2, "z": 1}, 5) == {"x": 4, "y": 1, "z": 0}


@pytest.mark.parametrize("n,minimum", [(10, 0), (37, 3), (120, 5), (200, 20), (7, 2)])
def test_allocation_invariants(n: int, minimum: int) -> None:
    sizes = {"a": 400, "b": 250, "c": 90, "d": 12, "e": 3}
    a = s.allocate(sizes, n, minimum)
    for k, v in a.items():
        assert 0 <= v <= sizes[k]
        assert v >= min(minimum, sizes[k])
    floor_total = sum(min(minimum, v) for v in sizes.values())
    assert sum(a.values()) == max(n, floor_total)


def test_allocation_takes_everything_when_n_exceeds_frame() -> None:
    assert s.allocate({"a": 3, "b": 4}, 50, minimum=10) == {"a": 3, "b": 4}
    assert s.allocate({"a": 0, "b": 4}, 2) == {"a": 0, "b": 2}


# ------------------------------------------------------------------ drawing


def _frame(n: int = 300) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "case_id": [f"C{i:04d}" for i in range(n)],
            "town": [("T1", "T2", "T3")[i % 3] for i in range(n)],
        }
    )


def test_same_seed_same_sample_regardless_of_row_order() -> None:
    f = _frame()
    alloc = {"T1": 10, "T2": 5, "T3": 7}
    a = s.draw(f, key="case_id", stratum="town", allocation=alloc, seed=42)
    b = s.draw(
        f.sample(fraction=1.0, shuffle=True, seed=9),
        key="case_id",
        stratum="town",
        allocation=alloc,
        seed=42,
    )
    assert a.get_column("case_id").to_list() == b.get_column("case_id").to_list()
    counts = dict(a.group_by("stratum").len().iter_rows())
    assert counts == alloc
    assert a.get_column("draw_rank").to_list() == list(range(1, 23))


def test_different_seed_different_sample() -> None:
    f = _frame()
    a = s.draw(f, key="case_id", allocation={"": 20}, seed=1)
    b = s.draw(f, key="case_id", allocation={"": 20}, seed=2)
    assert a.height == b.height == 20
    assert set(a.get_column("case_id")) != set(b.get_column("case_id"))


def test_draw_is_a_hash_rank_per_seed() -> None:
    # independent check: the drawn units are those with the lowest blake2b(seed, key) in each stratum
    import hashlib

    f = _frame(60)
    got = s.draw(f, key="case_id", stratum="town", allocation={"T2": 4}, seed=7)

    def rank(k: str) -> str:
        return hashlib.blake2b(f"7\x1f{k}".encode(), digest_size=16).hexdigest()

    t2 = [k for k, t in zip(f["case_id"], f["town"], strict=True) if t == "T2"]
    assert got.get_column("case_id").to_list() == sorted(t2, key=rank)[:4]


def test_draw_rejects_duplicate_keys() -> None:
    f = pl.DataFrame({"k": ["a", "a"]})
    with pytest.raises(ValueError):
        s.draw(f, key="k", allocation={"": 1}, seed=1)


# ------------------------------------------------------------------ Wilson


def test_wilson_49_of_50() -> None:
    low, high = s.wilson(49, 50)  # type: ignore[misc]
    assert round(low, 3) == 0.895
    assert round(high, 3) == 0.996


def test_wilson_edges() -> None:
    assert s.wilson(0, 0) is None
    low, high = s.wilson(10, 10)  # type: ignore[misc]
    # all successes: upper bound 1, lower n/(n+z²) = 10/13.8415 = 0.7225
    assert high == pytest.approx(1.0)
    assert low == pytest.approx(10 / (10 + 1.959964**2), abs=1e-9)
    low0, _ = s.wilson(0, 10)  # type: ignore[misc]
    assert low0 == 0.0


def test_estimate_unweighted() -> None:
    e = s.estimate(412 - 7, 412)
    assert e.rate == pytest.approx(405 / 412)
    assert e.low is not None and e.high is not None and e.low < e.rate < e.high


# ------------------------------------------------------------------ stratified estimate


def test_stratified_rate_is_frame_weighted() -> None:
    # A: N=900, 45/50 = 0.9; B: N=100, 50/50 = 1.0 → 0.9·0.9 + 0.1·1.0 = 0.91 (unweighted 0.95)
    e = s.stratified_estimate([s.Stratum("A", 900, 50, 45), s.Stratum("B", 100, 50, 50)])
    assert e.rate == pytest.approx(0.91)
    assert e.weighted
    # variance by hand: 0.81 · 0.9·0.1/50 · (1 − 50/900) = 0.81 · 0.0018 · 0.94444 = 0.001377
    var = 0.81 * 0.09 / 50 * (1 - 50 / 900)
    n_eff = 0.91 * 0.09 / var
    assert e.n_effective == pytest.approx(n_eff)
    assert e.low is not None and e.high is not None
    assert e.low < 0.91 < e.high < 1


def test_stratified_equals_simple_when_one_stratum() -> None:
    e = s.stratified_estimate([s.Stratum("A", 10**9, 50, 49)])
    low, high = s.wilson(49, 50)  # type: ignore[misc]
    assert e.rate == pytest.approx(0.98)
    assert e.low == pytest.approx(low, abs=1e-6)
    assert e.high == pytest.approx(high, abs=1e-6)


def test_stratified_skips_strata_without_answers() -> None:
    e = s.stratified_estimate([s.Stratum("A", 500, 10, 9), s.Stratum("B", 500, 0, 0)])
    assert e.rate == pytest.approx(0.9)
    assert s.stratified_estimate([]).rate is None


# ------------------------------------------------------------------ LQAS


def _cdf(d: int, n: int, p: Fraction) -> Fraction:
    # independent: exact rational arithmetic
    return sum(
        (Fraction(math.comb(n, i)) * p**i * (1 - p) ** (n - i) for i in range(d + 1)), Fraction(0)
    )


def test_lqas_98_vs_90_at_10_percent() -> None:
    rule = s.lqas_plan(0.98, 0.90, 0.10, 0.10)
    assert (rule.n, rule.d) == (52, 2)
    alpha = 1 - _cdf(2, 52, Fraction(2, 100))
    beta = _cdf(2, 52, Fraction(10, 100))
    assert rule.alpha == pytest.approx(float(alpha), abs=1e-12)
    assert rule.beta == pytest.approx(float(beta), abs=1e-12)
    assert float(alpha) == pytest.approx(0.0859, abs=1e-4)
    assert float(beta) == pytest.approx(0.0966, abs=1e-4)
    assert rule.meets_targets


def test_lqas_plan_is_smallest() -> None:
    # no n < 52 has a d meeting both risks (checked with exact fractions)
    for n in range(1, 52):
        for d in range(n + 1):
            a = 1 - _cdf(d, n, Fraction(2, 100))
            b = _cdf(d, n, Fraction(10, 100))
            assert not (a <= Fraction(1, 10) and b <= Fraction(1, 10)), (n, d)


def test_lqas_decisions() -> None:
    assert s.lqas_decide("t", 52, 2).verdict == "pass"
    assert s.lqas_decide("t", 52, 3).verdict == "fail"
    assert s.lqas_decide("t", 20, 0).verdict == "too_few"
    # a place with 100 answered calls: its own rule, with risks within targets
    d = s.lqas_decide("t", 100, 0)
    assert d.verdict == "pass" and d.rule is not None and d.rule.meets_targets
    assert d.rule.beta == pytest.approx(float(_cdf(d.rule.d, 100, Fraction(1, 10))), abs=1e-12)


def test_binom_cdf_matches_exact() -> None:
    assert s.binom_cdf(3, 20, 0.1) == pytest.approx(float(_cdf(3, 20, Fraction(1, 10))), abs=1e-12)


# ------------------------------------------------------------------ counting


def test_count_outcomes() -> None:
    c = s.count_outcomes(["满意", "基本满意", "不满意", "未接通", None, "满意"])
    assert (c.calls, c.answered, c.satisfied, c.dissatisfied) == (5, 4, 3, 1)
    assert c.answer_rate == pytest.approx(0.8)
    assert c.estimate().rate == pytest.approx(0.75)


# ------------------------------------------------------------------ tables for pages


def test_summarise_outcomes_per_group() -> None:
    df = pl.DataFrame(
        {
            "town": ["A", "A", "A", "B", "B"],
            "outcome": ["满意", "不满意", None, "未接通", "基本满意"],
        }
    )
    per = s.summarise_outcomes(df, "town")
    a = per.row(0, named=True)
    assert (a["town"], a["calls"], a["answered"], a["satisfied"], a["dissatisfied"]) == (
        "A",
        2,
        2,
        1,
        1,
    )
    assert a["rate"] == pytest.approx(0.5)
    b = per.row(1, named=True)
    assert (b["calls"], b["answered"], b["answer_rate"], b["rate"]) == (2, 1, 0.5, 1.0)
    total = s.summarise_outcomes(df).row(0, named=True)
    assert (total["calls"], total["answered"], total["satisfied"]) == (4, 3, 2)


def test_lqas_table_marks_each_place() -> None:
    per = pl.DataFrame(
        {"town": ["A", "B", "C"], "answered": [52, 52, 10], "dissatisfied": [2, 3, 0]}
    )
    got = s.lqas_table(per, "town")
    assert got.get_column("verdict").to_list() == ["pass", "fail", "too_few"]
    assert got.get_column("rule_d").to_list()[:2] == [2, 2]


def test_backcheck_by_leader() -> None:
    m = pl.DataFrame(
        {
            "leader_name": ["王一", "王一", "王一", "王二", "王二"],
            "grid_code": ["G1", "G1", "G1", "G2", "G2"],
            "recorded_method": ["入户", "入户", "电话", "入户", "入户"],
            # not visited; visited but by phone though recorded at the door; as recorded;
            # as recorded; not asked (unreached)
            "visit_happened": [False, True, True, True, None],
            "visit_how": [None, "电话", "电话", "入户", None],
        }
    )
    got = s.backcheck_by_leader(m)
    rows = {r["leader_name"]: r for r in got.iter_rows(named=True)}
    assert (rows["王一"]["checked"], rows["王一"]["not_as_recorded"]) == (3, 2)
    assert rows["王一"]["share"] == pytest.approx(2 / 3)
    assert (rows["王二"]["checked"], rows["王二"]["not_as_recorded"]) == (1, 0)
    low, high = s.wilson(2, 3)  # type: ignore[misc]
    assert rows["王一"]["ci_low"] == pytest.approx(low)


def test_design_and_draw_on_a_frame() -> None:
    frame = pl.DataFrame(
        {
            "case_id": [f"C{i:02d}" for i in range(12)],
            "town": ["A"] * 8 + ["B"] * 4,
            "exclusion": [None] * 6 + ["no_phone", "open_batch"] + [None] * 4,
        }
    )
    # eligible: A 6, B 4 (N = 10). p 0.9, e 0.2: n0 = 3.8415·0.09/0.04 = 8.64;
    # 8.64 / (1 + 7.64/10) = 4.90 → 5; answer rate 1 → 5. 6 : 4 of 5 → 3 : 2.
    d = s.design(frame, stratum="town", p=0.9, margin=0.2, minimum=0)
    assert d.frame_sizes == {"A": 6, "B": 4}
    assert d.excluded == {"no_phone": 1, "open_batch": 1}
    assert d.size.n == 5 and d.allocation == {"A": 3, "B": 2}
    drawn = s.draw_design(frame, d, key="case_id", seed=3)
    assert drawn.height == 5
    assert drawn.get_column("exclusion").null_count() == 5
    assert d.stratified and d.population == 10
