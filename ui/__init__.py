"""What every page script uses: ``import ui``.

- ``ui.t(key, **fmt)`` — interface string in the session's language
- ``ui.filters()`` — ``Filters(quarter, scope, lang, as_of)``
- ``ui.query(name, **params)`` — a named query on the current build, cached per
  (build, name, params), personal data masked for the signed-in role
- ``ui.kpis(quarter, scope, as_of=None)`` — ``warmvisits kpis`` as a dict, cached
- ``ui.page_header(title_key)`` — title + as-of/build line; False when there is nothing to show
- ``ui.set_scope(code)`` — drill down (narrows the shared scope and the URL, reruns)
- ``ui.user()`` — ``.role``, ``.scope``, ``.name``
- ``ui.fmt_pct``, ``ui.fmt_int``, ``ui.fmt_ts``, ``ui.enum_label``, ``ui.quarter_label``
"""

from __future__ import annotations

from typing import Any

import polars as pl

from . import auth, data, masking, state
from .auth import User, user
from .data import connection, current_build, kpis
from .fmt import (
    csv_bytes,
    each,
    fmt_days,
    fmt_int,
    fmt_pct,
    fmt_pct_points,
    fmt_signed_int,
    fmt_signed_pct,
    fmt_ts,
    md_escape,
)
from .header import build_info, is_demo, page_header
from .router import ensure_router
from .state import (
    Filters,
    enum_label,
    filters,
    lang,
    parent_scope,
    quarter_label,
    quarters,
    rounds,
    scope_level,
    scope_path,
    set_quarter,
    set_scope,
    t,
)


def query(name: str, **params: Any) -> pl.DataFrame:
    """Run a named query on the current build: cached, personal data masked for the role."""
    df = data.run_raw(name, **params)
    return masking.mask_frame(df, user().role)


ensure_router()

__all__ = [
    "Filters",
    "User",
    "auth",
    "data",
    "masking",
    "state",
    "build_info",
    "connection",
    "csv_bytes",
    "current_build",
    "enum_label",
    "ensure_router",
    "each",
    "filters",
    "fmt_days",
    "fmt_int",
    "fmt_pct",
    "fmt_pct_points",
    "fmt_signed_int",
    "fmt_signed_pct",
    "fmt_ts",
    "md_escape",
    "is_demo",
    "kpis",
    "lang",
    "page_header",
    "parent_scope",
    "query",
    "quarter_label",
    "quarters",
    "rounds",
    "scope_level",
    "scope_path",
    "set_quarter",
    "set_scope",
    "t",
    "user",
]
