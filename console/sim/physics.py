"""Small pure functions the simulator's models share: AQI, sun elevation, daily demand curves."""

from __future__ import annotations

import math

# US EPA AQI breakpoints: (C_lo, C_hi, I_lo, I_hi)
_PM25 = [
    (0.0, 9.0, 0, 50),
    (9.1, 35.4, 51, 100),
    (35.5, 55.4, 101, 150),
    (55.5, 125.4, 151, 200),
    (125.5, 225.4, 201, 300),
    (225.5, 500.4, 301, 500),
]
_PM10 = [
    (0, 54, 0, 50),
    (55, 154, 51, 100),
    (155, 254, 101, 150),
    (255, 354, 151, 200),
    (355, 424, 201, 300),
    (425, 604, 301, 500),
]
_NO2 = [
    (0, 53, 0, 50),
    (54, 100, 51, 100),
    (101, 360, 101, 150),
    (361, 649, 151, 200),
    (650, 1249, 201, 300),
    (1250, 2049, 301, 500),
]
_CO = [
    (0.0, 4.4, 0, 50),
    (4.5, 9.4, 51, 100),
    (9.5, 12.4, 101, 150),
    (12.5, 15.4, 151, 200),
    (15.5, 30.4, 201, 300),
    (30.5, 50.4, 301, 500),
]
_O3 = [(0, 54, 0, 50), (55, 70, 51, 100), (71, 85, 101, 150), (86, 105, 151, 200), (106, 200, 201, 300)]


def _sub_index(c: float, table) -> float:
    for c_lo, c_hi, i_lo, i_hi in table:
        if c <= c_hi:
            c = max(c, c_lo)
            return i_lo + (i_hi - i_lo) * (c - c_lo) / (c_hi - c_lo)
    return 500.0


def aqi(pm25: float, pm10: float, no2: float, co: float, o3: float) -> float:
    """The highest pollutant sub-index (US EPA breakpoints; concentrations in µg/m³, ppb, ppm, ppb)."""
    return max(
        _sub_index(pm25, _PM25),
        _sub_index(pm10, _PM10),
        _sub_index(no2, _NO2),
        _sub_index(co, _CO),
        _sub_index(o3, _O3),
    )


def sun_elevation_deg(t_utc_s: float, lat: float, lon: float) -> float:
    """Solar elevation angle (NOAA's simple formulation, ±0.5°)."""
    day = t_utc_s / 86400.0
    doy = (day % 365.2422) + 1
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + doy) / 365.0)
    solar_hour = ((t_utc_s % 86400) / 3600.0 + lon / 15.0) % 24
    hour_angle = math.radians(15 * (solar_hour - 12))
    phi = math.radians(lat)
    sin_el = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(hour_angle)
    return math.degrees(math.asin(max(-1.0, min(1.0, sin_el))))


def day_of_year(t_utc_s: float) -> float:
    return ((t_utc_s / 86400.0) % 365.2422) + 1


def bump(hour: float, centre: float, width: float) -> float:
    d = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-0.5 * (d / width) ** 2)


def traffic_demand(hour: float) -> float:
    """0..1: morning and evening rush, a lunchtime shoulder, quiet nights."""
    return min(
        1.0, 0.12 + 0.85 * bump(hour, 7.8, 1.2) + 0.55 * bump(hour, 13.5, 1.5) + 0.9 * bump(hour, 18.5, 1.8)
    )


def activity(hour: float) -> float:
    """0..1: people out and about (parking, terminals)."""
    return min(1.0, 0.1 + 0.75 * bump(hour, 11.0, 3.0) + 0.7 * bump(hour, 19.0, 2.5))


def power_demand(hour: float) -> float:
    """Fraction of rated load: low at 4 am, day plateau, evening peak."""
    return 0.45 + 0.25 * bump(hour, 13.0, 3.5) + 0.35 * bump(hour, 21.0, 2.2)
