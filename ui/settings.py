"""Dashboard settings with their documented defaults (environment variables override them)."""

from __future__ import annotations

import os


def _float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


# METRICS.md: a grid is below target when its coverage is under the coverage target
COVERAGE_TARGET = _float("WARMVISITS_COVERAGE_TARGET", 0.95)
# coverage page: a grid's door share at or above this, in a grid where most households are
# migrants or where the district's door share is much lower, is implausible
HIGH_DOOR_SHARE = _float("WARMVISITS_HIGH_DOOR_SHARE", 0.98)
# coverage page: the round's field window is the central share of its visit dates
ROUND_WINDOW_SHARE = _float("WARMVISITS_ROUND_WINDOW_SHARE", 0.98)
# coverage page: a grid with at least this many visits all on one day is implausible
ONE_DAY_MIN_VISITS = int(_float("WARMVISITS_ONE_DAY_MIN_VISITS", 10))
