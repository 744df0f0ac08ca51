"""The Qt-free toolkit department plugins share: latest state per entity, rule files, KPI helpers.

A department plugin is mostly "watch these topics, keep the latest of each entity, judge it, count
it". `LatestTable` does the watching (thread-safe, cheap per reading, honest about staleness);
`load_department_file` reads a plugin's editable rules.toml (alarm rules tagged with the department,
plus the `[params]` its own logic reads); `Department` wires a plugin's pieces to its Context in one
place so each plugin only writes what is its own: a `Desk` (the department's live state and
judgement, Qt-free), KPIs, map layers, and a panel factory.

Containment: every bus callback of a department and every KPI runs guarded. An exception is counted,
kept (`Department.errors`, shown on the department's panel), logged once a minute, and never reaches
the bus, the KPI consumer or another plugin; the desk keeps working on the next batch.

Derived readings: a desk publishes what it concludes (a detected accident, a bus's headway, a
district's taxi shortage) as Readings on its own topics (`Department.publish`), so the alarm engine
judges them with the plugin's editable rules, storage keeps them and other plugins can read them.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.catalog import TOPICS, signal_meta
from console.health import FeedHealth, FeedState
from console.logsetup import LogOnce
from console.model import Axis, Reading

log = logging.getLogger(__name__)
_once = LogOnce(log)
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


@dataclass(frozen=True)
class DepartmentConfig:
    """What a plugin's rules.toml holds: `[[rule]]` tables (alarm rules) and `[params]` for its logic."""

    rules: list[Any]
    params: dict[str, Any]

    def param(self, key: str, default: Any) -> Any:
        return self.params.get(key, default)


def parse_department_file(text: str, origin: str, department: str, owner: str) -> DepartmentConfig:
    """Rules (validated like every rule file; errors name the file and the rule) and params."""
    from console.alarms.rules import RuleError, rule_from_dict

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{origin}: not valid TOML ({exc})") from None
    unknown = sorted(set(doc) - {"rule", "params"})
    if unknown:
        raise RuleError(
            f"{origin}: unknown top-level keys {unknown} (rules go in [[rule]], settings in [params])"
        )
    params = doc.get("params", {})
    if not isinstance(params, dict):
        raise RuleError(f"{origin}: [params] must be a table")
    rules = []
    for raw in doc.get("rule", []):
        raw = dict(raw)
        raw.setdefault("owner", owner)
        raw.setdefault("department", department)
        rules.append(rule_from_dict(raw, origin))
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleError(f"{origin}: duplicate rule ids {dupes}")
    return DepartmentConfig(rules, params)


def load_department_file(path: Path, department: str, owner: str) -> DepartmentConfig:
    return parse_department_file(path.read_text(encoding="utf-8"), str(path), department, owner)


@dataclass(frozen=True)
class Place:
    """A district as departments show it: id, names, a representative point (its ring's centroid)."""

    id: str
    name_fa: str
    name_en: str
    lat: float
    lon: float

    def name(self, language: str) -> str:
        return self.name_fa if language == "fa" else self.name_en


class Districts:
    """The city's districts for department desks: names, centroids, and which district points lie in
    (vectorised, for thousands of vehicle positions a second)."""

    def __init__(self, city: Any):
        self.city = city
        self.places: dict[str, Place] = {}
        if city is None:
            return
        for d in city.districts:
            lon = sum(p[0] for p in d.ring) / len(d.ring)
            lat = sum(p[1] for p in d.ring) / len(d.ring)
            self.places[d.id] = Place(d.id, d.name_fa, d.name_en, lat, lon)
        self._polys = list(getattr(city, "_polys", []))

    def ids(self) -> list[str]:
        return list(self.places)

    def locate(self, lat: Any, lon: Any) -> list[str]:
        """District id of each point ("" outside every district)."""
        import numpy as np
        import shapely

        lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        out = np.full(len(lat), "", dtype=object)
        for d, poly in zip(self.city.districts if self.city else [], self._polys, strict=False):
            inside = shapely.contains_xy(poly, lon, lat) & (out == "")
            out[inside] = d.id
        return out.tolist()

    def name(self, district: str, language: str) -> str:
        place = self.places.get(district)
        return place.name(language) if place else district


def load_department_rules(path: Path, department: str, owner: str) -> list[Any]:
    """Alarm rules from a plugin's rules.toml, tagged with its department and owner."""
    return load_department_file(path, department, owner).rules


@dataclass(frozen=True)
class KpiSpec:
    """A number for one of the six axes; `fn()` returns None when unknown (never a made-up value)."""

    axis: Axis | str
    name: str
    title_fa: str
    title_en: str
    fn: Callable[[], float | None]
    unit: str = ""


@dataclass(frozen=True)
class DeptError:
    """One contained failure of a department's own code (a bus callback, a KPI, the desk)."""

    t: float  # wall clock, s
    where: str
    message: str


class Desk:
    """A department's live state and judgement, Qt-free. Subclasses declare what they watch
    (`subscriptions`), what they draw (`layers`), what they count (`kpis`), and keep their state
    under `self.lock` (bus callbacks run on worker threads; panels read `snapshot()`-style copies)."""

    def __init__(self, dept: Department):
        self.dept = dept
        self.params: dict[str, Any] = dept.params
        self.lock = threading.RLock()
        self._due: dict[str, int] = {}

    def subscriptions(self) -> dict[str, Callable[[str, list[Any]], None]]:
        """topic pattern -> callback(topic, items)."""
        return {}

    def layers(self) -> list[Any]:
        """console.maplayers.MapLayer objects this department draws (registered with the plugin)."""
        return []

    def kpis(self) -> list[KpiSpec]:
        return []

    def table(self, accept: Callable[[Reading], bool] | None = None) -> LatestTable:
        return LatestTable(self.dept.service("health"), accept)

    @staticmethod
    def batch(table: LatestTable | None, topic: str, items: list[Any]) -> tuple[list[Reading], int]:
        """Keep a bus batch in `table` (when given); return its Readings and their newest time (0: none)."""
        if table is not None:
            table.on_readings(topic, items)
        readings = [r for r in items if isinstance(r, Reading)]
        return readings, max((r.t for r in readings), default=0)

    def due(self, now: int, key: str = "publish_every_s", default: float = 5.0) -> bool:
        """True at most once per `params[key]` seconds of data time (derived figures need not follow
        every 1 Hz position)."""
        last = self._due.get(key)
        if last is not None and now - last < self.param(key, default) * NS:
            return False
        self._due[key] = now
        return True

    @staticmethod
    def layer(key: str, title_fa: str, title_en: str, z: int, *legend: tuple, visible: bool = True) -> Any:
        """A MapLayer with its legend given as (colour, label_fa, label_en[, symbol]) tuples."""
        from console.maplayers import LegendItem, MapLayer

        return MapLayer(
            key, title_fa, title_en, z=z, visible=visible, legend=[LegendItem(*item) for item in legend]
        )

    def param(self, key: str, default: Any) -> Any:
        value = self.params.get(key, default)
        return (
            type(default)(value)
            if isinstance(default, int | float) and not isinstance(default, bool)
            else value
        )

    def close(self) -> None:
        """Called when the plugin is deactivated (release what is not registered through ctx)."""


@dataclass
class Department:
    """One plugin's wiring: topics to watch, rules file, KPIs, layers, panel.

    Instantiate with a `desk` factory (a Desk subclass) and a `panel`: a factory `(department,
    parent) -> QWidget`, or "package.module:Class" (imported only when the console builds the panel,
    so a headless console never imports Qt); `activate(ctx)` registers everything through the
    Context so deactivation undoes it all. `topics` alone (no desk) keeps one LatestTable of them.
    """

    name: str
    folder: Path
    topics: tuple[str, ...] = ()
    accept: Callable[[Reading], bool] | None = None
    desk: Callable[[Department], Desk] | None = None
    panel: Callable[[Department, Any], Any] | str | None = None  # or "package.module:Class", imported lazily
    worker: bool = True  # desks run on bus worker threads, never on the UI loop
    errors: deque[DeptError] = field(default_factory=lambda: deque(maxlen=50))

    def __post_init__(self) -> None:
        self.table: LatestTable | None = None
        self.ctx: Any = None
        self.state: Desk | None = None
        self.params: dict[str, Any] = {}
        self.rules: list[Any] = []
        self.title_fa = self.title_en = self.name
        self.started = time.monotonic()
        self.error_count = 0
        self._seq = itertools.count(1)
        self._city: Any = None

    # -- wiring ----------------------------------------------------------------------------------------
    def activate(self, ctx: Any) -> None:
        self.ctx = ctx
        self.errors.clear()
        self.error_count = 0
        self._read_manifest()
        strings = self.folder / "strings.toml"
        if strings.is_file():
            ctx.add_strings(tomllib.loads(strings.read_text(encoding="utf-8")))
        rules_file = self.folder / "rules.toml"
        config = (
            load_department_file(rules_file, self.name, f"plugin:{self.name}")
            if rules_file.is_file()
            else DepartmentConfig([], {})
        )
        self.params, self.rules = config.params, config.rules
        self.table = LatestTable(ctx.service("health"), self.accept)
        for topic in self.topics:
            ctx.subscribe(topic, self.guard(f"bus {topic}", self.table.on_readings), worker=self.worker)
        if self.desk is not None:
            self.state = state = self.desk(self)
            for topic, callback in state.subscriptions().items():
                ctx.subscribe(topic, self.guard(f"bus {topic}", callback), worker=self.worker)
            for layer in state.layers():
                ctx.add_map_layer(layer, layer.title_fa, layer.title_en, key=layer.key)
            for k in state.kpis():
                ctx.add_kpi(
                    k.axis,
                    k.name,
                    self.guard(f"kpi {k.name}", k.fn),
                    title_fa=k.title_fa,
                    title_en=k.title_en,
                    unit=k.unit,
                )
            ctx.on_dispose(state.close)
        for rule in self.rules:
            ctx.add_rule(rule)
        if self.panel is not None:
            ctx.add_panel(self._build_panel, self.title_fa, self.title_en)
        ctx.on_dispose(self._disposed)

    def _build_panel(self, parent: Any) -> Any:
        factory = self.panel
        if isinstance(factory, str):
            import importlib

            module, _, cls = factory.partition(":")
            factory = getattr(importlib.import_module(module), cls)
        return factory(self, parent)

    def deactivate(self) -> None:
        """The host undoes every registration; the desk is closed through on_dispose."""

    def _disposed(self) -> None:
        self.ctx = None

    def _read_manifest(self) -> None:
        from console.plugins import parse_manifest

        path = self.folder / "plugin.toml"
        if path.is_file():
            m = parse_manifest(path.read_text(encoding="utf-8"), str(path))
            self.title_fa, self.title_en = m.title_fa, m.title_en

    def title(self, language: str) -> str:
        return self.title_fa if language == "fa" else self.title_en

    def service(self, name: str) -> Any:
        return self.ctx.service(name) if self.ctx is not None else None

    @property
    def city(self) -> Any:
        """The city's geography (districts, roads, places), or None for a city without a map."""
        if self._city is None:
            from console.city import load_city

            settings = self.ctx.settings if self.ctx is not None else None
            try:
                self._city = load_city(getattr(settings, "city", None) or "qom")
            except KeyError:
                self._city = False
        return self._city or None

    # -- containment -----------------------------------------------------------------------------------
    def guard(self, where: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn` wrapped so that an exception is recorded on this department instead of propagating."""

        def guarded(*args: Any) -> Any:
            try:
                return fn(*args)
            except Exception as exc:
                self.fail(where, exc)
                return None

        guarded.__name__ = getattr(fn, "__name__", "guarded")
        return guarded

    def fail(self, where: str, exc: BaseException) -> None:
        self.error_count += 1
        message = f"{type(exc).__name__}: {exc}"
        self.errors.append(DeptError(time.time(), where, message))
        _once.error(("department", self.name, where), "plugin %s: %s failed: %s", self.name, where, message)

    def last_error(self, within_s: float = 120.0) -> DeptError | None:
        """The latest failure if it is recent (a desk that recovered stops showing it)."""
        if not self.errors:
            return None
        err = self.errors[-1]
        return err if time.time() - err.t <= within_s else None

    # -- derived readings ------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        return f"dept.{self.name}"

    def publish(
        self, topic: str, rows: Iterable[tuple[str, dict, dict, float | None, float | None]], t: int
    ) -> int:
        """Publish derived readings (entity, values, attrs, lat, lon) on `topic` at data time `t`."""
        bus = self.service("bus")
        if bus is None:
            return 0
        etype = TOPICS.get(topic, ("Entity",))[0]
        items = [
            Reading(
                source=self.source,
                seq=next(self._seq),
                topic=topic,
                entity=e,
                etype=etype,
                t=t,
                values=v,
                attrs=a,
                lat=la,
                lon=lo,
            )
            for e, v, a, la, lo in rows
        ]
        bus.publish_many(topic, items)
        return len(items)
