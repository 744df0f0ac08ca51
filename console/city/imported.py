"""Real district polygons replacing a city's synthetic ones (from `python main.py geo import`).

If `<data dir>/geo/<city>/districts.geojson` exists, `console.city.load_city(city)` uses its districts
(names, polygons, population) instead of the generated ones; the road graph and places stay as
generated, and each road and place is re-assigned to the imported district it lies in. A broken
file is reported once and the synthetic districts are kept.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

from shapely.geometry import shape

from console.paths import data_dir

log = logging.getLogger(__name__)


def district_override_path(city_key: str) -> Path:
    return data_dir() / "geo" / city_key / "districts.geojson"


def load_districts(path: Path) -> list:
    from console.city import District

    doc = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, f in enumerate(doc.get("features") or [], 1):
        geom = f.get("geometry") or {}
        if geom.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        props = f.get("properties") or {}
        shp = shape(geom)
        largest = max(shp.geoms, key=lambda p: p.area) if shp.geom_type == "MultiPolygon" else shp
        out.append(
            District(
                id=str(props.get("id") or f.get("id") or f"d{i}"),
                name_fa=str(props.get("name_fa") or props.get("name") or f"d{i}"),
                name_en=str(props.get("name_en") or props.get("name") or f"d{i}"),
                ring=tuple((float(x), float(y)) for x, y in largest.exterior.coords),
                population=int(props.get("population") or 0),
                geometry=geom,
            )
        )
    if not out:
        raise ValueError("no Polygon/MultiPolygon district in the file")
    return out


def with_imported_districts(city):
    """`city` with its districts replaced by the imported ones, when an override file exists."""
    path = district_override_path(city.key)
    if not path.is_file():
        return city
    try:
        districts = load_districts(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error("imported districts %s unusable (%s); keeping the generated districts", path, exc)
        return city
    from console.city import City

    probe = City(
        city.key, city.name_fa, city.name_en, city.center, districts, {}, [], districts_origin=str(path)
    )

    def district_of(lat: float, lon: float) -> str:
        d = probe.district_at(lat, lon)
        return d.id if d else "outside"

    roads = []
    for r in city.roads:
        a, b = city.nodes[r.a], city.nodes[r.b]
        roads.append(replace(r, district=district_of((a.lat + b.lat) / 2, (a.lon + b.lon) / 2)))
    out = City(
        city.key,
        city.name_fa,
        city.name_en,
        city.center,
        districts,
        city.nodes,
        roads,
        synthetic=city.synthetic,
        districts_origin=str(path),
        no_bus=city.no_bus,
    )
    out.places = {
        kind: [{**p, "district": district_of(p["lat"], p["lon"])} for p in items]
        for kind, items in city.places.items()
    }
    log.info("city %s: %d imported districts from %s", city.key, len(districts), path)
    return out
