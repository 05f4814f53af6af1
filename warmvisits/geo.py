"""Grid boundaries for maps: WKT polygons to coordinate lists, colours and a view that fits.

The export carries each grid's boundary as WKT (``POLYGON((lon lat, …))`` in WGS84). DuckDB's
spatial extension is not available offline, so the few thousand small polygons of a district
are parsed here, in plain Python, into the ``[[lon, lat], …]`` rings pydeck's PolygonLayer
draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

Ring = list[list[float]]

_NUMBER_PAIR = re.compile(
    r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s+(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
)
_KIND = re.compile(r"^\s*(MULTIPOLYGON|POLYGON)\s*(?:Z|M|ZM)?\s*\(", re.IGNORECASE)


def parse_polygon(wkt: str | None) -> list[Ring] | None:
    """The outer rings of a WKT ``POLYGON`` or ``MULTIPOLYGON`` (holes are dropped: grids have
    none that matter on a map), each ring a list of ``[lon, lat]``; None when the text is blank
    or not a polygon."""
    if not wkt:
        return None
    m = _KIND.match(wkt)
    if not m:
        return None
    body = wkt[m.end() - 1 :].strip()
    polygons = _split_top(body[1:-1]) if m.group(1).upper() == "MULTIPOLYGON" else [body]
    rings: list[Ring] = []
    for polygon in polygons:
        parts = _split_top(polygon.strip()[1:-1])
        if not parts:
            continue
        outer = [[float(x), float(y)] for x, y in _NUMBER_PAIR.findall(parts[0])]
        if len(outer) >= 3:
            rings.append(outer)
    return rings or None


def _split_top(text: str) -> list[str]:
    """Split ``(…),(…)`` at the commas between top-level parentheses."""
    out: list[str] = []
    depth = 0
    start = None
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                start = i
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and start is not None:
                out.append(text[start : i + 1])
                start = None
    return out


# red → amber → green; below the target is always on the red side
_LOW = (192, 57, 43)
_MID = (243, 156, 18)
_HIGH = (39, 174, 96)
NO_DATA = [189, 195, 199, 160]


def _mix(a: Sequence[int], b: Sequence[int], f: float) -> list[int]:
    return [round(x + (y - x) * f) for x, y in zip(a, b, strict=True)]


def coverage_color(coverage: float | None, target: float = 0.95, alpha: int = 190) -> list[int]:
    """RGBA for a coverage value: grey without data; red (0) → amber (just under the target);
    amber → green from the target to 1."""
    if coverage is None or (isinstance(coverage, float) and math.isnan(coverage)):
        return list(NO_DATA)
    c = min(max(float(coverage), 0.0), 1.0)
    if c < target:
        floor = max(target - 0.25, 0.0)
        f = 0.0 if c <= floor else (c - floor) / (target - floor)
        rgb = _mix(_LOW, _MID, f * 0.8)
    else:
        f = 1.0 if target >= 1 else (c - target) / (1 - target)
        rgb = _mix(_MID, _HIGH, 0.4 + 0.6 * f)
    return [*rgb, alpha]


def fit_view(rings: Iterable[Ring]) -> tuple[float, float, float]:
    """(longitude, latitude, zoom) of a web-mercator view that shows every ring."""
    lons: list[float] = []
    lats: list[float] = []
    for ring in rings:
        for lon, lat in ring:
            lons.append(lon)
            lats.append(lat)
    if not lons:
        return 115.78, 33.85, 9.0  # Bozhou
    span_lon = max(max(lons) - min(lons), 1e-4)
    span_lat = max(max(lats) - min(lats), 1e-4)
    lat_c = (max(lats) + min(lats)) / 2
    # the map is about 900 px wide and 520 px high; deck.gl's world is 512 px wide at zoom 0
    zoom_lon = math.log2(900 / 512 * 360 / span_lon)
    zoom_lat = math.log2(520 / 512 * 360 / (span_lat / math.cos(math.radians(lat_c))))
    zoom = max(min(zoom_lon, zoom_lat) - 0.3, 3.0)
    return (max(lons) + min(lons)) / 2, lat_c, round(min(zoom, 17.0), 2)
