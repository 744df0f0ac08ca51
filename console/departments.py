"""The Qt-free toolkit department plugins share: latest state per entity, rule files, KPI helpers.

A department plugin is mostly "watch these topics, keep the latest of each entity, judge it, count
it". `LatestTable` does the watching (thread-safe, cheap per reading, honest about staleness);
`load_department_rules` reads a plugin's editable rules.toml into alarm rules tagged with the
department; `Department` wires a plugin's pieces to its Context in one place so each plugin only
writes what is its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from console.catalog import signal_meta
from console.health import FeedHealth, FeedState
from console.model import Reading

log = logging.getLogger(__name__)
NS = 1_000_000_000


@dataclass(frozen=True)
class Row:
    """One entity's latest state as a panel shows it."""

    reading: Reading
    stale: bool

    @property
    def entity(self) -> str:
        return self.reading.entity

    @property
    def district(self) -> str:
        return str(self.reading.attrs.get("district", ""))

    def value(self, key: str) -> float | None:
        v = self.reading.values.get(key)
        return None if v is None or v != v else float(v)

    def name(self, language: str) -> str:
        a = self.reading.attrs
        return str(
            a.get("name_fa" if language == "fa" else "name_en") or a.get("name_fa") or self.reading.entity
        )


class LatestTable:
    """Latest Reading per entity for the topics a department watches.

    `stale` is judged honestly: the entity's source is not connected (feed health), or the entity
    has been silent longer than its signals' stale-after (from the catalog), measured against the
    newest reading time seen on this table (so replays and simulations judge by their own clock).
    """

    def __init__(
        self,
        health: FeedHealth | None = None,
        accept: Callable[[Reading], bool] | None = None,
        stale_after_s: float | None = None,
    ):
        self._health = health
        self._accept = accept
        self._stale_after_s = stale_after_s
        self._lock = threading.Lock()
        self._latest: dict[str, Reading] = {}
        self._first: dict[str, int] = {}
        self.newest_t = 0
        self.received = 0

    def on_readings(self, topic: str, items: list[Any]) -> None:
        """A FeedBus callback."""
        with self._lock:
            for r in items:
                if not isinstance(r, Reading) or (self._accept is not None and not self._accept(r)):
                    continue
                prev = self._latest.get(r.entity)
                if prev is None or r.t >= prev.t:
                    self._latest[r.entity] = r
                    self._first.setdefault(r.entity, r.t)
                if r.t > self.newest_t:
                    self.newest_t = r.t
                self.received += 1

    def _stale_after(self, r: Reading) -> float:
        if self._stale_after_s is not None:
            return self._stale_after_s
        times = [signal_meta(r.etype, k).stale_after_s for k in r.values] or [60.0]
        return max(times)

    def _is_stale(self, r: Reading) -> bool:
        health = self._health
        if (
            health is not None
            and health.get(r.source) is not None
            and health.state_of(r.source) is not FeedState.CONNECTED
        ):
            return True
        return (self.newest_t - r.t) / NS > self._stale_after(r)

    def rows(self) -> list[Row]:
        with self._lock:
            latest = list(self._latest.values())
        return [Row(r, self._is_stale(r)) for r in latest]

    def get(self, entity: str) -> Row | None:
        with self._lock:
            r = self._latest.get(entity)
        return None if r is None else Row(r, self._is_stale(r))

    def first_seen(self, entity: str) -> int | None:
        with self._lock:
            return self._first.get(entity)

    def forget(self, entity: str) -> None:
        with self._lock:
            self._latest.pop(entity, None)
            self._first.pop(entity, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._latest)


def live(rows: Iterable[Row]) -> list[Row]:
    return [r for r in rows if not r.stale]


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the known values; None (unknown) when there are none, never 0."""
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def by_district(rows: Iterable[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for r in rows:
        out.setdefault(r.district or "?", []).append(r)
    return out


def load_department_rules(path: Path, department: str, owner: str) -> list[Any]:
    """Alarm rules from a plugin's rules.toml, tagged with its department and owner."""
    from console.alarms.rules import load_rules_text

    rules = load_rules_text(path.read_text(encoding="utf-8"), str(path))
    return [msgspec.structs.replace(r, department=r.department or department, owner=owner) for r in rules]


@dataclass
class Department:
    """One plugin's wiring: topics to watch, rules file, KPIs, layers, panel.

    Subclass or instantiate with hooks; `activate(ctx)` registers everything through the Context so
    deactivation undoes it all.
    """

    name: str
    folder: Path
    topics: tuple[str, ...]
    accept: Callable[[Reading], bool] | None = None

    def __post_init__(self) -> None:
        self.table: LatestTable | None = None
        self.ctx: Any = None
        self.started = time.monotonic()

    def activate(self, ctx: Any) -> None:
        self.ctx = ctx
        self.table = LatestTable(ctx.service("health"), self.accept)
        for topic in self.topics:
            ctx.subscribe(topic, self.table.on_readings)
        rules_file = self.folder / "rules.toml"
        if rules_file.is_file():
            for rule in load_department_rules(rules_file, self.name, f"plugin:{self.name}"):
                ctx.add_rule(rule)

    def service(self, name: str) -> Any:
        return self.ctx.service(name) if self.ctx is not None else None
