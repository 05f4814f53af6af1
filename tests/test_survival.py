"""Kaplan–Meier, Greenwood bands and quantiles (warmvisits/survival.py), against values worked
out by hand here and against a plain-Python product-limit estimator written in this file."""

from __future__ import annotations

import math
import random

import pytest

from warmvisits.survival import (
    curve_frame,
    curve_on_grid,
    kaplan_meier,
    km_by_group,
    km_median,
    km_quantile,
    quantile,
)

Z = 1.959964

# 8 cases; sorted: 1 R, 2 R, 2 open, 3 R, 4 open, 5 R, 5 R, 6 open
DUR = [5, 2, 1, 4, 2, 6, 3, 5]
RES = [True, False, True, False, True, False, True, True]


def test_hand_worked_curve() -> None:
    c = kaplan_meier(DUR, RES)
    assert list(c.time) == [1, 2, 3, 5]
    assert list(c.at_risk) == [8, 7, 5, 3]  # the case open at 2 is still at risk at 2
    assert list(c.events) == [1, 1, 1, 2]
    assert list(c.censored) == [0, 1, 0, 0]
    expected = [7 / 8, 7 / 8 * 6 / 7, 7 / 8 * 6 / 7 * 4 / 5, 7 / 8 * 6 / 7 * 4 / 5 * 1 / 3]
    assert c.survival == pytest.approx(expected)
    assert c.n == 8 and c.n_events == 5
    assert c.median == 5.0  # S(3) = 0.6 > 0.5, S(5) = 0.2
    assert km_quantile(c, 0.9) is None  # never at or below 0.1
    assert km_quantile(c, 0.25) == 2.0  # S(2) = 0.75 ≤ 0.75


def test_greenwood_bands_by_hand() -> None:
    v3 = 1 / (8 * 7) + 1 / (7 * 6) + 1 / (5 * 4)  # Σ d/(n(n−d)) up to t = 3
    s3 = 0.6
    plain = kaplan_meier(DUR, RES, band="plain")
    assert plain.lower[2] == pytest.approx(s3 - Z * s3 * math.sqrt(v3))
    assert plain.upper[2] == pytest.approx(s3 + Z * s3 * math.sqrt(v3))
    loglog = kaplan_meier(DUR, RES)
    se = math.sqrt(v3) / abs(math.log(s3))
    assert loglog.lower[2] == pytest.approx(s3 ** math.exp(Z * se))
    assert loglog.upper[2] == pytest.approx(s3 ** math.exp(-Z * se))
    assert loglog.lower[2] < s3 < loglog.upper[2]
    # the plain band is clipped into [0, 1]; the log-log one stays there by construction
    assert all(0 <= x <= 1 for x in plain.lower) and all(0 <= x <= 1 for x in plain.upper)


def test_median_at_exactly_half_and_plain_median_differ() -> None:
    c = kaplan_meier([1, 2, 3, 4], [True] * 4)
    assert list(c.survival) == [0.75, 0.5, 0.25, 0.0]
    assert c.median == 2.0  # first time at or below 0.5
    assert quantile([1, 2, 3, 4], 0.5) == 2.5  # mean of the two middle values
    # all resolved: the last point is 0 and its band collapses to 0
    assert c.lower[-1] == 0 and c.upper[-1] == 0


def test_no_resolutions_and_empty() -> None:
    c = kaplan_meier([3.0, 4.0], [False, False])
    assert c.n == 2 and c.n_events == 0 and len(c.time) == 0
    assert c.median is None
    assert km_median([], []) is None
    assert quantile([], 0.5) is None


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        kaplan_meier([1.0, -1.0], [True, True])
    with pytest.raises(ValueError):
        kaplan_meier([1.0], [True, False])
    with pytest.raises(ValueError):
        km_quantile(kaplan_meier([1.0], [True]), 1.0)


def _independent_km(data: list[tuple[float, bool]]) -> list[tuple[float, float]]:
    """Product-limit estimator, written out directly: walk the distinct resolution times."""
    out = []
    s = 1.0
    for t in sorted({d for d, r in data if r}):
        n = sum(1 for d, _ in data if d >= t)
        k = sum(1 for d, r in data if r and d == t)
        s *= (n - k) / n
        out.append((t, s))
    return out


def test_random_with_ties_against_independent_estimator() -> None:
    rng = random.Random(7)
    data = [(float(rng.randint(0, 40)) / 2, rng.random() < 0.7) for _ in range(300)]
    c = kaplan_meier([d for d, _ in data], [r for _, r in data])
    ref = _independent_km(data)
    assert list(c.time) == [t for t, _ in ref]
    assert list(c.survival) == pytest.approx([s for _, s in ref])
    median_ref = next((t for t, s in ref if s <= 0.5), None)
    p90_ref = next((t for t, s in ref if s <= 0.1 + 1e-12), None)
    assert c.median == median_ref
    assert km_quantile(c, 0.9) == p90_ref


def test_plain_quantile_linear_interpolation() -> None:
    values = [10, 1, 7, 3, 5]  # sorted 1 3 5 7 10
    assert quantile(values, 0.5) == 5
    # p90: position 0.9 * 4 = 3.6 → 7 + 0.6 * (10 − 7)
    assert quantile(values, 0.9) == pytest.approx(8.8)
    assert quantile([2.0], 0.9) == 2.0


def test_curve_frame_and_groups() -> None:
    import polars as pl

    f = curve_frame(kaplan_meier(DUR, RES))
    assert f.height == 5
    assert f.row(0) == (0.0, 1.0, 1.0, 1.0, 8, 0, 0)
    df = pl.DataFrame(
        {
            "days": [1.0, 2.0, 3.0, 1.0, 5.0],
            "is_resolved": [True, True, False, True, False],
            "g": ["a", "a", "a", "b", "b"],
        }
    )
    curves = km_by_group(df, group="g")
    assert set(curves) == {"a", "b"}
    assert list(curves["a"].survival) == pytest.approx([2 / 3, 1 / 3])
    assert list(curves["b"].survival) == pytest.approx([0.5])
    assert curves["b"].median == 1.0


def test_curve_on_grid_reads_the_step_function() -> None:
    # resolution times 1, 2, 3, 5 with S = .875, .75, .6, .2 (test_hand_worked_curve)
    g = curve_on_grid(kaplan_meier(DUR, RES), step=0.5)
    assert list(g["days"]) == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]
    expected = [1, 1, 0.875, 0.875, 0.75, 0.75, 0.6, 0.6, 0.6, 0.6, 0.2]
    assert list(g["still_open"]) == pytest.approx(expected)
    assert (
        curve_on_grid(kaplan_meier([2.0], [False]), until=3)["still_open"].to_list() == [1.0] * 13
    )
