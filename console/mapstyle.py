"""What the map draws and in which colours: entity kinds, status levels, the palette.

One source of truth for the page (rasad_map.js receives `palette()` as JSON at load), the Qt legend
and the tests. Colours were chosen for a dark wall: fleets are hue-separated, status uses the
traffic-light order, and "stale" is always the same grey, whatever the kind.

A drawn entity carries a 16-bit style code: `kind` (bits 0-4) | `level` << 5 (bits 5-7) | stale << 8.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.model import Priority

# -- entity kinds ----------------------------------------------------------------------------------------
# code -> (kind, legend key, drawn as)
KINDS: dict[int, tuple[str, str]] = {
    1: ("bus", "vehicle"),
    2: ("taxi", "vehicle"),
    3: ("service", "vehicle"),
    4: ("air", "sensor"),
    5: ("segment", "segment"),
    6: ("parking", "sensor"),
    7: ("water", "sensor"),
    8: ("weather", "sensor"),
    9: ("substation", "sensor"),
    10: ("solar", "sensor"),
    11: ("report", "report"),
    12: ("element", "sensor"),
    13: ("other", "sensor"),
}
KIND_CODE: dict[str, int] = {name: code for code, (name, _) in KINDS.items()}
VEHICLE_KINDS = ("bus", "taxi", "service")
VEHICLE_CODES = tuple(KIND_CODE[k] for k in VEHICLE_KINDS)
SENSOR_KINDS = tuple(name for name, drawn in KINDS.values() if drawn == "sensor")

# Bus topics -> kind. Topics not listed here still show if their readings carry a position ("other").
TOPIC_KINDS: dict[str, str] = {
    "vehicle/bus": "bus",
    "vehicle/taxi": "taxi",
    "vehicle/service": "service",
    "air/station": "air",
    "traffic/segment": "segment",
    "traffic/element": "element",
    "parking/lot": "parking",
    "water/gauge": "water",
    "weather/station": "weather",
    "energy/substation": "substation",
    "energy/solar": "solar",
    "report/137": "report",
}
# Topics whose readings are not map entities (the alarm room draws CAP areas as a feature layer).
IGNORED_TOPICS = ("cap/alert",)

# Fixed sites from console.city places: place kind -> entity kind (entity ids match place ids).
PLACE_KINDS = {
    "air": "air",
    "parking": "parking",
    "substation": "substation",
    "solar": "solar",
    "gauge": "water",
    "weather": "weather",
}

# -- levels --------------------------------------------------------------------------------------------
LEVEL_OK, LEVEL_WARN, LEVEL_ALARM, LEVEL_SEVERE = 0, 1, 2, 3
LEVEL_UNKNOWN = 7

STALE_BIT = 1 << 8
KIND_MASK = 0x1F
LEVEL_SHIFT = 5


def style_code(kind: int, level: int, stale: bool) -> int:
    return (kind & KIND_MASK) | ((level & 7) << LEVEL_SHIFT) | (STALE_BIT if stale else 0)


def split_style(code: int) -> tuple[int, int, bool]:
    return code & KIND_MASK, (code >> LEVEL_SHIFT) & 7, bool(code & STALE_BIT)


# -- palette --------------------------------------------------------------------------------------------
STALE_GREY = "#7d8590"
FLEET_COLOURS = {"bus": "#4cc9f0", "taxi": "#ffd166", "service": "#c77dff"}
# Sensor / vehicle status: ok, warn, alarm, severe (index = level).
LEVEL_COLOURS = ("#2ec4b6", "#ffbe0b", "#fb5607", "#e5383b")
# Traffic segments by speed relative to the limit: free, slowing, slow, jammed (index = level).
SEGMENT_COLOURS = ("#38b000", "#ffd000", "#ff7b00", "#d00000")
SEGMENT_NO_DATA = "#3a4657"
REPORT_COLOUR = "#f72585"
# US EPA AQI bands: upper bound (inclusive) -> colour. Used by the heatmap and the legend.
AQI_BANDS: tuple[tuple[float, str, str], ...] = (
    (50, "#00e400", "map.aqi.good"),
    (100, "#ffff00", "map.aqi.moderate"),
    (150, "#ff7e00", "map.aqi.usg"),
    (200, "#ff0000", "map.aqi.unhealthy"),
    (300, "#8f3f97", "map.aqi.very_unhealthy"),
    (500, "#7e0023", "map.aqi.hazardous"),
)
PRIORITY_COLOURS = {
    Priority.MINOR: "#4cc9f0",
    Priority.MODERATE: "#ffbe0b",
    Priority.SEVERE: "#fb5607",
    Priority.EXTREME: "#e5383b",
}
# Speed ratio thresholds (speed / limit) for segment levels 0..3.
SEGMENT_RATIOS = (0.65, 0.4, 0.2)
BACKGROUND = "#0b1119"
DISTRICT_FILL = "#16212e"
DISTRICT_LINE = "#3d5a80"
ROAD_COLOURS = {"ring": "#5c677d", "arterial": "#4a5568", "local": "#323c4a"}
ROAD_WEIGHTS = {"ring": 4.0, "arterial": 3.0, "local": 1.6}


def segment_level(speed_kmh: float | None, limit_kmh: float | None) -> int:
    if speed_kmh is None or speed_kmh != speed_kmh:
        return LEVEL_UNKNOWN
    ratio = speed_kmh / limit_kmh if limit_kmh else speed_kmh / 50.0
    for level, threshold in enumerate(SEGMENT_RATIOS):
        if ratio >= threshold:
            return level
    return LEVEL_SEVERE


def aqi_colour(value: float) -> str:
    for upper, colour, _ in AQI_BANDS:
        if value <= upper:
            return colour
    return AQI_BANDS[-1][1]


def hex_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    label_key: str  # i18n key
    symbol: str = "circle"  # circle | arrow | line | square | ring | grey


def palette() -> dict:
    """Everything the page needs to draw entities, as plain JSON."""
    return {
        "kinds": {str(code): {"name": name, "drawn": drawn} for code, (name, drawn) in KINDS.items()},
        "fleet": FLEET_COLOURS,
        "level": list(LEVEL_COLOURS),
        "segment": list(SEGMENT_COLOURS),
        "segmentNoData": SEGMENT_NO_DATA,
        "report": REPORT_COLOUR,
        "stale": STALE_GREY,
        "background": BACKGROUND,
        "districtFill": DISTRICT_FILL,
        "districtLine": DISTRICT_LINE,
        "roads": ROAD_COLOURS,
        "roadWeights": ROAD_WEIGHTS,
        "staleBit": STALE_BIT,
        "kindMask": KIND_MASK,
        "levelShift": LEVEL_SHIFT,
    }
