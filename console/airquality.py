"""Air quality index arithmetic (US EPA AQI, 2024 PM2.5 revision), Qt-free.

Each pollutant's breakpoints are the *upper* concentration of each AQI category (units as the
catalog has them: PM in µg/m³, NO₂ and O₃ in ppb, CO in ppm); the lower edge of a category is the
previous upper edge plus the pollutant's reporting resolution, as the EPA tables write them. The
sub-index is linear inside a category; the AQI of a station is its highest sub-index and that
pollutant is the *dominant* one (what a warning names).
"""

from __future__ import annotations

from dataclasses import dataclass

from console.mapstyle import AQI_BANDS

INDEX_TOPS = (50, 100, 150, 200, 300, 500)
# pollutant -> (resolution, upper concentration of each category in INDEX_TOPS order)
BREAKPOINTS: dict[str, tuple[float, tuple[float, ...]]] = {
    "pm25": (0.1, (9.0, 35.4, 55.4, 125.4, 225.4, 325.4)),
    "pm10": (1.0, (54.0, 154.0, 254.0, 354.0, 424.0, 604.0)),
    "no2": (1.0, (53.0, 100.0, 360.0, 649.0, 1249.0, 2049.0)),
    "co": (0.1, (4.4, 9.4, 12.4, 15.4, 30.4, 50.4)),
    "o3": (1.0, (54.0, 70.0, 85.0, 105.0, 200.0, 200.0)),  # 8-hour O₃ is not defined above AQI 300
}
POLLUTANTS = tuple(BREAKPOINTS)
# Category thresholds (first AQI value of each category above "good").
MODERATE, USG, UNHEALTHY, VERY_UNHEALTHY, HAZARDOUS = 51, 101, 151, 201, 301


def sub_index(pollutant: str, concentration: float | None) -> float | None:
    """The AQI sub-index of one concentration (None when unknown or negative)."""
    if concentration is None or concentration != concentration or concentration < 0:
        return None
    resolution, tops = BREAKPOINTS[pollutant]
    c_lo, i_lo = 0.0, 0.0
    for c_hi, i_hi in zip(tops, INDEX_TOPS, strict=True):
        if concentration <= c_hi or c_hi == tops[-1]:
            if c_hi <= c_lo:  # a category the pollutant does not define (O₃ above 300)
                return float(i_lo)
            c = min(max(concentration, c_lo), c_hi)
            return i_lo + (i_hi - i_lo) * (c - c_lo) / (c_hi - c_lo)
        c_lo, i_lo = c_hi + resolution, i_hi + 1
    return 500.0  # pragma: no cover - the loop always returns on the last category


@dataclass(frozen=True)
class AqiResult:
    aqi: float | None
    dominant: str  # "" when nothing is known
    sub: dict[str, float]


def aqi_of(values: dict[str, float]) -> AqiResult:
    """AQI and dominant pollutant from a reading's concentrations (those it has)."""
    subs = {p: s for p in POLLUTANTS if (s := sub_index(p, values.get(p))) is not None}
    if not subs:
        return AqiResult(None, "", {})
    dominant = max(subs, key=subs.__getitem__)
    return AqiResult(subs[dominant], dominant, subs)


def category(aqi: float | None) -> int:
    """0 good .. 5 hazardous (index into console.mapstyle.AQI_BANDS); -1 unknown."""
    if aqi is None or aqi != aqi:
        return -1
    for i, (upper, _colour, _key) in enumerate(AQI_BANDS):
        if aqi <= upper:
            return i
    return len(AQI_BANDS) - 1


def category_key(aqi: float | None) -> str:
    """The i18n key of the category name ("map.aqi.unhealthy" ...), "kpi.no_data" when unknown."""
    c = category(aqi)
    return AQI_BANDS[c][2] if c >= 0 else "kpi.no_data"


def category_colour(aqi: float | None) -> str:
    c = category(aqi)
    return AQI_BANDS[c][1] if c >= 0 else "#8b98a5"
