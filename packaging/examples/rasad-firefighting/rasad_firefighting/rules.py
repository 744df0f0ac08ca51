"""Qt-free logic of the fire & rescue plugin: which reports are ours, how risky the wind is."""

from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Config:
    categories: frozenset[str]
    high_wind_m_s: float


def load_config(folder: Path) -> Config:
    raw = tomllib.loads((folder / "rules.toml").read_text(encoding="utf-8"))
    return Config(frozenset(c.casefold() for c in raw["categories"]), float(raw["high_wind_m_s"]))


class FireDesk:
    """Keeps the open fire-related reports and the latest wind per weather station."""

    def __init__(self, config: Config):
        self.config = config
        self._lock = threading.Lock()
        self.reports: dict[str, dict] = {}
        self.wind: dict[str, float] = {}

    def on_reports(self, topic: str, readings: list) -> None:
        with self._lock:
            for r in readings:
                category = str(r.attrs.get("category", "")).casefold()
                if category in self.config.categories:
                    self.reports[r.entity] = {
                        "t": r.t,
                        "category": category,
                        "text": r.attrs.get("text", ""),
                        "district": r.attrs.get("district", ""),
                        "lat": r.lat,
                        "lon": r.lon,
                    }

    def on_weather(self, topic: str, readings: list) -> None:
        with self._lock:
            for r in readings:
                if "wind_speed" in r.values:
                    self.wind[r.entity] = float(r.values["wind_speed"])

    def open_reports(self) -> list[dict]:
        with self._lock:
            return sorted(self.reports.values(), key=lambda x: x["t"], reverse=True)

    def max_wind(self) -> float | None:
        with self._lock:
            return max(self.wind.values()) if self.wind else None

    def spread_risk(self) -> float | None:
        """0..1: wind relative to the 'high' threshold, capped; None without weather data."""
        w = self.max_wind()
        return None if w is None else min(1.0, w / self.config.high_wind_m_s)
