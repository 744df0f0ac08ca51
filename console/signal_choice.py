"""Which signals the chart panel shows before an operator picks: a few city-level ones. Qt-free.

One air-quality station, one traffic speed, one water level, one substation load first (so a small
panel still shows the city's main systems), then more air-quality stations, then other city-level
signals; never per-vehicle signals (hundreds of them, none city-level on its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

# (entity type, value key, how many) in the order an operator reads a city at a glance
PREFERRED: tuple[tuple[str, str, int], ...] = (
    ("AirQualityObserved", "aqi", 3),
    ("TrafficFlowObserved", "speed", 1),
    ("WaterObserved", "level", 1),
    ("Substation", "load_pct", 1),
    ("Substation", "load", 1),
    ("WeatherObserved", "temperature", 1),
    ("OffStreetParking", "occupancy", 1),
)
NOT_CITY_LEVEL = frozenset({"Vehicle"})


class _Signal(Protocol):
    signal: str
    etype: str
    key: str


def suggest(signals: Iterable[_Signal], k: int = 6) -> list[str]:
    """Up to `k` signal ids: first one of each preferred kind (so a small panel still shows air,
    traffic, water and power), then the rest of each kind's quota, then other city-level kinds.
    Within a kind the order is stable (by signal id)."""
    pool = sorted((s for s in signals if s.etype not in NOT_CITY_LEVEL), key=lambda s: s.signal)
    per_kind: list[list[str]] = []
    kinds: set[str] = set()
    for etype, key, count in PREFERRED:
        if etype in kinds and etype == "Substation":
            continue  # one load per substation kind is enough (load_pct preferred over load)
        hits = [s.signal for s in pool if s.etype == etype and s.key == key][:count]
        if hits:
            kinds.add(etype)
            per_kind.append(hits)
    chosen = [hits[0] for hits in per_kind] + [h for hits in per_kind for h in hits[1:]]
    for s in pool:  # then whatever else arrives, one per kind of value
        if len(chosen) >= k:
            break
        if s.signal not in chosen and all(not c.endswith("/" + s.key) for c in chosen):
            chosen.append(s.signal)
    return chosen[:k]
