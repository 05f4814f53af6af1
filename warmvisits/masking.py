"""Personal-data masking: one rule per kind of personal data, one policy per role.

**What is personal data here** (decided by column name, so every named query that returns such a
column is masked without the page doing anything):

=================================  ========  ===============================================
column name                        kind      rule when masked
=================================  ========  ===============================================
``head_name``, ``*_head_name``     name      keep the first and last character: 张*明,
                                             欧**明; two characters 张*; one character *
``phone``, ``leader_phone``,       phone     mobile 138****5678; landline 0558-****567 (area
``*_head_phone``                             code and last 3 digits); anything else: every
                                             digit but the last two becomes *
``address``, ``*_head_address``    address   cut after the village or community (…村 /
                                             …社区): 薛阁街道马元社区***; no village: ***
=================================  ========  ===============================================

A query that returns personal data under another name escapes masking: name such columns as
above (e.g. ``caller_head_phone`` rather than ``caller_tel``). Columns like ``n_phone`` (visits
by phone) are counts, not phone numbers, and are left alone.

**Not treated as personal data:** ``leader_name`` (the grid leader, a programme worker whose
name is posted on the grid's public board and is what the assessment table is about),
``visitor`` and ``caller`` (staff named in their own work records), and codes such as
``household_id``. Free text (``problems_raised``, ``comment``, ``note``, ``title``) is shown as
exported; it is not masked by column, so queries should not return it beside a household for
roles that may not see who said it.

**Who sees what** (:data:`POLICY`):

* ``admin``: everything in full.
* ``callback``: names and phone numbers in full (to call the household and ask for the right
  person), addresses cut to the village. Callback staff only reach the 回访 pages.
* ``analyst``: names, phones and addresses masked.
* ``leader``: no personal data at all: every personal value becomes ``***``.
* any other role (or none): as ``leader``.

Nulls stay null. The library never imports Streamlit; the query layer applies
:func:`mask_frame` when a viewer's role is given (see :func:`warmvisits.queries.run`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import polars as pl

HIDDEN = "***"

_MOBILE = re.compile(r"^(?:\+?86[- ]?)?(1\d{2})[- ]?(\d{4})[- ]?(\d{4})$")
_LANDLINE = re.compile(r"^(0\d{2,3})[- ]?(\d{7,8})$")
_TOWN = re.compile(r"镇|乡|街道|街办")
_VILLAGE = re.compile(r"社区居委会|村民委员会|村委会|居委会|社区|村")


def mask_name(name: str | None) -> str | None:
    """张三明 -> 张*明, 张三 -> 张*, 欧阳小明 -> 欧**明, 张 -> *."""
    if name is None:
        return None
    s = name.strip()
    if not s:
        return s
    if len(s) == 1:
        return "*"
    if len(s) == 2:
        return s[0] + "*"
    return s[0] + "*" * (len(s) - 2) + s[-1]


def mask_phone(phone: str | None) -> str | None:
    """13812345678 -> 138****5678; 0558-1234567 -> 0558-****567; other: all digits but the
    last two masked."""
    if phone is None:
        return None
    s = phone.strip()
    if not s:
        return s
    m = _MOBILE.match(s)
    if m:
        return f"{m.group(1)}****{m.group(3)}"
    m = _LANDLINE.match(s)
    if m:
        local = m.group(2)
        return f"{m.group(1)}-{'*' * (len(local) - 3)}{local[-3:]}"
    digits = [i for i, ch in enumerate(s) if ch.isdigit()]
    keep = set(digits[-2:]) if len(digits) >= 5 else set()
    return "".join("*" if ch.isdigit() and i not in keep else ch for i, ch in enumerate(s))


def mask_address(address: str | None) -> str | None:
    """Cut after the village or community: 芦庙镇袁庄村3组12号 -> 芦庙镇袁庄村***."""
    if address is None:
        return None
    s = address.strip()
    if not s:
        return s
    town = _TOWN.search(s)
    village = _VILLAGE.search(s, town.end() if town else 0)
    if village is None:
        return HIDDEN
    cut = s[: village.end()]
    return cut if village.end() == len(s) else cut + HIDDEN


def hide(value: str | None) -> str | None:
    if value is None:
        return None
    return value if not value.strip() else HIDDEN


def _full(value: str | None) -> str | None:
    return value


RULES: dict[str, Callable[[str | None], str | None]] = {
    "name": mask_name,
    "phone": mask_phone,
    "address": mask_address,
}

# role -> kind -> "full" | "mask" | "hide"
POLICY: dict[str, dict[str, str]] = {
    "admin": {"name": "full", "phone": "full", "address": "full"},
    "callback": {"name": "full", "phone": "full", "address": "mask"},
    "analyst": {"name": "mask", "phone": "mask", "address": "mask"},
    "leader": {"name": "hide", "phone": "hide", "address": "hide"},
}
_STRICTEST = POLICY["leader"]


def personal_kind(column: str) -> str | None:
    """'name', 'phone', 'address' or None for a column name (see the module docstring).

    Deliberately narrow: ``phone`` is also a visit method (电话), so counts such as
    ``n_phone`` or ``phone_share`` must not be taken for phone numbers."""
    c = column.lower()
    if c == "head_name" or c.endswith("_head_name"):
        return "name"
    if c in ("phone", "leader_phone") or c.endswith("_head_phone"):
        return "phone"
    if c == "address" or c.endswith("_head_address"):
        return "address"
    return None


def personal_columns(columns: Iterable[str]) -> dict[str, str]:
    """The personal-data columns among ``columns``, with their kind."""
    out = {}
    for c in columns:
        kind = personal_kind(c)
        if kind is not None:
            out[c] = kind
    return out


def rule_for(role: str | None, kind: str) -> Callable[[str | None], str | None]:
    action = POLICY.get(role or "", _STRICTEST).get(kind, "hide")
    if action == "full":
        return _full
    if action == "mask":
        return RULES[kind]
    return hide


def mask_frame(df: pl.DataFrame, role: str | None) -> pl.DataFrame:
    """``df`` with its personal-data columns masked for ``role`` (a new frame)."""
    exprs = []
    for column, kind in personal_columns(df.columns).items():
        fn = rule_for(role, kind)
        if fn is _full:
            continue
        col = df.get_column(column).cast(pl.String)
        mapping = {v: fn(v) for v in col.drop_nulls().unique().to_list()}
        exprs.append(
            pl.col(column)
            .cast(pl.String)
            .replace_strict(mapping, default=None, return_dtype=pl.String)
            .alias(column)
        )
    return df.with_columns(exprs) if exprs else df
