"""Personal-data masking applied to every query result by ``ui.query``.

TODO(auth helper): replace with ``warmvisits.masking`` (issue 9) — this module delegates to it
when it exists (``warmvisits.masking.mask_frame(df, role)``) and otherwise applies a minimal
rule: names 张*明, phones 138****5678, addresses cut to the village.
"""

from __future__ import annotations

import importlib

import polars as pl

NAME_COLUMNS = ("head_name",)
PHONE_COLUMNS = ("phone",)
ADDRESS_COLUMNS = ("address",)
# roles that see full phone numbers (callback staff phone households)
FULL_PHONE_ROLES = frozenset({"callback"})
FULL_NAME_ROLES = frozenset({"callback"})


def _library_masker():  # type: ignore[no-untyped-def]
    try:
        mod = importlib.import_module("warmvisits.masking")
    except ImportError:
        return None
    return getattr(mod, "mask_frame", None)


def mask_name_expr(col: str) -> pl.Expr:
    c = pl.col(col)
    n = c.str.len_chars()
    return (
        pl.when(c.is_null())
        .then(None)
        .when(n <= 1)
        .then(pl.lit("*"))
        .when(n == 2)
        .then(c.str.slice(0, 1) + pl.lit("*"))
        .otherwise(c.str.slice(0, 1) + pl.lit("*") + c.str.slice(-1, 1))
        .alias(col)
    )


def mask_phone_expr(col: str) -> pl.Expr:
    c = pl.col(col).cast(pl.String)
    return (
        pl.when(c.str.contains(r"^\d{11}$"))
        .then(c.str.replace(r"^(\d{3})\d{4}(\d{4})$", "$1****$2"))
        .when(c.str.len_chars() > 4)
        .then(
            c.str.slice(0, c.str.len_chars() - 4).str.replace_all(r"\d", "*") + c.str.slice(-4, 4)
        )
        .otherwise(c)
        .alias(col)
    )


def mask_address_expr(col: str) -> pl.Expr:
    c = pl.col(col)
    return (
        pl.when(c.str.contains("(村|社区)"))
        .then(c.str.extract(r"^(.*?(?:村|社区))", 1) + pl.lit("…"))
        .when(c.str.len_chars() > 6)
        .then(c.str.slice(0, 6) + pl.lit("…"))
        .otherwise(c)
        .alias(col)
    )


def mask_frame(df: pl.DataFrame, role: str) -> pl.DataFrame:
    lib = _library_masker()
    if lib is not None:
        return lib(df, role)
    exprs = []
    for col in df.columns:
        if col in NAME_COLUMNS and role not in FULL_NAME_ROLES:
            exprs.append(mask_name_expr(col))
        elif col in PHONE_COLUMNS and role not in FULL_PHONE_ROLES:
            exprs.append(mask_phone_expr(col))
        elif col in ADDRESS_COLUMNS:
            exprs.append(mask_address_expr(col))
    return df.with_columns(exprs) if exprs else df
