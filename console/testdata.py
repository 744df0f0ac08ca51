"""Generated test series for snapshots and benchmarks. Qt-free.

These are synthetic, labelled as such wherever they are shown (entity names say "test", views put a
"generated test data" banner over them): shapes resemble the city's signals (diurnal air quality
with pollution episodes, rush-hour traffic dips, a rising river, substation load) so the drawing
can be judged, but no number here was ever measured.
"""

from __future__ import annotations

import numpy as np

from console import catalog, i18n
from console.series import NS, SeriesStore

DAY_S = 86_400.0
# (entity type, key) of the generated signals, cycled when more charts are asked for
KINDS: tuple[tuple[str, str], ...] = (
    ("AirQualityObserved", "aqi"),
    ("TrafficFlowObserved", "speed"),
    ("WaterObserved", "level"),
    ("Substation", "load_pct"),
    ("AirQualityObserved", "pm25"),
    ("WeatherObserved", "temperature"),
    ("OffStreetParking", "occupancy"),
    ("TrafficFlowObserved", "flow"),
    ("WaterObserved", "rate"),
    ("AirQualityObserved", "no2"),
    ("Substation", "voltage"),
    ("WeatherObserved", "wind_speed"),
)


def _shape(kind: tuple[str, str], t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(t_s)
    day = 2 * np.pi * t_s / DAY_S
    walk = np.cumsum(rng.standard_normal(n)) / np.sqrt(max(n, 1)) * 6
    noise = rng.standard_normal(n)
    etype, key = kind
    if etype == "AirQualityObserved":
        base = {"aqi": 70.0, "pm25": 22.0, "no2": 40.0}.get(key, 30.0)
        y = base * (1 + 0.35 * np.sin(day - 1.2)) + walk * base / 25 + noise * base / 20
        for _ in range(3):  # pollution episodes
            c, w = rng.uniform(t_s[0], t_s[-1]), rng.uniform(0.05, 0.2) * DAY_S
            y += base * 1.4 * np.exp(-(((t_s - c) / w) ** 2))
        return np.maximum(y, 0)
    if etype == "TrafficFlowObserved":
        rush = np.exp(-(((t_s % DAY_S) / 3600 - 8) ** 2) / 2) + np.exp(
            -(((t_s % DAY_S) / 3600 - 18) ** 2) / 3
        )
        if key == "speed":
            return np.clip(52 - 34 * rush + walk + 3 * noise, 2, 95)
        return np.clip(900 + 1900 * rush + 40 * walk + 80 * noise, 0, 4000)
    if etype == "WaterObserved":
        width = 0.03 * (t_s[-1] - t_s[0]) + 1.0
        rise = 1.0 / (1 + np.exp(-(t_s - t_s[-1] + 0.15 * (t_s[-1] - t_s[0])) / width))
        if key == "level":
            return 1.1 + 2.6 * rise + 0.04 * walk + 0.02 * noise
        # rise rate in m/h: the flood wave's derivative plus sensor noise
        return 2.6 * rise * (1 - rise) * 3600.0 / width + 0.01 * walk + 0.01 * noise
    if etype == "Substation":
        if key == "voltage":
            return 20.2 + 0.3 * np.sin(day) + 0.05 * noise
        return np.clip(62 + 22 * np.sin(day - 2.0) + walk + 2 * noise, 0, 120)
    if etype == "WeatherObserved":
        if key == "wind_speed":
            return np.abs(6 + 3 * np.sin(day * 0.7) + walk + 1.5 * noise)
        return 14 + 9 * np.sin(day - 2.2) + 0.5 * walk + 0.3 * noise
    return np.clip(55 + 35 * np.sin(day - 2.5) + walk + 2 * noise, 0, 100)


def generate(
    kind_index: int, n: int, t_end_ns: int, span_s: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(t int64 ns, v float64) of `n` samples evenly spread over `span_s` seconds ending at t_end_ns."""
    rng = np.random.default_rng(seed + 7919 * kind_index)
    n = max(2, int(n))
    t = t_end_ns - np.linspace(span_s * NS, 0, n).astype(np.int64)
    t_s = (t - t[0]) / NS + (t[0] / NS) % DAY_S
    return t, _shape(KINDS[kind_index % len(KINDS)], t_s, rng)


def fill_store(
    store: SeriesStore,
    charts: int,
    points: int,
    *,
    t_end_ns: int,
    span_s: float,
    other_points: int = 1_000_000,
) -> list[str]:
    """Generate `charts` test signals into `store` (the first with `points` samples, the others with
    up to `other_points`); one gets an outage (a gap) and one stops early (stale). Returns their ids."""
    ids = []
    for i in range(charts):
        etype, key = KINDS[i % len(KINDS)]
        n = points if i == 0 else min(points, other_points)
        end = t_end_ns - (int(0.08 * span_s * NS) if i == 5 else 0)  # this feed went quiet: stale
        t, v = generate(i, n, end, span_s, seed=i)
        if i == 2:  # an outage of a tenth of the window: drawn as a gap
            a, b = int(0.55 * n), int(0.65 * n)
            t, v = np.concatenate([t[:a], t[b:]]), np.concatenate([v[:a], v[b:]])
        signal = f"test-{i + 1:02d}/{key}"
        meta = catalog.signal_meta(etype, key)
        # gaps are judged at the generated sampling rate, not the real feed's
        meta_gap = max(meta.stale_after_s, 3 * span_s / max(n, 1))
        store.append(
            signal,
            t,
            v,
            etype=etype,
            source="",
            topic="test",
            meta=_with_stale_after(meta, meta_gap),
            attrs={
                "name_fa": i18n.tr("charts.test_entity", "fa", n=i + 1),
                "name_en": i18n.tr("charts.test_entity", "en", n=i + 1),
            },
        )
        ids.append(signal)
    return ids


def _with_stale_after(meta, seconds: float):
    import msgspec

    return msgspec.structs.replace(meta, stale_after_s=float(seconds))
