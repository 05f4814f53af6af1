"""Which values of a league table lag, and the table as HTML (pure functions, testable alone).

A value lags when:
- coverage is below the coverage target;
- a rate where more is better (resolution, on-time, satisfaction) is in the bottom quarter of
  the rows and below the figure for the scope as a whole;
- overdue cases are in the top quarter of the rows and above zero;
- petitions rise year on year (YoY > 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ui.svgchart import esc

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


@dataclass(frozen=True)
class Column:
    """A figure column of the league table: its key in the frame, header, hover help and how
    a value is shown."""

    key: str
    label: str
    help: str
    fmt: Callable[[Any], str]


def _sort_value(v: Any) -> str:
    """``data-v`` of a cell: the raw number the table sorts by ("" when missing)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return repr(float(v)) if isinstance(v, float) else str(v)


def table_html(
    df: pl.DataFrame,
    columns: Sequence[Column],
    name_label: str,
    lagging_label: str,
    lagging_help: str,
    reasons: Mapping[str, str],
    collation: str,
) -> str:
    """The league table as HTML for ui/markup.py: one row per place of ``df`` (``code``,
    ``name``, the columns, ``lag_<column>`` flags and ``n_lagging`` from :func:`lagging`) whose
    ``data-select`` is the place's code, every cell carrying the raw value it sorts by
    (``data-v``; names sort with ``collation``), lagging cells marked (class ``wv-lag``, a ⚠
    sign, and the rule that flags them, ``reasons[column]``, as their tooltip) and the name a
    button for the drill-down. All text is escaped."""
    head = [
        f'<th scope="col" data-key="name" data-type="text">'
        f'<button type="button">{esc(name_label)}</button></th>'
    ]
    for c in columns:
        head.append(
            f'<th scope="col" data-key="{esc(c.key)}" data-type="num" title="{esc(c.help)}">'
            f'<button type="button">{esc(c.label)}</button></th>'
        )
    head.append(
        f'<th scope="col" data-key="n_lagging" data-type="num" title="{esc(lagging_help)}">'
        f'<button type="button">{esc(lagging_label)}</button></th>'
    )
    body = []
    for row in df.iter_rows(named=True):
        cells = [
            f'<th scope="row" data-v="{esc(row["name"])}">'
            f'<button type="button" class="wv-go">{esc(row["name"])}</button></th>'
        ]
        for c in columns:
            value = row.get(c.key)
            shown = esc(c.fmt(value))
            if row.get(f"lag_{c.key}"):
                cells.append(
                    f'<td class="wv-lag" data-v="{_sort_value(value)}" '
                    f'title="{esc(reasons.get(c.key, ""))}">⚠ {shown}</td>'
                )
            else:
                cells.append(f'<td data-v="{_sort_value(value)}">{shown}</td>')
        n = int(row.get("n_lagging") or 0)
        cells.append(
            f'<td class="wv-count{" wv-lag" if n else ""}" data-v="{n}">{n if n else ""}</td>'
        )
        body.append(f'<tr data-select="{esc(row["code"])}">{"".join(cells)}</tr>')
    return (
        f'<div class="wv-scroll"><table class="wv-league" data-sortable="{esc(collation)}">'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
