"""Calendar quarters: parse the forms the exports use, and the moments that bound a quarter.

A quarter (and a visit round) is written ``2023Q1``. The exports also write ``2023-Q1``,
``2023年第一季度`` and ``2023年一季度``; :func:`parse_quarter` reads all of them (full-width
characters and surrounding spaces tolerated) and :func:`format_quarter` writes the canonical form.

Bounds are naive local timestamps: ``2023Q1`` starts at ``2023-01-01 00:00:00`` and ends at
``2023-03-31 23:59:59`` (the quarter's last whole second, which is how METRICS.md reads "as of the
end of the quarter").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_ZH_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4}
_FORMS = (
    re.compile(r"^(\d{4})\s*-?\s*q([1-4])$", re.I),  # 2023Q1, 2023-Q1, 2023 q1
    re.compile(
        r"^(\d{4})年第?([1-4一二三四])季度?$"
    ),  # 2023年第一季度, 2023年一季度, 2023年第1季度
)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter; ordered by time."""

    year: int
    q: int

    def __post_init__(self) -> None:
        if not 1 <= self.q <= 4:
            raise ValueError(f"quarter number must be 1-4, not {self.q}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year out of range: {self.year}")

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.q}"

    def __str__(self) -> str:
        return self.code

    @property
    def start(self) -> datetime:
        """First moment: ``2023-01-01 00:00:00`` for 2023Q1."""
        return datetime(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> datetime:
        """Last whole second: ``2023-03-31 23:59:59`` for 2023Q1."""
        return self.next().start - timedelta(seconds=1)

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return self.end.date()

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def year_earlier(self) -> Quarter:
        """The same quarter one year earlier (for year-on-year changes)."""
        return Quarter(self.year - 1, self.q)

    def contains(self, moment: date | datetime) -> bool:
        return quarter_of(moment) == self


def parse_quarter(text: str | Quarter) -> Quarter:
    """``2023Q1`` / ``2023-Q1`` / ``2023年第一季度`` / ``2023年一季度`` -> Quarter; ValueError otherwise."""
    if isinstance(text, Quarter):
        return text
    if not isinstance(text, str):
        raise ValueError(f"not a quarter: {text!r}")
    s = unicodedata.normalize("NFKC", text).strip()
    for form in _FORMS:
        m = form.match(s)
        if m:
            year, q = m.group(1), m.group(2)
            return Quarter(int(year), _ZH_NUMBERS.get(q) or int(q))
    raise ValueError(f"not a quarter: {text!r} (expected e.g. 2023Q1, 2023-Q1 or 2023年第一季度)")


def format_quarter(quarter: str | Quarter) -> str:
    """The canonical code, ``2023Q1``."""
    return parse_quarter(quarter).code


def quarter_of(moment: date | datetime) -> Quarter:
    return Quarter(moment.year, (moment.month - 1) // 3 + 1)


def quarter_start(quarter: str | Quarter) -> datetime:
    return parse_quarter(quarter).start


def quarter_end(quarter: str | Quarter) -> datetime:
    return parse_quarter(quarter).end


def previous_quarter(quarter: str | Quarter) -> str:
    return parse_quarter(quarter).previous().code


def year_earlier(quarter: str | Quarter) -> str:
    """Same quarter a year earlier: ``2023Q1`` -> ``2022Q1``."""
    return parse_quarter(quarter).year_earlier().code


def quarter_range(first: str | Quarter, last: str | Quarter) -> list[str]:
    """Every quarter from ``first`` to ``last`` inclusive (empty when last is earlier)."""
    a, b = parse_quarter(first), parse_quarter(last)
    out = []
    while a <= b:
        out.append(a.code)
        a = a.next()
    return out
