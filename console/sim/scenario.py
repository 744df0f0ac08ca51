"""Crisis scenarios as data: resources/scenarios/<name>.toml, a timeline of events over simulated seconds.

    name = "flood"        title_fa / title_en / description_fa / description_en
    [[events]]
    kind = "rain"         at = 0   until = 1500   ramp_s = 180   intensity = 38

Event kinds and their `intensity`:
    rain          precipitation mm/h (city-wide); humidity up, sun down, traffic slower
    water_rise    peak rise rate m/h at the target gauges, up to `max_level_m`
    pollution     factor on PM2.5/PM10/NO2/CO at the target air stations (tapering with distance)
    stagnation    wind speed m/s city-wide (still air during a pollution episode)
    power_outage  target substations lose supply (load → 0, voltage → 0); others see a frequency dip
    speed_drop    factor on traffic speed at the target segments (all segments when none given)
    reports       `count` citizen reports (137) of `category` spread over [at, until] near the target
    silence       the source `source` sends nothing over [at, until]
    quake         marks an earthquake at `near` (magnitude = intensity), for reports and outages
    telecom_outage  mobile network down for a fraction (`intensity`, 0..1) of on-board devices in the
                  target area (taxi payment terminals, bus Wi-Fi, traffic cameras and counters)
    breakdown     `count` vehicles of `fleet` ("bus", "taxi", "service") nearest the target stop
                  where they are over [at, until]

Targets: `places = [...]`/`segments = [...]` ids, `district = "d5"`, or `near = [lat, lon]` with
`nearest = N` (the N closest) or `radius_m`. Deterministic: everything random is drawn from the
simulator's seed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from console.paths import resource

KINDS = {
    "rain",
    "water_rise",
    "pollution",
    "stagnation",
    "power_outage",
    "speed_drop",
    "reports",
    "silence",
    "quake",
    "telecom_outage",
    "breakdown",
}


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Event:
    kind: str
    at: float = 0.0
    until: float | None = None
    ramp_s: float = 0.0
    intensity: float = 1.0
    places: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    district: str | None = None
    near: tuple[float, float] | None = None
    nearest: int | None = None
    radius_m: float | None = None
    adjacent: int = 0
    max_level_m: float | None = None
    count: int = 0
    category: str = ""
    spread_m: float = 500.0
    source: str = ""
    fleet: str = "bus"

    def envelope(self, s: float) -> float:
        """0 before `at`, ramps to 1 over ramp_s, holds, ramps back down after `until`."""
        if s < self.at:
            return 0.0
        if self.until is not None and s >= self.until:
            if self.ramp_s <= 0:
                return 0.0
            return max(0.0, 1.0 - (s - self.until) / self.ramp_s)
        if self.ramp_s <= 0:
            return 1.0
        return min(1.0, (s - self.at) / self.ramp_s)

    def active(self, s: float) -> bool:
        return self.envelope(s) > 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    title_fa: str
    title_en: str
    description_fa: str = ""
    description_en: str = ""
    duration_s: float = 3600.0
    events: tuple[Event, ...] = field(default_factory=tuple)

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


def scenario_names() -> list[str]:
    return sorted(p.stem for p in resource("scenarios").glob("*.toml"))


def _event(raw: dict[str, Any], where: str) -> Event:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ScenarioError(f"{where}: unknown event kind {kind!r} (known: {', '.join(sorted(KINDS))})")
    known = set(Event.__dataclass_fields__)
    extra = set(raw) - known
    if extra:
        raise ScenarioError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
    kw = dict(raw)
    for key in ("places", "segments"):
        if key in kw:
            kw[key] = tuple(kw[key])
    if "near" in kw:
        near = kw["near"]
        if not (isinstance(near, list) and len(near) == 2):
            raise ScenarioError(f"{where}: near must be [lat, lon]")
        kw["near"] = (float(near[0]), float(near[1]))
    if kind == "silence" and not kw.get("source"):
        raise ScenarioError(f"{where}: silence needs a source")
    if kind == "reports" and (not kw.get("category") or int(kw.get("count", 0)) <= 0):
        raise ScenarioError(f"{where}: reports need a category and a positive count")
    if kind == "breakdown" and (
        kw.get("fleet", "bus") not in ("bus", "taxi", "service") or kw.get("count", 0) <= 0
    ):
        raise ScenarioError(f"{where}: breakdown needs fleet bus|taxi|service and a positive count")
    if kind == "telecom_outage" and not 0.0 < float(kw.get("intensity", 1.0)) <= 1.0:
        raise ScenarioError(f"{where}: telecom_outage intensity is a fraction in (0, 1]")
    return Event(**kw)


def parse_scenario(text: str, name: str) -> Scenario:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario {name}: {exc}") from None
    events = tuple(_event(e, f"scenario {name} event {i + 1}") for i, e in enumerate(raw.get("events", [])))
    return Scenario(
        name=raw.get("name", name),
        title_fa=raw.get("title_fa", name),
        title_en=raw.get("title_en", name),
        description_fa=raw.get("description_fa", ""),
        description_en=raw.get("description_en", ""),
        duration_s=float(raw.get("duration_s", 3600.0)),
        events=tuple(sorted(events, key=lambda e: e.at)),
    )


@lru_cache(maxsize=16)
def load_scenario(name: str = "calm", folder: Path | None = None) -> Scenario:
    path = (folder or resource("scenarios")) / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(f"unknown scenario {name!r}; known: {', '.join(scenario_names())}")
    return parse_scenario(path.read_text(encoding="utf-8"), name)
