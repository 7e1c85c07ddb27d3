"""Region shapes for the choropleths, from the GeoJSON shipped in this package (ODbL, README.md).

Why a simplification step: every Vega-Lite chart carries its data inline, and the source file
(632 KB, not simplified) would travel to the browser with each rerun. Dropping points within 0.03° (about
3 km, invisible at a country-wide map's scale) of the previous one, and slivers, cuts it by an
order of magnitude; the orientation of the rings (clockwise exteriors, as d3-geo expects)
is kept, so nothing turns inside out.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

GEOJSON = "morocco_regions.geojson"
PRECISION = 3  # decimals of a degree kept
TOLERANCE = 0.03  # degrees (about 3 km): a point closer than this to the last kept one is dropped
MIN_AREA = 1e-3  # square degrees; smaller polygons (islets, slivers) are dropped


def _ring_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def _simplify_ring(ring: list[list[float]]) -> list[list[float]] | None:
    out: list[list[float]] = []
    for x, y in ring:
        point = [round(x, PRECISION), round(y, PRECISION)]
        if not out or abs(out[-1][0] - point[0]) + abs(out[-1][1] - point[1]) >= TOLERANCE:
            out.append(point)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def _simplify_polygon(polygon: list[list[list[float]]]) -> list[list[list[float]]] | None:
    exterior = _simplify_ring(polygon[0])
    if exterior is None or abs(_ring_area(exterior)) < MIN_AREA:
        return None
    holes = [h for h in (_simplify_ring(r) for r in polygon[1:]) if h is not None and abs(_ring_area(h)) >= MIN_AREA]
    return [exterior, *holes]


@cache
def raw_collection() -> dict[str, Any]:
    """The shipped FeatureCollection, as is."""
    return json.loads(resources.files(__name__).joinpath(GEOJSON).read_text("utf-8"))


@cache
def _features() -> tuple[str, ...]:
    out = []
    for feature in raw_collection()["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        kept = [p for p in (_simplify_polygon(poly) for poly in polygons) if p is not None]
        simplified = {
            "type": "Feature",
            "id": feature["id"],
            "properties": {k: feature["properties"][k] for k in ("region_code", "iso_3166_2", "name_fr", "name_ar")},
            "geometry": {"type": "MultiPolygon", "coordinates": kept},
        }
        out.append(json.dumps(simplified, separators=(",", ":")))
    return tuple(out)


def region_features() -> list[dict[str, Any]]:
    """The 12 regions, simplified; a fresh copy each call (callers add their own properties)."""
    return [json.loads(text) for text in _features()]
