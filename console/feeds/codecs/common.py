"""Helpers the standard codecs share: ISO-8601 times, GeoJSON locations, units, value splitting."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from console.feeds.codecs.base import DecodeResult

# UN/CEFACT Recommendation 20 codes used by FIWARE/NGSI unitCode, as people write them.
UNIT_CODES: dict[str, str] = {
    "CEL": "°C",
    "FAH": "°F",
    "KEL": "K",
    "P1": "%",
    "C62": "",
    "GQ": "µg/m³",
    "GP": "mg/m³",
    "59": "ppm",
    "61": "ppb",
    "MTR": "m",
    "CMT": "cm",
    "MMT": "mm",
    "KMT": "km",
    "MTS": "m/s",
    "KMH": "km/h",
    "MTQ": "m³",
    "MQS": "m³/s",
    "MQH": "m³/h",
    "LTR": "l",
    "A97": "hPa",
    "HP": "mm/h",
    "DD": "°",
    "WTT": "W",
    "KWT": "kW",
    "MAW": "MW",
    "KWH": "kWh",
    "VLT": "V",
    "KVT": "kV",
    "AMP": "A",
    "HTZ": "Hz",
    "2N": "dB",
    "D52": "W/m²",
    "E32": "veh/h",
    "SEC": "s",
    "MIN": "min",
    "HUR": "h",
    "KGM": "kg",
    "TNE": "t",
}


def unit_from_code(code: Any) -> str:
    if not isinstance(code, str):
        return ""
    return UNIT_CODES.get(code, code)


def parse_time(text: Any, field: str, result: DecodeResult) -> int | None:
    """ISO-8601 / RFC 3339 → int ns UTC. No offset: read as UTC with a warning. Intervals "a/b": b."""
    if isinstance(text, dict):  # NGSI-LD {"@type": "DateTime", "@value": "..."}
        text = text.get("@value")
    if not isinstance(text, str) or not text.strip():
        result.warn(field, f"expected an ISO-8601 date-time, got {short(text)}")
        return None
    raw = text.strip()
    if "/" in raw:  # an interval: the observation ends at its end
        raw = raw.rsplit("/", 1)[1]
    value = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        result.warn(field, f"not an ISO-8601 date-time: {short(text)}")
        return None
    if moment.tzinfo is None:
        result.warn(field, f"date-time {raw!r} has no UTC offset; read as UTC")
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def posix_to_ns(seconds: int | float) -> int:
    return int(seconds * 1_000_000_000)


def iso_utc(t_ns: int) -> str:
    """int ns → "2026-11-25T00:30:00.123Z" (milliseconds, UTC)."""
    moment = dt.datetime.fromtimestamp(t_ns / 1e9, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def geojson_point(geom: Any, field: str, result: DecodeResult) -> tuple[float | None, float | None]:
    """(lat, lon) of a GeoJSON geometry (Point, or the mean vertex of lines/polygons); checks ranges."""
    if not isinstance(geom, dict) or "coordinates" not in geom:
        result.warn(field, "not a GeoJSON geometry (no coordinates)")
        return None, None
    coords = _flatten_positions(geom.get("coordinates"))
    if not coords:
        result.warn(field, f"GeoJSON {geom.get('type', '?')} without usable coordinates")
        return None, None
    lon = sum(c[0] for c in coords) / len(coords)
    lat = sum(c[1] for c in coords) / len(coords)
    if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lon <= 180.0):
        result.warn(field, f"coordinates out of range (lat {lat:g}, lon {lon:g}); location dropped")
        return None, None
    return lat, lon


def _flatten_positions(coords: Any) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    stack = [coords]
    while stack:
        c = stack.pop()
        if isinstance(c, list) and len(c) >= 2 and all(is_number(x) for x in c[:2]):
            out.append((float(c[0]), float(c[1])))
        elif isinstance(c, list):
            stack.extend(c)
    return out


def is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
