"""Which signals the chart panel shows before an operator picks: a few city-level ones. Qt-free.

Air quality of a few stations, one traffic speed, one water level, one substation load, then other
city-level signals; never per-vehicle signals (hundreds of them, none city-level on its own).
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
    """Up to `k` signal ids, preferred kinds first (stable order by entity id within a kind)."""
    pool = sorted((s for s in signals if s.etype not in NOT_CITY_LEVEL), key=lambda s: s.signal)
    chosen: list[str] = []
    kinds: set[str] = set()
    for etype, key, count in PREFERRED:
        if etype in kinds and etype == "Substation":
            continue  # one load per substation kind is enough (load_pct preferred over load)
        hits = [s.signal for s in pool if s.etype == etype and s.key == key][:count]
        if hits:
            kinds.add(etype)
        chosen.extend(h for h in hits if h not in chosen)
    for s in pool:  # then whatever else arrives, one per kind of value
        if len(chosen) >= k:
            break
        if s.signal not in chosen and all(not c.endswith("/" + s.key) for c in chosen):
            chosen.append(s.signal)
    return chosen[:k]
