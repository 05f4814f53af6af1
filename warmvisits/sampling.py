"""Fair, reproducible satisfaction samples and honest results (METRICS.md, "Callbacks").

Everything here is plain arithmetic on counts and keys, so it is testable without a database:

* :func:`sample_size` — ``n0 = z² p (1−p) / e²``, the finite population correction
  ``n = ceil(n0 / (1 + (n0 − 1) / N))``, then divided by the expected answer rate and rounded up;
  the result carries every step so a page can show how ``n`` was reached.
* :func:`allocate` — proportional allocation to strata with a minimum per stratum (largest
  remainder rounding, never more than a stratum holds).
* :func:`draw` — a seeded draw that depends only on the frame's keys, the allocation and the seed:
  each unit gets a rank ``blake2b(seed, key)`` and a stratum takes its ``n_h`` lowest ranks. Row
  order of the frame does not matter, and the hash is stable across library versions, so a batch
  can be re-derived years later for an audit.
* :func:`wilson` — the 95% Wilson score interval (z = 1.959964).
* :func:`stratified_estimate` — the stratum-weighted proportion with an interval (Wilson on the
  effective sample size).
* :func:`lqas_plan` / :func:`lqas_rule` / :func:`lqas_decide` — lot quality assurance sampling
  rules from the exact binomial distribution, with their actual producer and consumer risks.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import polars as pl

Z95 = 1.959964  # METRICS.md's z for 95%

SATISFIED = ("满意", "基本满意")
DISSATISFIED = "不满意"
NOT_REACHED = "未接通"


def z_for(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level (0.95 → 1.959964, METRICS.md's value)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if abs(confidence - 0.95) < 1e-12:
        return Z95
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


# --------------------------------------------------------------------------- sample size


@dataclass(frozen=True)
class SampleSize:
    """The sample size and every step of how it was reached."""

    p: float
    margin: float
    confidence: float
    z: float
    population: int | None
    answer_rate: float
    n0: float  # z² p (1−p) / e², before any correction
    n_fpc: int  # after the finite population correction (= ceil(n0) without a population)
    n_answered: int  # answered calls needed (= n_fpc)
    n: int  # calls to draw: n_answered / answer_rate, rounded up, at most the population

    def steps(self) -> list[tuple[str, str]]:
        """(formula, value) pairs for display."""
        out = [
            ("z", f"{self.z:.6f}"),
            ("n0 = z² · p · (1 − p) / e²", f"{self.n0:.2f}"),
        ]
        if self.population:
            out.append((f"n = ⌈n0 / (1 + (n0 − 1) / {self.population})⌉", str(self.n_fpc)))
        else:
            out.append(("n = ⌈n0⌉", str(self.n_fpc)))
        out.append((f"n / {self.answer_rate:g} → ⌈·⌉", str(self.n)))
        return out


def sample_size(
    p: float,
    margin: float,
    confidence: float = 0.95,
    population: int | None = None,
    answer_rate: float = 1.0,
) -> SampleSize:
    """Sample size for estimating a proportion ``p`` within ``margin`` (METRICS.md)."""
    if not 0 <= p <= 1:
        raise ValueError("p must be between 0 and 1")
    if not 0 < margin < 1:
        raise ValueError("margin must be between 0 and 1")
    if not 0 < answer_rate <= 1:
        raise ValueError("answer_rate must be in (0, 1]")
    if population is not None and population < 0:
        raise ValueError("population must be non-negative")
    z = z_for(confidence)
    n0 = z * z * p * (1 - p) / (margin * margin)
    if population:
        n_fpc = math.ceil(_clean(n0 / (1 + (n0 - 1) / population)))
    else:
        n_fpc = math.ceil(_clean(n0))
    n_fpc = max(n_fpc, 1)
    n = math.ceil(_clean(n_fpc / answer_rate))
    if population is not None:
        n_fpc = min(n_fpc, population)
        n = min(n, population)
    return SampleSize(p, margin, confidence, z, population, answer_rate, n0, n_fpc, n_fpc, n)


def _clean(x: float) -> float:
    """Round away float noise before ceil (188.0000000001 is 188)."""
    return round(x, 9)


# --------------------------------------------------------------------------- allocation


def allocate(frame_sizes: Mapping[str, int], n: int, minimum: int = 0) -> dict[str, int]:
    """Proportional allocation of ``n`` to strata, each getting at least ``minimum``.

    No stratum gets more than its frame holds, nor less than ``min(minimum, its size)``. Strata
    pinned at their minimum (or their size) are set aside and the rest re-shared in proportion,
    until every share fits; shares are rounded by largest remainder (ties: stratum name). The
    total is ``n`` unless the frame is smaller (then everything) or the minimums alone exceed ``n``
    (then the sum of minimums).
    """
    if n < 0 or minimum < 0:
        raise ValueError("n and minimum must be non-negative")
    sizes = {k: int(v) for k, v in frame_sizes.items() if int(v) > 0}
    out = {k: 0 for k in frame_sizes}
    total = sum(sizes.values())
    if total == 0 or n == 0:
        return out
    if n >= total:
        out.update(sizes)
        return out
    fixed: dict[str, int] = {}
    while True:
        free = {k: s for k, s in sizes.items() if k not in fixed}
        left = n - sum(fixed.values())
        free_total = sum(free.values())
        if not free or free_total == 0:
            break
        quota = {k: left * s / free_total for k, s in free.items()}
        changed = False
        for k, q in quota.items():
            floor_k = min(minimum, sizes[k])
            if q < floor_k:
                fixed[k] = floor_k
                changed = True
            elif q > sizes[k]:
                fixed[k] = sizes[k]
                changed = True
        if not changed:
            break
    free = {k: s for k, s in sizes.items() if k not in fixed}
    left = max(n - sum(fixed.values()), 0)
    free_total = sum(free.values())
    result = dict(fixed)
    if free and free_total:
        quota = {k: left * s / free_total for k, s in free.items()}
        base = {k: math.floor(_clean(q)) for k, q in quota.items()}
        rest = left - sum(base.values())
        order = sorted(free, key=lambda k: (-(quota[k] - base[k]), k))
        for k in order[:rest]:
            base[k] += 1
        result.update(base)
    out.update(result)
    return out


# --------------------------------------------------------------------------- drawing


def rank_key(seed: int, key: str) -> str:
    """The unit's rank for a seed: a stable hash (hex), lower is drawn first."""
    h = hashlib.blake2b(f"{int(seed)}\x1f{key}".encode(), digest_size=16)
    return h.hexdigest()


def draw(
    frame: pl.DataFrame,
    *,
    key: str,
    allocation: Mapping[str, int],
    seed: int,
    stratum: str | None = None,
) -> pl.DataFrame:
    """Draw ``allocation[h]`` units from each stratum ``h`` of ``frame``.

    ``key`` names the unit's unique key column; ``stratum`` the stratum column (None: one stratum
    named ``""``). Returns the drawn rows with ``stratum`` and ``draw_rank`` (1.. within the batch,
    by stratum then rank) added, sorted by that order. Independent of the frame's row order.
    """
    if frame.get_column(key).n_unique() != frame.height:
        raise ValueError(f"frame key {key!r} is not unique")
    keys = frame.get_column(key).cast(pl.String).to_list()
    ranks = [rank_key(seed, k) for k in keys]
    strata = (
        frame.get_column(stratum).cast(pl.String).fill_null("").to_list()
        if stratum
        else [""] * frame.height
    )
    df = frame.with_columns(
        pl.Series("stratum", strata, dtype=pl.String),
        pl.Series("_rank", ranks, dtype=pl.String),
    )
    take = pl.DataFrame(
        {"stratum": list(allocation), "_take": [int(v) for v in allocation.values()]},
        schema={"stratum": pl.String, "_take": pl.Int64},
    )
    drawn = (
        df.sort(["stratum", "_rank"])
        .with_columns(pl.int_range(pl.len()).over("stratum").alias("_pos"))
        .join(take, on="stratum", how="inner")
        .filter(pl.col("_pos") < pl.col("_take"))
        .sort(["stratum", "_rank"])
        .drop(["_pos", "_take", "_rank"])
    )
    return drawn.with_columns(pl.int_range(1, pl.len() + 1).alias("draw_rank"))


# --------------------------------------------------------------------------- intervals


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for ``k`` successes in ``n`` trials; None when ``n`` is 0."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError("k must be between 0 and n")
    return _wilson_p(k / n, float(n), z)


def _wilson_p(p: float, n: float, z: float) -> tuple[float, float]:
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Estimate:
    """A proportion with its interval and the counts behind it."""

    rate: float | None
    low: float | None
    high: float | None
    successes: int
    answered: int
    weighted: bool = False
    n_effective: float | None = None


def estimate(successes: int, answered: int, z: float = Z95) -> Estimate:
    """Simple (unweighted) proportion with its Wilson interval."""
    if answered <= 0:
        return Estimate(None, None, None, successes, answered)
    ci = wilson(successes, answered, z)
    assert ci is not None
    return Estimate(successes / answered, ci[0], ci[1], successes, answered)


@dataclass(frozen=True)
class Stratum:
    name: str
    frame_size: int  # N_h
    answered: int  # n_h
    successes: int  # k_h


def stratified_estimate(strata: Sequence[Stratum], z: float = Z95) -> Estimate:
    """Stratum-weighted proportion ``Σ W_h p_h`` (``W_h = N_h / N`` over strata with answers).

    Variance ``Σ W_h² p_h (1 − p_h) / n_h · (1 − n_h / N_h)``; the interval is Wilson's at the
    weighted rate with the effective sample size ``p (1 − p) / variance`` (Kish), which keeps it
    inside [0, 1]. When the variance is 0 (every stratum all-or-nothing) the effective size is the
    number answered. Strata with no answers carry no information and are left out of the weights.
    """
    used = [s for s in strata if s.answered > 0 and s.frame_size > 0]
    answered = sum(s.answered for s in used)
    successes = sum(s.successes for s in used)
    if not used:
        return Estimate(None, None, None, successes, answered, weighted=True)
    n_total = sum(s.frame_size for s in used)
    rate = 0.0
    var = 0.0
    for s in used:
        w = s.frame_size / n_total
        p_h = s.successes / s.answered
        rate += w * p_h
        fpc = max(1 - s.answered / s.frame_size, 0.0)
        var += w * w * p_h * (1 - p_h) / s.answered * fpc
    if var > 0 and 0 < rate < 1:
        n_eff = rate * (1 - rate) / var
    else:
        n_eff = float(answered)
    low, high = _wilson_p(rate, n_eff, z)
    return Estimate(rate, low, high, successes, answered, weighted=True, n_effective=n_eff)


# --------------------------------------------------------------------------- LQAS


def binom_cdf(d: int, n: int, p: float) -> float:
    """P(X ≤ d) for X ~ Binomial(n, p), exact sum."""
    if d < 0:
        return 0.0
    if d >= n:
        return 1.0
    return min(1.0, sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(d + 1)))


@dataclass(frozen=True)
class LqasRule:
    """Pass when at most ``d`` of ``n`` answered calls are dissatisfied.

    ``alpha``: chance a place truly at ``p0`` fails (producer's risk);
    ``beta``: chance a place truly at ``p1`` passes (consumer's risk).
    """

    n: int
    d: int
    p0: float
    p1: float
    alpha: float
    beta: float
    alpha_target: float
    beta_target: float

    @property
    def meets_targets(self) -> bool:
        return self.alpha <= self.alpha_target + 1e-12 and self.beta <= self.beta_target + 1e-12


def _risks(n: int, d: int, p0: float, p1: float) -> tuple[float, float]:
    alpha = 1 - binom_cdf(d, n, 1 - p0)
    beta = binom_cdf(d, n, 1 - p1)
    return alpha, beta


def lqas_plan(
    p0: float = 0.98,
    p1: float = 0.90,
    alpha: float = 0.10,
    beta: float = 0.10,
    max_n: int = 1000,
) -> LqasRule:
    """The smallest ``n`` (and its ``d``) with producer risk ≤ alpha and consumer risk ≤ beta.

    ``p0``: the target satisfaction; ``p1``: the lower threshold (p1 < p0). For each ``n`` the
    smallest ``d`` whose producer risk is within ``alpha`` is tried; the first ``n`` where that
    ``d`` also keeps the consumer risk within ``beta`` is the plan.
    """
    if not 0 < p1 < p0 < 1:
        raise ValueError("need 0 < p1 < p0 < 1")
    for n in range(1, max_n + 1):
        for d in range(n + 1):
            a, b = _risks(n, d, p0, p1)
            if a <= alpha:
                if b <= beta:
                    return LqasRule(n, d, p0, p1, a, b, alpha, beta)
                break
    raise ValueError(f"no LQAS plan with n ≤ {max_n}")


def lqas_rule(
    n: int, p0: float = 0.98, p1: float = 0.90, alpha: float = 0.10, beta: float = 0.10
) -> LqasRule:
    """The decision rule for the ``n`` answered calls actually made in a place.

    Among the ``d`` whose producer risk is within ``alpha`` and consumer risk within ``beta``, the
    one with the smallest total risk; when no ``d`` meets both (binomial steps can leave a gap at
    some ``n``), the ``d`` whose worse risk, relative to its target, is smallest. Its actual risks
    are reported either way (``meets_targets`` says which case it is).
    """
    if n <= 0:
        raise ValueError("n must be positive")
    rules = []
    for d in range(n + 1):
        a, b = _risks(n, d, p0, p1)
        rules.append((d, a, b))
    ok = [r for r in rules if r[1] <= alpha + 1e-12 and r[2] <= beta + 1e-12]
    if ok:
        d, a, b = min(ok, key=lambda r: (r[1] + r[2], r[0]))
    else:
        d, a, b = min(rules, key=lambda r: (max(r[1] / alpha, r[2] / beta), r[0]))
    return LqasRule(n, d, p0, p1, a, b, alpha, beta)


@dataclass(frozen=True)
class LqasDecision:
    place: str
    answered: int
    dissatisfied: int
    rule: LqasRule | None
    verdict: str  # 'pass' | 'fail' | 'too_few'


def lqas_decide(
    place: str,
    answered: int,
    dissatisfied: int,
    *,
    p0: float = 0.98,
    p1: float = 0.90,
    alpha: float = 0.10,
    beta: float = 0.10,
    min_n: int | None = None,
) -> LqasDecision:
    """Pass/fail for one place. Fewer answered calls than the plan's ``n`` (or ``min_n``) gives
    'too_few' with the rule that would apply; otherwise the rule for the actual ``n``."""
    plan_n = lqas_plan(p0, p1, alpha, beta).n if min_n is None else min_n
    if answered <= 0:
        return LqasDecision(place, answered, dissatisfied, None, "too_few")
    rule = lqas_rule(answered, p0, p1, alpha, beta)
    if answered < plan_n:
        return LqasDecision(place, answered, dissatisfied, rule, "too_few")
    verdict = "pass" if dissatisfied <= rule.d else "fail"
    return LqasDecision(place, answered, dissatisfied, rule, verdict)


# --------------------------------------------------------------------------- outcomes


@dataclass
class OutcomeCounts:
    """Counts of outcomes for one group (a batch, a stratum, a quarter)."""

    calls: int = 0  # units with at least one attempt (or callback rows)
    answered: int = 0
    satisfied: int = 0  # 满意 + 基本满意
    dissatisfied: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.calls if self.calls else None

    def estimate(self) -> Estimate:
        return estimate(self.satisfied, self.answered)


def count_outcomes(outcomes: Sequence[str | None]) -> OutcomeCounts:
    """Count outcomes (None entries are units not called yet and are skipped)."""
    c = OutcomeCounts()
    for o in outcomes:
        if o is None:
            continue
        c.calls += 1
        c.by_outcome[o] = c.by_outcome.get(o, 0) + 1
        if o != NOT_REACHED:
            c.answered += 1
            if o in SATISFIED:
                c.satisfied += 1
            elif o == DISSATISFIED:
                c.dissatisfied += 1
    return c


# --------------------------------------------------------------------------- tables for pages

RESULT_SCHEMA: dict[str, Any] = {
    "calls": pl.Int64,
    "answered": pl.Int64,
    "satisfied": pl.Int64,
    "dissatisfied": pl.Int64,
    "answer_rate": pl.Float64,
    "rate": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
}


def summarise_outcomes(df: pl.DataFrame, by: str | None = None) -> pl.DataFrame:
    """Counts, answer rate and satisfaction with its Wilson interval, overall or per ``by``.

    ``df`` has an ``outcome`` column (null rows: not finished calling, left out). One row per
    group (sorted), or one row when ``by`` is None.
    """
    done = df.filter(pl.col("outcome").is_not_null())
    groups: list[tuple[Any, list[str]]]
    if by is None:
        groups = [(None, done.get_column("outcome").to_list())]
    else:
        keys = sorted(set(df.get_column(by).to_list()), key=lambda v: (v is None, str(v)))
        groups = [
            (k, done.filter(pl.col(by).eq_missing(k)).get_column("outcome").to_list()) for k in keys
        ]
    rows = []
    for k, outcomes in groups:
        c = count_outcomes(outcomes)
        e = c.estimate()
        row = {
            "calls": c.calls,
            "answered": c.answered,
            "satisfied": c.satisfied,
            "dissatisfied": c.dissatisfied,
            "answer_rate": c.answer_rate,
            "rate": e.rate,
            "ci_low": e.low,
            "ci_high": e.high,
        }
        if by is not None:
            row = {by: k, **row}
        rows.append(row)
    schema = dict(RESULT_SCHEMA)
    if by is not None:
        schema = {by: df.schema[by], **schema}
    return pl.DataFrame(rows, schema=schema)


def weighted_overall(
    per_stratum: pl.DataFrame, frame_sizes: Mapping[str, int], by: str
) -> Estimate:
    """The stratum-weighted satisfaction of a stratified batch (weights: frame sizes)."""
    strata = [
        Stratum(str(r[by]), int(frame_sizes.get(str(r[by]), 0)), r["answered"], r["satisfied"])
        for r in per_stratum.iter_rows(named=True)
    ]
    return stratified_estimate(strata)


def lqas_table(
    per_place: pl.DataFrame,
    by: str,
    *,
    p0: float = 0.98,
    p1: float = 0.90,
    alpha: float = 0.10,
    beta: float = 0.10,
) -> pl.DataFrame:
    """LQAS verdict per place from ``summarise_outcomes(…, by)`` rows: the rule used (n, d), its
    actual risks, and pass / fail / too_few (fewer answered calls than the plan's n)."""
    plan = lqas_plan(p0, p1, alpha, beta)
    rows = []
    for r in per_place.iter_rows(named=True):
        d = lqas_decide(
            str(r[by]),
            r["answered"],
            r["dissatisfied"],
            p0=p0,
            p1=p1,
            alpha=alpha,
            beta=beta,
            min_n=plan.n,
        )
        rows.append(
            {
                by: r[by],
                "answered": r["answered"],
                "dissatisfied": r["dissatisfied"],
                "rule_n": d.rule.n if d.rule else None,
                "rule_d": d.rule.d if d.rule else None,
                "alpha": d.rule.alpha if d.rule else None,
                "beta": d.rule.beta if d.rule else None,
                "verdict": d.verdict,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            by: per_place.schema[by],
            "answered": pl.Int64,
            "dissatisfied": pl.Int64,
            "rule_n": pl.Int64,
            "rule_d": pl.Int64,
            "alpha": pl.Float64,
            "beta": pl.Float64,
            "verdict": pl.String,
        },
    )


def backcheck_by_leader(members: pl.DataFrame) -> pl.DataFrame:
    """Back-check results per grid leader: households reached who answered the visit question,
    those who say they were not visited as recorded (no visit, or another method than the one
    recorded), the share with its Wilson interval.

    ``members`` is :func:`warmvisits.ops.members` of a back-check batch.
    """
    checked = members.filter(pl.col("visit_happened").is_not_null())
    not_as = checked.with_columns(
        (
            pl.col("visit_happened").not_()
            | (
                pl.col("visit_how").is_not_null()
                & (pl.col("visit_how") != pl.col("recorded_method"))
            )
        ).alias("not_as_recorded")
    )
    agg = (
        not_as.group_by("leader_name", "grid_code")
        .agg(pl.len().alias("checked"), pl.col("not_as_recorded").sum().alias("not_as_recorded"))
        .sort("grid_code", "leader_name")
    )
    rows = []
    for r in agg.iter_rows(named=True):
        ci = wilson(int(r["not_as_recorded"]), int(r["checked"]))
        rows.append(
            {
                **r,
                "share": r["not_as_recorded"] / r["checked"],
                "ci_low": ci[0] if ci else None,
                "ci_high": ci[1] if ci else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "leader_name": pl.String,
            "grid_code": pl.String,
            "checked": pl.UInt32,
            "not_as_recorded": pl.UInt32,
            "share": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        },
    ).cast({"checked": pl.Int64, "not_as_recorded": pl.Int64})


# --------------------------------------------------------------------------- design and draw


@dataclass(frozen=True)
class Design:
    """A sample design on a frame: how many, where from, and what was left out."""

    size: SampleSize
    stratum: str | None  # the frame column that names strata (None: not stratified)
    frame_sizes: dict[str, int]  # eligible units per stratum
    excluded: dict[str, int]  # units left out, by reason
    allocation: dict[str, int]
    minimum: int

    @property
    def population(self) -> int:
        return sum(self.frame_sizes.values())

    @property
    def n_total(self) -> int:
        return sum(self.allocation.values())

    @property
    def stratified(self) -> bool:
        return self.stratum is not None and len(self.frame_sizes) > 1


def design(
    frame: pl.DataFrame,
    *,
    stratum: str | None,
    p: float,
    margin: float,
    confidence: float = 0.95,
    answer_rate: float = 1.0,
    minimum: int = 0,
    exclusion: str = "exclusion",
) -> Design:
    """The sample size for the eligible part of ``frame`` (rows whose ``exclusion`` is null) and
    its allocation to strata (``stratum`` column, or one stratum ``""``)."""
    excluded: dict[str, int] = {}
    if exclusion in frame.columns:
        for reason, n in frame.group_by(exclusion).len().iter_rows():
            if reason is not None:
                excluded[str(reason)] = int(n)
        eligible = frame.filter(pl.col(exclusion).is_null())
    else:
        eligible = frame
    if stratum:
        sizes = {
            ("" if k is None else str(k)): int(n)
            for k, n in eligible.group_by(stratum).len().sort(stratum).iter_rows()
        }
    else:
        sizes = {"": eligible.height} if eligible.height else {}
    population = sum(sizes.values())
    size = sample_size(
        p, margin, confidence, population=population or None, answer_rate=answer_rate
    )
    n = min(size.n, population)
    alloc = allocate(sizes, n, minimum if stratum else 0)
    return Design(size, stratum, sizes, dict(sorted(excluded.items())), alloc, minimum)


def draw_design(frame: pl.DataFrame, d: Design, *, key: str, seed: int) -> pl.DataFrame:
    """Draw the design's allocation from the eligible rows of ``frame`` with ``seed``."""
    eligible = (
        frame.filter(pl.col("exclusion").is_null()) if "exclusion" in frame.columns else frame
    )
    return draw(eligible, key=key, stratum=d.stratum, allocation=d.allocation, seed=seed)
