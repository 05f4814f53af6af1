"""Time to resolution: Kaplan–Meier with open cases censored, and plain quantiles.

Pure numpy (and Polars for the table form); no database, no Streamlit. Pages and the
``resolution_*`` queries hand over one row per case: its duration in days (受理时间 to 办结时间 for
a resolved case, 受理时间 to the as-of moment ``t`` for a case still open at ``t``) and whether it
was resolved.

Conventions (so tests, pages and ``warmvisits kpis`` mean the same thing):

* **Ties.** At a time where cases are resolved and others are censored, the censored ones are
  still at risk at that time (resolutions happen first) — the usual convention.
* **Curve.** ``survival`` is the estimated share of cases still open just after each distinct
  resolution time: ``S(t) = Π (1 − d_i / n_i)`` over resolution times ``t_i ≤ t``.
* **KM quantile.** The time by which a share ``p`` of cases is estimated resolved is the first
  resolution time at which ``S ≤ 1 − p``; ``None`` when the curve never gets there (too many
  cases still open). The KM median is ``p = 0.5`` (METRICS.md ``km_median_days``); p90 is 0.9.
* **Confidence band.** Greenwood's variance ``Var S = S² Σ d_i / (n_i (n_i − d_i))``. The default
  band is the *log-log* one (Kalbfleisch–Prentice): with ``V = Σ d_i / (n_i (n_i − d_i))`` and
  ``se = √V / |ln S|``, the band is ``[S^exp(z·se), S^exp(−z·se)]``. It stays inside [0, 1] and
  behaves better in the tails than the *plain* band ``S ± z·S·√V`` (clipped to [0, 1]), which is
  available as ``band="plain"``. Where ``S = 1`` the band is [1, 1]; where ``S = 0`` it is [0, 0].
* **Plain quantiles** of resolved durations interpolate linearly between order statistics
  (numpy's default, DuckDB's ``quantile_cont``): the median of an even count is the mean of the
  two middle values, as METRICS.md says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
import polars as pl

Band = Literal["log-log", "plain"]


@dataclass(frozen=True)
class KMCurve:
    """A Kaplan–Meier curve: one entry per distinct resolution time (ascending)."""

    time: np.ndarray  # resolution times, days
    at_risk: np.ndarray  # n_i: cases with duration ≥ time
    events: np.ndarray  # d_i: cases resolved at time
    censored: np.ndarray  # cases censored at exactly time (still at risk there)
    survival: np.ndarray  # S(time): share still open just after time
    lower: np.ndarray  # lower band of S
    upper: np.ndarray  # upper band of S
    n: int  # cases in the curve
    n_events: int  # of which resolved
    conf: float
    band: str

    def quantile(self, p: float) -> float | None:
        """First resolution time at which the share still open is ≤ 1 − p; None if never."""
        return km_quantile(self, p)

    @property
    def median(self) -> float | None:
        return km_quantile(self, 0.5)


def _z(conf: float) -> float:
    if not 0 < conf < 1:
        raise ValueError("conf must be between 0 and 1")
    if conf == 0.95:
        return 1.959964
    return NormalDist().inv_cdf(0.5 + conf / 2)


def kaplan_meier(
    durations: Sequence[float] | np.ndarray,
    resolved: Sequence[bool] | np.ndarray,
    *,
    conf: float = 0.95,
    band: Band = "log-log",
) -> KMCurve:
    """The Kaplan–Meier estimate of the share of cases still open against days since receipt."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(resolved, dtype=bool)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError("durations and resolved must be 1-d and of the same length")
    if np.isnan(t).any():
        raise ValueError("durations contain NaN")
    if (t < 0).any():
        raise ValueError("negative duration")
    if band not in ("log-log", "plain"):
        raise ValueError(f"unknown band {band!r}")
    z = _z(conf)
    n = len(t)
    empty = np.array([], dtype=float)
    if n == 0 or not e.any():
        return KMCurve(empty, empty, empty, empty, empty, empty, empty, n, 0, conf, band)

    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    times, d_int = np.unique(t[e], return_counts=True)
    d = d_int.astype(float)
    # censored at exactly a resolution time (shown in the table; they stay at risk there)
    ct, cn = np.unique(t[~e], return_counts=True)
    c = np.zeros_like(d)
    if len(ct):
        pos = np.searchsorted(ct, times)
        found = (pos < len(ct)) & (ct[np.minimum(pos, len(ct) - 1)] == times)
        c[found] = cn[pos[found]]
    # at risk: durations ≥ time (sorted, so a search does it)
    at_risk = (n - np.searchsorted(t, times, side="left")).astype(float)
    s = np.cumprod(1.0 - d / at_risk)

    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > d, d / (at_risk * (at_risk - d)), np.inf)
    v = np.cumsum(terms)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if band == "plain":
            half = z * s * np.sqrt(v)
            lower = np.clip(s - half, 0.0, 1.0)
            upper = np.clip(s + half, 0.0, 1.0)
        else:
            se = np.sqrt(v) / np.abs(np.log(s))
            lower = s ** np.exp(z * se)
            upper = s ** np.exp(-z * se)
    degenerate_low = (s <= 0) | ~np.isfinite(v)
    lower = np.where(degenerate_low, np.maximum(s, 0.0), lower)
    upper = np.where(degenerate_low, np.maximum(s, 0.0), upper)
    lower = np.where(s >= 1, 1.0, lower)
    upper = np.where(s >= 1, 1.0, upper)
    return KMCurve(
        time=times,
        at_risk=at_risk,
        events=d,
        censored=c,
        survival=s,
        lower=lower,
        upper=upper,
        n=n,
        n_events=int(e.sum()),
        conf=conf,
        band=band,
    )


def km_quantile(curve: KMCurve, p: float) -> float | None:
    """Days by which a share ``p`` of cases is estimated resolved (KM), or None."""
    if not 0 < p < 1:
        raise ValueError("p must be between 0 and 1")
    # compare with a little slack so that 1 − 0.5 computed as a product of fractions still hits
    hit = np.nonzero(curve.survival <= (1.0 - p) + 1e-12)[0]
    if len(hit) == 0:
        return None
    return float(curve.time[hit[0]])


def km_median(
    durations: Sequence[float] | np.ndarray, resolved: Sequence[bool] | np.ndarray
) -> float | None:
    """METRICS.md ``km_median_days`` from one row per case."""
    return kaplan_meier(durations, resolved).median


def quantile(values: Sequence[float] | np.ndarray, p: float) -> float | None:
    """Plain quantile with linear interpolation (numpy default, DuckDB quantile_cont); None if empty."""
    a = np.sort(np.asarray(values, dtype=float))
    if len(a) == 0:
        return None
    pos = p * (len(a) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(a) - 1)
    return float(a[lo] + (a[hi] - a[lo]) * (pos - lo))


def curve_frame(curve: KMCurve, *, start: bool = True) -> pl.DataFrame:
    """The curve as a table for plotting as steps: days, still_open, lower, upper, at_risk,
    resolved, censored. With ``start`` a first row at day 0 with share 1."""
    rows = pl.DataFrame(
        {
            "days": curve.time,
            "still_open": curve.survival,
            "lower": curve.lower,
            "upper": curve.upper,
            "at_risk": curve.at_risk.astype(np.int64),
            "resolved": curve.events.astype(np.int64),
            "censored": curve.censored.astype(np.int64),
        },
        schema={
            "days": pl.Float64,
            "still_open": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "at_risk": pl.Int64,
            "resolved": pl.Int64,
            "censored": pl.Int64,
        },
    )
    if not start:
        return rows
    head = pl.DataFrame(
        {
            "days": [0.0],
            "still_open": [1.0],
            "lower": [1.0],
            "upper": [1.0],
            "at_risk": [curve.n],
            "resolved": [0],
            "censored": [0],
        },
        schema=rows.schema,
    )
    return pl.concat([head, rows])


def curve_on_grid(curve: KMCurve, step: float = 0.25, until: float | None = None) -> pl.DataFrame:
    """The step curve read at every ``step`` days from 0 to ``until`` (default: the last
    resolution time): days, still_open, lower, upper. The value at day x is that of the last
    resolution time at or before x (1 before the first). For plotting thousands of cases with a
    few hundred points; the curve's own points (:func:`curve_frame`) stay exact."""
    end = until if until is not None else (float(curve.time[-1]) if len(curve.time) else 0.0)
    grid = np.arange(0.0, end + step / 2, step) if end > 0 else np.array([0.0])
    idx = np.searchsorted(curve.time, grid, side="right") - 1
    ones = np.ones_like(grid)

    def at(values: np.ndarray) -> np.ndarray:
        if len(values) == 0:
            return ones
        return np.where(idx >= 0, values[np.maximum(idx, 0)], 1.0)

    return pl.DataFrame(
        {
            "days": grid,
            "still_open": at(curve.survival),
            "lower": at(curve.lower),
            "upper": at(curve.upper),
        }
    )


@dataclass(frozen=True)
class GroupSummary:
    group: str | None
    n: int
    n_resolved: int
    km_median: float | None
    km_p90: float | None
    median_resolved: float | None
    p90_resolved: float | None


def km_by_group(
    df: pl.DataFrame,
    *,
    duration: str = "days",
    event: str = "is_resolved",
    group: str | None = None,
    conf: float = 0.95,
    band: Band = "log-log",
) -> dict[str | None, KMCurve]:
    """One curve per value of ``group`` (or one curve under key None), from one row per case."""
    if group is None:
        return {
            None: kaplan_meier(df[duration].to_numpy(), df[event].to_numpy(), conf=conf, band=band)
        }
    out: dict[str | None, KMCurve] = {}
    for key, part in sorted(
        df.partition_by(group, as_dict=True).items(), key=lambda kv: str(kv[0][0])
    ):
        g = key[0]
        out[None if g is None else str(g)] = kaplan_meier(
            part[duration].to_numpy(), part[event].to_numpy(), conf=conf, band=band
        )
    return out


def summarise(curve: KMCurve, durations_resolved: Sequence[float] | np.ndarray) -> GroupSummary:
    """KM median and p90 beside the plain median and p90 of resolved durations."""
    return GroupSummary(
        group=None,
        n=curve.n,
        n_resolved=curve.n_events,
        km_median=km_quantile(curve, 0.5) if curve.n_events else None,
        km_p90=km_quantile(curve, 0.9) if curve.n_events else None,
        median_resolved=quantile(durations_resolved, 0.5),
        p90_resolved=quantile(durations_resolved, 0.9),
    )
