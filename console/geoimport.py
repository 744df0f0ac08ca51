"""`python main.py geo import FILE...`: district polygons from GeoJSON or raw OSM Overpass JSON (Qt-free).

Overpass JSON (`{"elements": [...]}` with relations, ways and nodes) is assembled the way OSM
multipolygons are defined: the relation's `outer`/`inner` (and role-less) way members are joined
end to end into closed rings (reversing ways as needed), inner rings are put into the outer ring
that contains them, and the result is a Polygon or MultiPolygon. Other members (label, seat,
admin_centre, subarea) are not boundary and are ignored. GeoJSON input keeps its Polygon /
MultiPolygon features and drops label points.

The output is one FeatureCollection of districts with `id`, `name_fa`, `name_en` (and `population`,
`source` when known), RFC 7946 ring orientation, valid geometry. Written to
`<data dir>/geo/<city>/districts.geojson` it replaces the city's synthetic districts
(console.city.imported); with `--out` it goes where you say.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.validation import make_valid

log = logging.getLogger(__name__)

_BOUNDARY_ROLES = {"outer", "inner", ""}
_FA_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class GeoImportError(ValueError):
    """Input that cannot become districts; the message names the file and the reason."""


@dataclass
class ImportReport:
    features: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def collection(self) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": self.features}


# -- ring assembly ------------------------------------------------------------------------------------
def assemble_rings(ways: list[list[int]]) -> tuple[list[list[int]], list[list[int]]]:
    """Join node-id sequences end to end into closed rings. Returns (rings, unclosed chains)."""
    pending = [list(w) for w in ways if len(w) >= 2]
    rings: list[list[int]] = []
    broken: list[list[int]] = []
    while pending:
        ring = pending.pop(0)
        while ring[0] != ring[-1]:
            for i, w in enumerate(pending):
                if w[0] == ring[-1]:
                    ring.extend(w[1:])
                elif w[-1] == ring[-1]:
                    ring.extend(reversed(w[:-1]))
                elif w[-1] == ring[0]:
                    ring[:0] = w[:-1]
                elif w[0] == ring[0]:
                    ring[:0] = list(reversed(w[1:]))
                else:
                    continue
                pending.pop(i)
                break
            else:
                broken.append(ring)
                ring = []
                break
        if ring:
            rings.append(ring)
    return rings, broken


def _polygon_from_rings(outers: list[Polygon], inners: list[Polygon]) -> Polygon | MultiPolygon:
    holes: dict[int, list] = {i: [] for i in range(len(outers))}
    for inner in inners:
        host = next((i for i, o in enumerate(outers) if o.contains(inner.representative_point())), None)
        if host is not None:
            holes[host].append(inner.exterior.coords)
    polys = [Polygon(o.exterior.coords, holes[i]) for i, o in enumerate(outers)]
    geom = polys[0] if len(polys) == 1 else MultiPolygon(polys)
    return geom


def _clean(geom: Any) -> Polygon | MultiPolygon:
    if not geom.is_valid:
        geom = make_valid(geom)
        if geom.geom_type == "GeometryCollection":
            parts = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            polys = [p for g in parts for p in (g.geoms if g.geom_type == "MultiPolygon" else [g])]
            geom = polys[0] if len(polys) == 1 else MultiPolygon(polys)
    if geom.geom_type == "Polygon":
        return orient(geom, 1.0)
    if geom.geom_type == "MultiPolygon":
        return MultiPolygon([orient(p, 1.0) for p in geom.geoms])
    raise GeoImportError(f"geometry became {geom.geom_type} after repair")


# -- names ----------------------------------------------------------------------------------------------
def _names(tags: dict[str, Any], fallback: str) -> tuple[str, str]:
    fa = str(tags.get("name:fa") or tags.get("name") or tags.get("name_fa") or "").strip()
    en = str(tags.get("name:en") or tags.get("name_en") or "").strip()
    if not en:
        digits = re.findall(r"\d+", fa.translate(_FA_TO_ASCII))
        en = f"District {digits[0]}" if digits else (fa if fa.isascii() and fa else fallback)
    return fa or en or fallback, en


def _population(tags: dict[str, Any]) -> int:
    try:
        return int(str(tags.get("population", "0")).replace(",", "").split(".")[0] or 0)
    except ValueError:
        return 0


def _feature(fid: str, tags: dict[str, Any], geom: Any, source: str) -> dict[str, Any]:
    fa, en = _names(tags, fid)
    return {
        "type": "Feature",
        "id": fid,
        "properties": {
            "id": fid,
            "name_fa": fa,
            "name_en": en,
            "population": _population(tags),
            "admin_level": str(tags.get("admin_level", "")),
            "source": source,
        },
        "geometry": mapping(geom),
    }


# -- Overpass ---------------------------------------------------------------------------------------------
def from_overpass(doc: dict[str, Any], origin: str, report: ImportReport) -> None:
    elements = doc.get("elements")
    if not isinstance(elements, list):
        raise GeoImportError(f"{origin}: no 'elements' list (not Overpass JSON)")
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, list[int]] = {}
    relations = []
    for e in elements:
        if not isinstance(e, dict):
            continue
        t = e.get("type")
        if t == "node" and "lat" in e and "lon" in e:
            nodes[int(e["id"])] = (float(e["lon"]), float(e["lat"]))
        elif t == "way" and isinstance(e.get("nodes"), list):
            ways[int(e["id"])] = [int(n) for n in e["nodes"]]
        elif t == "relation":
            relations.append(e)
    if not relations:
        raise GeoImportError(f"{origin}: no relation in the file (expected boundary relations)")
    for rel in relations:
        tags = rel.get("tags") or {}
        rid = f"osm-r{rel.get('id')}"
        if tags.get("type") not in ("boundary", "multipolygon", None):
            report.warnings.append(f"{origin}: relation {rel.get('id')} is a {tags.get('type')}, skipped")
            continue
        by_role: dict[str, list[list[int]]] = {"outer": [], "inner": []}
        missing_ways = 0
        for m in rel.get("members") or []:
            if m.get("type") != "way" or m.get("role", "") not in _BOUNDARY_ROLES:
                continue
            seq = ways.get(int(m["ref"]))
            if seq is None:
                missing_ways += 1
                continue
            by_role["inner" if m.get("role") == "inner" else "outer"].append(seq)
        if missing_ways:
            report.warnings.append(
                f"{origin}: relation {rel.get('id')}: {missing_ways} member ways not in file"
            )
        polys: dict[str, list[Polygon]] = {"outer": [], "inner": []}
        for role, seqs in by_role.items():
            rings, broken = assemble_rings(seqs)
            if broken:
                report.warnings.append(
                    f"{origin}: relation {rel.get('id')}: {len(broken)} {role} chain(s) do not close; left out"
                )
            for ring in rings:
                missing = [n for n in ring if n not in nodes]
                if missing:
                    report.warnings.append(
                        f"{origin}: relation {rel.get('id')}: ring with {len(missing)} unknown nodes left out"
                    )
                    continue
                if len(ring) >= 4:
                    polys[role].append(Polygon([nodes[n] for n in ring]))
        if not polys["outer"]:
            report.warnings.append(
                f"{origin}: relation {rel.get('id')} ({tags.get('name', '')}): no closed outer ring"
            )
            continue
        geom = _clean(_polygon_from_rings(polys["outer"], polys["inner"]))
        report.features.append(_feature(rid, tags, geom, f"OSM relation {rel.get('id')} ({origin})"))


# -- GeoJSON ------------------------------------------------------------------------------------------------
def from_geojson(doc: dict[str, Any], origin: str, report: ImportReport) -> None:
    if doc.get("type") == "Feature":
        feats = [doc]
    elif doc.get("type") == "FeatureCollection":
        feats = doc.get("features") or []
    else:
        raise GeoImportError(f"{origin}: GeoJSON of type {doc.get('type')!r}; expected FeatureCollection")
    skipped_points = 0
    for i, f in enumerate(feats, 1):
        geom_doc = (f or {}).get("geometry") or {}
        if geom_doc.get("type") not in ("Polygon", "MultiPolygon"):
            skipped_points += 1
            continue
        props = dict(f.get("properties") or {})
        tags = {**props, **(props.get("tags") or {})}
        raw_id = f.get("id") or props.get("id") or props.get("@id") or i
        fid = str(raw_id) if str(raw_id).startswith(("osm-", "d")) else f"{props.get('type', 'f')}-{raw_id}"
        try:
            geom = _clean(shape(geom_doc))
        except (ValueError, TypeError, AttributeError, GeoImportError) as exc:
            report.warnings.append(f"{origin}: feature {i}: unusable geometry ({exc})")
            continue
        report.features.append(_feature(fid, tags, geom, origin))
    if skipped_points:
        report.warnings.append(f"{origin}: {skipped_points} non-polygon feature(s) (labels) skipped")


def import_files(paths: Iterable[Path], simplify_m: float = 0.0) -> ImportReport:
    report = ImportReport()
    for path in paths:
        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise GeoImportError(f"{path}: cannot read ({exc})") from None
        except json.JSONDecodeError as exc:
            raise GeoImportError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(doc, dict):
            raise GeoImportError(f"{path}: top level is not an object")
        if "elements" in doc:
            from_overpass(doc, path.name, report)
        else:
            from_geojson(doc, path.name, report)
    if not report.features:
        raise GeoImportError("no district polygon found in the input: " + "; ".join(report.warnings[:3]))
    seen: dict[str, int] = {}
    for f in report.features:  # ids must be unique across files
        n = seen.get(f["id"], 0)
        seen[f["id"]] = n + 1
        if n:
            f["id"] = f["properties"]["id"] = f"{f['id']}-{n + 1}"
    if simplify_m > 0:
        for f in report.features:
            geom = shape(f["geometry"]).simplify(simplify_m / 111_000.0, preserve_topology=True)
            f["geometry"] = mapping(_clean(geom))
    report.features.sort(key=lambda f: _sort_key(f["properties"]["name_en"]))
    return report


def _sort_key(name: str) -> tuple:
    digits = re.findall(r"\d+", name)
    return (re.sub(r"\d+", "", name), int(digits[0]) if digits else 0, name)


def write_collection(report: ImportReport, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(report.collection(), ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    return out
