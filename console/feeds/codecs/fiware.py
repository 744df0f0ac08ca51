"""FIWARE entities (NGSI v2 and NGSI-LD, key-values and normalized) → `Reading`, shared by both codecs.

Attributes are unwrapped per attribute (a document may mix forms): v2 normalized
`{"type": "Number", "value": v, "metadata": {"unitCode": {"value": "GQ"}}}`, LD normalized
`{"type": "Property", "value": v, "unitCode": "GQ", "observedAt": ...}`, `GeoProperty`,
`Relationship` (`object`), `LanguageProperty` (`languageMap`), or plain key-values.

Mapping to the console's vocabulary is explicit and small (FIWARE_TYPES): the topic per entity type
and the attributes whose meaning and unit match a catalog signal (e.g. airQualityIndex → aqi,
relativeHumidity 0..1 → humidity %). Every other numeric attribute keeps its FIWARE name; units given
by the document travel in attrs["units"].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from console.catalog import TOPICS
from console.feeds.codecs.base import CodecError, DecodeContext, DecodeResult
from console.feeds.codecs.common import geojson_point, is_number, parse_time, short, unit_from_code
from console.model import Reading

LD_ATTR_TYPES = {
    "Property",
    "GeoProperty",
    "Relationship",
    "LanguageProperty",
    "VocabProperty",
    "ListProperty",
    "JsonProperty",
}
V2_ATTR_TYPES = {
    "Number",
    "Text",
    "DateTime",
    "Boolean",
    "StructuredValue",
    "geo:json",
    "geo:point",
    "Integer",
    "Float",
    "Relationship",
    "Date",
    "URL",
    "Array",
}
TIME_FIELDS = (
    "observedAt",
    "dateObserved",
    "dateDetected",
    "dateIssued",
    "observationDateTime",
    "TimeInstant",
    "timestamp",
    "dateModified",
    "dateCreated",
)
ENTITY_KEYS = {"id", "type", "@context"}

# molar masses for µg/m³ → ppb (24.45 l/mol at 25 °C, 1 atm)
_MOLAR = {"no2": 46.01, "o3": 48.00, "so2": 64.07, "co": 28.01}


def _fraction_to_pct(v: float) -> float:
    return v * 100.0 if 0.0 <= v <= 1.0 else v


@dataclass(frozen=True)
class TypeMap:
    """topic; FIWARE name → catalog key; conversions to the catalog unit; keys already in catalog units."""

    topic: str
    renames: dict[str, str] = field(default_factory=dict)
    convert: dict[str, Callable[[float], float]] = field(default_factory=dict)
    same_unit: frozenset[str] = frozenset()


FIWARE_TYPES: dict[str, TypeMap] = {
    "AirQualityObserved": TypeMap(
        "air/station",
        {"airQualityIndex": "aqi", "relativeHumidity": "humidity", "windSpeed": "wind_speed"},
        {"humidity": _fraction_to_pct},
        frozenset({"pm25", "pm10", "temperature"}),
    ),
    "WeatherObserved": TypeMap(
        "weather/station",
        {"relativeHumidity": "humidity", "windSpeed": "wind_speed", "precipitation": "rain_mm"},
        {"humidity": _fraction_to_pct},
        frozenset({"temperature"}),
    ),
    "TrafficFlowObserved": TypeMap(
        "traffic/segment", {"averageVehicleSpeed": "speed"}, {"occupancy": _fraction_to_pct}
    ),
    "OffStreetParking": TypeMap(
        "parking/lot", {"availableSpotNumber": "free"}, {"occupancy": _fraction_to_pct}
    ),
    "ParkingSpot": TypeMap("parking/spot"),
    "WaterObserved": TypeMap("water/gauge", {"height": "level"}),
    "Vehicle": TypeMap("vehicle/service", {"bearing": "heading"}, same_unit=frozenset({"speed"})),
    "RoadAccident": TypeMap("incident/accident"),
    "Alert": TypeMap("incident/alert"),
    "Anomaly": TypeMap("incident/anomaly"),
}


def topic_of(etype: str, attrs: dict[str, Any]) -> str:
    tm = FIWARE_TYPES.get(etype)
    if etype == "Vehicle":
        kind = str(attrs.get("vehicleType", "")).lower()
        if kind in ("bus", "minibus"):
            return "vehicle/bus"
        if kind in ("taxi", "car") and "municipalServices" not in str(attrs.get("category", "")):
            return "vehicle/taxi"
    if tm is not None:
        return tm.topic
    for topic, (et, _fa, _en) in TOPICS.items():
        if et == etype:
            return topic
    return "entity/other"


@dataclass
class Unwrapped:
    value: Any
    unit: str = ""
    observed_at: Any = None
    normalized: str = ""  # "", "v2" or "ld"


def unwrap(name: str, raw: Any, where: str, result: DecodeResult) -> Unwrapped:
    """One attribute in any NGSI form → its plain value, unit and observation time."""
    if not isinstance(raw, dict) or "type" not in raw:
        return Unwrapped(raw)
    kind = raw.get("type")
    if kind in LD_ATTR_TYPES:
        if kind == "Relationship":
            if "object" not in raw:
                result.warn(f"{where}.{name}", "Relationship without 'object'")
            return Unwrapped(raw.get("object"), normalized="ld", observed_at=raw.get("observedAt"))
        if kind == "LanguageProperty":
            lm = raw.get("languageMap") or {}
            value = (
                lm.get("fa") or lm.get("en") or next(iter(lm.values()), None)
                if isinstance(lm, dict)
                else None
            )
            return Unwrapped(value, normalized="ld", observed_at=raw.get("observedAt"))
        key = {"VocabProperty": "vocab", "JsonProperty": "json"}.get(kind, "value")
        if key not in raw:
            result.warn(f"{where}.{name}", f"{kind} without '{key}'")
        value = raw.get(key)
        if isinstance(value, dict) and "@value" in value:  # {"@type": "DateTime", "@value": "..."}
            value = value["@value"]
        return Unwrapped(
            value,
            unit=unit_from_code(raw.get("unitCode")),
            observed_at=raw.get("observedAt"),
            normalized="ld",
        )
    if (
        "value" in raw
        and (kind in V2_ATTR_TYPES or isinstance(kind, str))
        and set(raw) <= {"type", "value", "metadata"}
    ):
        meta = raw.get("metadata") or {}
        unit = ""
        if isinstance(meta, dict):
            uc = meta.get("unitCode")
            unit = unit_from_code(uc.get("value") if isinstance(uc, dict) else uc)
            ts = meta.get("TimeInstant") or meta.get("timestamp")
            observed = ts.get("value") if isinstance(ts, dict) else ts
        else:
            observed = None
        return Unwrapped(raw["value"], unit=unit, observed_at=observed, normalized="v2")
    return Unwrapped(raw)  # a structured key-value (GeoJSON, address ...)


def entity_to_reading(
    entity: Any, ctx: DecodeContext, result: DecodeResult, where: str, flavour: str
) -> tuple[Reading, dict[str, Any]]:
    """Decode one entity; returns the Reading and its key-values projection (for schema checks)."""
    if not isinstance(entity, dict):
        raise CodecError(f"an entity must be a JSON object, not {type(entity).__name__}", field=where)
    eid, etype = entity.get("id"), entity.get("type")
    if not isinstance(eid, str) or not eid:
        raise CodecError("entity without a string 'id'", field=f"{where}.id")
    if not isinstance(etype, str) or not etype:
        raise CodecError("entity without a string 'type'", field=f"{where}.type")
    if flavour == "ld" and ":" not in eid:
        result.warn(f"{where}.id", f"NGSI-LD entity id {eid!r} is not a URI")

    plain: dict[str, Any] = {"id": eid, "type": etype}
    units: dict[str, str] = {}
    observed: list[tuple[str, Any]] = []
    for name, raw in entity.items():
        if name in ENTITY_KEYS:
            continue
        u = unwrap(name, raw, where, result)
        plain[name] = u.value
        if u.unit:
            units[name] = u.unit
        if u.observed_at is not None:
            observed.append((f"{where}.{name}.observedAt", u.observed_at))

    t = None
    for key in TIME_FIELDS:
        if key in plain and plain[key] is not None:
            t = parse_time(plain[key], f"{where}.{key}", result)
            if t is not None:
                break
    if t is None and observed:
        times = [parse_time(v, f, result) for f, v in observed]
        times = [x for x in times if x is not None]
        t = max(times) if times else None
    if t is None:
        result.notes.append(f"{eid}: no observation time; using the time received")
        t = ctx.received_ns

    lat = lon = None
    if plain.get("location") is not None:
        lat, lon = geojson_point(plain["location"], f"{where}.location", result)

    tm = FIWARE_TYPES.get(etype, TypeMap(""))
    values: dict[str, float] = {}
    attrs: dict[str, Any] = {}
    for name, value in plain.items():
        if name in ("id", "type", "location") or name in TIME_FIELDS:
            continue
        if is_number(value):
            key = tm.renames.get(name, name)
            conv = tm.convert.get(key)
            values[key] = float(conv(value) if conv else value)
            if name in units and key != name:
                units[key] = units.pop(name)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            result.warn(f"{where}.{name}", f"non-finite number {short(value)} dropped")
        elif value is not None:
            attrs[name] = value
    _convert_gases(etype, values, units)
    _guard_units(etype, tm, values, units, result, eid)
    if etype == "OffStreetParking" and "occupancy" not in values:
        total, free = values.get("totalSpotNumber"), values.get("free")
        if total and free is not None:
            values["occupancy"] = max(0.0, min(100.0, (1 - free / total) * 100))
    if units:
        attrs["units"] = units
    if (
        "location" in plain
        and isinstance(plain["location"], dict)
        and plain["location"].get("type") != "Point"
    ):
        attrs["geometry"] = plain["location"]
    reading = Reading(
        source=ctx.source,
        seq=ctx.next_seq(),
        topic=topic_of(etype, plain),
        entity=eid,
        etype=etype,
        t=t,
        values=values,
        attrs=attrs,
        lat=lat,
        lon=lon,
    )
    return reading, plain


def _convert_gases(etype: str, values: dict[str, float], units: dict[str, str]) -> None:
    """Gas concentrations given as mass per volume → the catalog's ppb (ppm for CO)."""
    if etype != "AirQualityObserved":
        return
    for gas, molar in _MOLAR.items():
        unit = units.get(gas)
        if gas not in values or unit not in ("µg/m³", "mg/m³"):
            continue
        ug = values[gas] * (1000.0 if unit == "mg/m³" else 1.0)
        ppb = ug * 24.45 / molar
        values[gas] = round(ppb / 1000.0, 3) if gas == "co" else round(ppb, 1)
        units[gas] = "ppm" if gas == "co" else "ppb"


def _guard_units(
    etype: str, tm: TypeMap, values: dict[str, float], units: dict[str, str], result: DecodeResult, eid: str
) -> None:
    """A value may sit under a catalog key only in the catalog's unit: others move to "<key>_raw"."""
    mapped = set(tm.renames.values()) | set(tm.convert) | tm.same_unit
    for key in list(values):
        meta = _catalog_meta(etype, key)
        if meta is None or key in mapped or units.get(key) == meta.unit:
            continue
        raw = f"{key}_raw"
        values[raw] = values.pop(key)
        if key in units:
            units[raw] = units.pop(key)
        result.notes.append(
            f"{eid}: {key} has no unit the console knows ({units.get(raw) or 'none given'}); kept as {raw}"
        )


def _catalog_meta(etype: str, key: str):
    from console.catalog import known_signals

    global _KNOWN
    if _KNOWN is None:
        _KNOWN = {(m.etype, m.key): m for m in known_signals()}
    return _KNOWN.get((etype, key))


_KNOWN: dict | None = None


def entities_of(doc: Any) -> tuple[list[Any], str]:
    """The entities in an NGSI payload (entity, array, notification, batch) and a path prefix."""
    if isinstance(doc, list):
        return doc, "$"
    if isinstance(doc, dict):
        if isinstance(doc.get("data"), list) and (
            "subscriptionId" in doc or doc.get("type") == "Notification"
        ):
            return doc["data"], "$.data"
        if isinstance(doc.get("entities"), list) and "actionType" in doc:
            return doc["entities"], "$.entities"
        return [doc], "$"
    raise CodecError(f"NGSI payload must be an object or an array, not {type(doc).__name__}")


def ngsi_shape_score(doc: Any) -> tuple[int, int]:
    """(v2 evidence, LD evidence) from attribute shapes, for format detection."""
    ents, _ = entities_of(doc) if isinstance(doc, dict | list) else ([], "")
    v2 = ld = 0
    for e in ents[:5]:
        if not isinstance(e, dict) or "id" not in e or "type" not in e:
            return 0, 0
        if "@context" in e or (isinstance(doc, dict) and "@context" in doc):
            ld += 5
        if isinstance(e.get("id"), str) and e["id"].startswith("urn:ngsi-ld:"):
            ld += 1
        for name, raw in e.items():
            if name in ENTITY_KEYS or not isinstance(raw, dict):
                continue
            kind = raw.get("type")
            if kind in LD_ATTR_TYPES:
                ld += 3
            elif "value" in raw and kind in V2_ATTR_TYPES:
                v2 += 3
        v2 += 1
    if isinstance(doc, dict) and doc.get("type") == "Notification":
        ld += 5
    return v2, ld


def decode_entities(doc: Any, ctx: DecodeContext, flavour: str, format_name: str) -> DecodeResult:
    result = DecodeResult(format=format_name)
    entities, prefix = entities_of(doc)
    schemas = ctx.schemas
    for i, entity in enumerate(entities):
        where = f"{prefix}[{i}]" if prefix != "$" or len(entities) > 1 or isinstance(doc, list) else "$"
        reading, plain = entity_to_reading(entity, ctx, result, where, flavour)
        result.readings.append(reading)
        if schemas is not None:
            schemas.check(plain, reading.etype, where, result, flavour=flavour)
    return result


class NgsiCodec:
    """What NGSI v2 and NGSI-LD share: parse (through the safety gates), then decode the entities."""

    name = ""
    flavour = ""
    binary = False

    def decode(self, data: bytes, ctx: DecodeContext, doc: Any = None) -> DecodeResult:
        from console.feeds.codecs.safety import load_json

        doc = load_json(data) if doc is None else doc
        return decode_entities(doc, ctx, self.flavour, self.name)
