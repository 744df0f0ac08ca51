"""The vocabulary every room shares: topics, entity types and the metadata of each signal.

Feeds publish `Reading`s on these topics; charts, map, alarms, storage and plugins subscribe by
topic and read units, ranges, bands and stale-after from `signal_meta(etype, key)`.
Rooms may add entries with `register()`; nothing else should hard-code units or bands.
"""

from __future__ import annotations

from console.model import SignalMeta

# topic -> (entity type, title_fa, title_en)
TOPICS: dict[str, tuple[str, str, str]] = {
    "vehicle/bus": ("Vehicle", "اتوبوس‌ها", "Buses"),
    "vehicle/taxi": ("Vehicle", "تاکسی‌ها", "Taxis"),
    "vehicle/service": ("Vehicle", "خودروهای خدمات شهری", "Service vehicles"),
    "air/station": ("AirQualityObserved", "کیفیت هوا", "Air quality"),
    "traffic/segment": ("TrafficFlowObserved", "جریان ترافیک", "Traffic flow"),
    "traffic/element": ("TrafficElement", "تجهیزات ترافیکی", "Traffic elements"),
    "parking/lot": ("OffStreetParking", "پارکینگ‌ها", "Parking lots"),
    "energy/substation": ("Substation", "پست‌های برق", "Substations"),
    "energy/solar": ("SolarPlant", "نیروگاه‌های خورشیدی", "Solar plants"),
    "water/gauge": ("WaterObserved", "سنجه‌های آب و سیلاب", "Water and flood gauges"),
    "weather/station": ("WeatherObserved", "هواشناسی", "Weather"),
    "report/137": ("CitizenReport", "گزارش‌های ۱۳۷", "137 citizen reports"),
    "cap/alert": ("Alert", "هشدارهای همگانی (CAP)", "Public alerts (CAP)"),
    # transit beyond vehicle positions (GTFS-Realtime trip updates and service alerts, terminals)
    "transit/terminal": ("Terminal", "پایانه‌ها", "Terminals"),
    "transit/trip": ("TripUpdate", "سفرهای برنامه‌ای", "Trip updates"),
    "transit/alert": ("ServiceAlert", "اطلاعیه‌های حمل‌ونقل", "Transit service alerts"),
    # other standard entities the codecs decode (FIWARE, OGC SensorThings)
    "parking/spot": ("ParkingSpot", "جای پارک", "Parking spots"),
    "incident/accident": ("RoadAccident", "تصادف‌ها", "Road accidents"),
    "incident/alert": ("Alert", "هشدارهای رویداد", "Incident alerts"),
    "incident/anomaly": ("Anomaly", "ناهنجاری‌ها", "Anomalies"),
    "sensor/observation": ("Observation", "مشاهده‌های حسگر", "Sensor observations"),
    "sensor/entity": ("SensorThing", "حسگرها و اشیا", "Sensors and things"),
    "entity/other": ("Entity", "سایر موجودیت‌ها", "Other entities"),
}


# Indicators department plugins compute from the live data (forecasts, counts over a band) travel on
# "derived/<plugin>/<what>" (console.departments.Department.derive). Alarm rules, storage and charts
# take them like any reading; they are not map entities (plugins draw their own layers).
DERIVED_PREFIX = "derived/"


def topic_for(etype: str) -> str:
    """The topic an entity type travels on (first catalog match; unknown types on "entity/other")."""
    for topic, (et, _fa, _en) in TOPICS.items():
        if et == etype:
            return topic
    return "entity/other"


_META: dict[tuple[str, str], SignalMeta] = {}


def register(*metas: SignalMeta) -> None:
    for m in metas:
        _META[(m.etype, m.key)] = m


def signal_meta(etype: str, key: str) -> SignalMeta:
    """Metadata for (entity type, value key); an honest default when unknown (no bands, 60 s stale)."""
    return _META.get((etype, key)) or SignalMeta(
        etype=etype, key=key, title_fa=key, title_en=key, stale_after_s=60.0
    )


def known_signals() -> list[SignalMeta]:
    return list(_META.values())


def stale_after_for(etype: str, default: float = 60.0) -> float:
    """How long an entity type may stay silent before its feed counts as stale (its fastest signal)."""
    values = [m.stale_after_s for (et, _k), m in _META.items() if et == etype]
    return min(values) if values else default


def _m(etype: str, key: str, unit: str, fa: str, en: str, **kw) -> SignalMeta:
    return SignalMeta(etype=etype, key=key, unit=unit, title_fa=fa, title_en=en, **kw)


register(
    # vehicles (1 Hz AVL)
    _m("Vehicle", "speed", "km/h", "سرعت", "Speed", lo=0, hi=120, sampling_s=1, stale_after_s=15, decimals=0),
    _m("Vehicle", "heading", "°", "جهت", "Heading", lo=0, hi=360, sampling_s=1, stale_after_s=15, decimals=0),
    _m(
        "Vehicle",
        "occupancy",
        "%",
        "اشغال",
        "Occupancy",
        lo=0,
        hi=100,
        sampling_s=5,
        stale_after_s=30,
        decimals=0,
    ),
    # air quality (AQI per US EPA breakpoints; bands: 101 unhealthy for sensitive, 151 unhealthy)
    _m(
        "AirQualityObserved",
        "pm25",
        "µg/m³",
        "ذرات ۲٫۵",
        "PM2.5",
        lo=0,
        hi=250,
        warn_hi=35.5,
        alarm_hi=55.5,
        sampling_s=10,
        stale_after_s=120,
    ),
    _m(
        "AirQualityObserved",
        "pm10",
        "µg/m³",
        "ذرات ۱۰",
        "PM10",
        lo=0,
        hi=430,
        warn_hi=155,
        alarm_hi=255,
        sampling_s=10,
        stale_after_s=120,
    ),
    _m(
        "AirQualityObserved",
        "no2",
        "ppb",
        "دی‌اکسید نیتروژن",
        "NO₂",
        lo=0,
        hi=400,
        warn_hi=101,
        alarm_hi=361,
        sampling_s=10,
        stale_after_s=120,
    ),
    _m(
        "AirQualityObserved",
        "o3",
        "ppb",
        "ازن",
        "O₃",
        lo=0,
        hi=200,
        warn_hi=71,
        alarm_hi=86,
        sampling_s=10,
        stale_after_s=120,
    ),
    _m(
        "AirQualityObserved",
        "co",
        "ppm",
        "مونوکسید کربن",
        "CO",
        lo=0,
        hi=30,
        warn_hi=9.5,
        alarm_hi=12.5,
        sampling_s=10,
        stale_after_s=120,
        decimals=2,
    ),
    _m(
        "AirQualityObserved",
        "aqi",
        "AQI",
        "شاخص کیفیت هوا",
        "AQI",
        lo=0,
        hi=500,
        warn_hi=101,
        alarm_hi=151,
        sampling_s=10,
        stale_after_s=120,
        decimals=0,
    ),
    _m(
        "AirQualityObserved",
        "noise",
        "dB(A)",
        "تراز صدا",
        "Noise",
        lo=30,
        hi=110,
        warn_hi=70,
        alarm_hi=85,
        sampling_s=10,
        stale_after_s=120,
        decimals=0,
    ),
    # traffic segments
    _m(
        "TrafficFlowObserved",
        "speed",
        "km/h",
        "سرعت میانگین",
        "Average speed",
        lo=0,
        hi=100,
        warn_lo=20,
        alarm_lo=10,
        sampling_s=5,
        stale_after_s=60,
        decimals=0,
    ),
    _m(
        "TrafficFlowObserved",
        "flow",
        "veh/h",
        "حجم تردد",
        "Flow",
        lo=0,
        hi=4000,
        sampling_s=5,
        stale_after_s=60,
        decimals=0,
    ),
    _m(
        "TrafficFlowObserved",
        "occupancy",
        "%",
        "اشغال خط",
        "Lane occupancy",
        lo=0,
        hi=100,
        warn_hi=60,
        alarm_hi=80,
        sampling_s=5,
        stale_after_s=60,
        decimals=0,
    ),
    # parking
    _m(
        "OffStreetParking",
        "occupancy",
        "%",
        "اشغال",
        "Occupancy",
        lo=0,
        hi=100,
        warn_hi=90,
        alarm_hi=98,
        sampling_s=30,
        stale_after_s=180,
        decimals=0,
    ),
    _m(
        "OffStreetParking",
        "free",
        "spaces",
        "جای خالی",
        "Free spaces",
        lo=0,
        sampling_s=30,
        stale_after_s=180,
        decimals=0,
    ),
    # energy
    _m("Substation", "load", "MW", "بار", "Load", lo=0, hi=120, sampling_s=5, stale_after_s=60),
    _m(
        "Substation",
        "load_pct",
        "%",
        "بار نسبی",
        "Load",
        lo=0,
        hi=120,
        warn_hi=85,
        alarm_hi=100,
        sampling_s=5,
        stale_after_s=60,
        decimals=0,
    ),
    _m(
        "Substation",
        "voltage",
        "kV",
        "ولتاژ",
        "Voltage",
        lo=0,
        hi=25,
        warn_lo=19,
        alarm_lo=15,
        sampling_s=5,
        stale_after_s=60,
    ),
    _m(
        "SolarPlant",
        "power",
        "kW",
        "تولید",
        "Production",
        lo=0,
        hi=5000,
        sampling_s=10,
        stale_after_s=120,
        decimals=0,
    ),
    _m(
        "SolarPlant",
        "expected",
        "kW",
        "تولید مورد انتظار",
        "Expected production",
        lo=0,
        hi=5000,
        sampling_s=10,
        stale_after_s=120,
        decimals=0,
    ),
    # water and floods
    _m(
        "WaterObserved",
        "level",
        "m",
        "تراز آب",
        "Water level",
        lo=0,
        hi=6,
        warn_hi=2.5,
        alarm_hi=3.5,
        sampling_s=10,
        stale_after_s=90,
        decimals=2,
    ),
    _m(
        "WaterObserved",
        "rate",
        "m/h",
        "نرخ افزایش",
        "Rise rate",
        lo=-2,
        hi=2,
        warn_hi=0.3,
        alarm_hi=0.6,
        sampling_s=10,
        stale_after_s=90,
        decimals=2,
    ),
    # weather
    _m(
        "WeatherObserved",
        "temperature",
        "°C",
        "دما",
        "Temperature",
        lo=-15,
        hi=50,
        sampling_s=30,
        stale_after_s=300,
    ),
    _m(
        "WeatherObserved",
        "humidity",
        "%",
        "رطوبت",
        "Humidity",
        lo=0,
        hi=100,
        sampling_s=30,
        stale_after_s=300,
        decimals=0,
    ),
    _m(
        "WeatherObserved",
        "wind_speed",
        "m/s",
        "سرعت باد",
        "Wind speed",
        lo=0,
        hi=40,
        warn_hi=15,
        alarm_hi=25,
        sampling_s=30,
        stale_after_s=300,
    ),
    _m(
        "WeatherObserved",
        "precipitation",
        "mm/h",
        "بارش",
        "Precipitation",
        lo=0,
        hi=100,
        warn_hi=10,
        alarm_hi=30,
        sampling_s=30,
        stale_after_s=300,
    ),
)

register(
    # terminals (intercity bus and rail terminals)
    _m(
        "Terminal",
        "passengers",
        "pax/h",
        "مسافر در ساعت",
        "Passengers per hour",
        lo=0,
        hi=5000,
        sampling_s=30,
        stale_after_s=180,
        decimals=0,
    ),
    _m(
        "Terminal",
        "departures",
        "/h",
        "حرکت در ساعت",
        "Departures per hour",
        lo=0,
        hi=120,
        sampling_s=30,
        stale_after_s=180,
        decimals=0,
    ),
    _m(
        "Terminal",
        "delay",
        "min",
        "تأخیر میانگین",
        "Average delay",
        lo=0,
        hi=180,
        warn_hi=20,
        alarm_hi=45,
        sampling_s=30,
        stale_after_s=180,
        decimals=0,
    ),
    _m("TripUpdate", "delay", "s", "تأخیر", "Delay", lo=-600, hi=3600, sampling_s=30, stale_after_s=180),
    # 137 citizen reports: one reading per report; "count" lets charts sum them per district
    _m("CitizenReport", "count", "", "تعداد گزارش", "Reports", lo=0, sampling_s=60, stale_after_s=900),
    _m("CitizenReport", "urgency", "", "فوریت", "Urgency", lo=1, hi=4, sampling_s=60, stale_after_s=900),
    # solar irradiance, substation frequency
    _m(
        "SolarPlant",
        "irradiance",
        "W/m²",
        "تابش",
        "Irradiance",
        lo=0,
        hi=1200,
        sampling_s=10,
        stale_after_s=120,
        decimals=0,
    ),
    _m(
        "Substation",
        "frequency",
        "Hz",
        "فرکانس",
        "Frequency",
        lo=49,
        hi=51,
        warn_lo=49.8,
        alarm_lo=49.5,
        sampling_s=5,
        stale_after_s=60,
        decimals=2,
    ),
    _m(
        "WaterObserved",
        "flow",
        "m³/s",
        "دبی",
        "Discharge",
        lo=0,
        hi=500,
        sampling_s=10,
        stale_after_s=90,
        decimals=1,
    ),
)
