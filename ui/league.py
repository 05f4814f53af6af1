"""Which values of a league table lag (pure functions over a Polars frame, testable alone).

A value lags when:
- coverage is below the coverage target;
- a rate where more is better (resolution, on-time, satisfaction) is in the bottom quarter of
  the rows and below the figure for the scope as a whole;
- overdue cases are in the top quarter of the rows and above zero;
- petitions rise year on year (YoY > 0).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

HIGHER_IS_BETTER = ("resolution_rate", "on_time_rate", "satisfaction_rate")


def lagging(df: pl.DataFrame, overall: Mapping[str, float | None], target: float) -> pl.DataFrame:
    """``df`` plus a boolean ``lag_<column>`` per judged column and ``n_lagging``."""
    exprs: list[pl.Expr] = []
    if "coverage" in df.columns:
        exprs.append((pl.col("coverage") < target).fill_null(False).alias("lag_coverage"))
    for col in HIGHER_IS_BETTER:
        if col not in df.columns:
            continue
        q25 = df[col].drop_nulls().quantile(0.25, "linear")
        whole = overall.get(col)
        cond = pl.lit(q25 is not None) & (pl.col(col) <= (q25 if q25 is not None else 0.0))
        if whole is not None:
            cond = cond & (pl.col(col) < whole)
        exprs.append(cond.fill_null(False).alias(f"lag_{col}"))
    if "overdue_cases" in df.columns:
        q75 = df["overdue_cases"].quantile(0.75, "linear")
        exprs.append(
            ((pl.col("overdue_cases") >= (q75 or 0)) & (pl.col("overdue_cases") > 0))
            .fill_null(False)
            .alias("lag_overdue_cases")
        )
    if "petitions_yoy" in df.columns:
        exprs.append((pl.col("petitions_yoy") > 0).fill_null(False).alias("lag_petitions_yoy"))
    out = df.with_columns(exprs)
    lag_cols = [c for c in out.columns if c.startswith("lag_")]
    if lag_cols:
        out = out.with_columns(pl.sum_horizontal(lag_cols).cast(pl.Int64).alias("n_lagging"))
    return out
