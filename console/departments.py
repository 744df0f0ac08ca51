"""The Qt-free toolkit department plugins share: latest state per entity, rule files, KPI helpers.

A department plugin is mostly "watch these topics, keep the latest of each entity, judge it, count
it". `LatestTable` does the watching (thread-safe, cheap per reading, honest about staleness);
`load_department_rules` reads a plugin's editable rules.toml into alarm rules tagged with the
department (its `[department]` table, read by `load_department_config`, holds the plugin's own
parameters); `Department` wires a plugin's pieces to its Context in one place so each plugin only
writes what is its own: strings, rules, map layers, KPIs, and *derived readings* — indicators a
department computes from the live data (a forecast, a count of stations above a band) published
on `derived/<plugin>/<what>` so that ordinary alarm rules in rules.toml can judge them.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from console.catalog import DERIVED_PREFIX, signal_meta
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


@dataclass(frozen=True)
class RowView:
    """A department's view of one entity: its Row plus what the department derives (subclass it)."""

    row: Row

    @property
    def entity(self) -> str:
        return self.row.entity

    @property
    def stale(self) -> bool:
        return self.row.stale

    def value(self, key: str) -> float | None:
        return self.row.value(key)


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
        *,
        history: dict[str, float] | None = None,
    ):
        """`history`: value key -> seconds of recent samples to keep per entity (trends, forecasts)."""
        self._health = health
        self._accept = accept
        self._stale_after_s = stale_after_s
        self._lock = threading.Lock()
        self._latest: dict[str, Reading] = {}
        self._first: dict[str, int] = {}
        self._keep = {k: int(s * NS) for k, s in (history or {}).items()}
        self._history: dict[tuple[str, str], deque[tuple[int, float]]] = {}
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
                    if self._keep:
                        self._remember(r)
                if r.t > self.newest_t:
                    self.newest_t = r.t
                self.received += 1

    def _remember(self, r: Reading) -> None:
        for key, keep in self._keep.items():
            v = r.values.get(key)
            if v is None or v != v:
                continue
            ring = self._history.get((r.entity, key))
            if ring is None:
                ring = self._history[(r.entity, key)] = deque()
            if ring and ring[-1][0] == r.t:
                ring[-1] = (r.t, float(v))
            else:
                ring.append((r.t, float(v)))
            while ring and r.t - ring[0][0] > keep:
                ring.popleft()

    def history(self, entity: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Recent samples of one value of one entity, oldest first: (t int64 ns, value float64)."""
        with self._lock:
            ring = list(self._history.get((entity, key), ()))
        if not ring:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        t, v = zip(*ring, strict=True)
        return np.array(t, np.int64), np.array(v, np.float64)

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
            for key in self._keep:
                self._history.pop((entity, key), None)

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


CONFIG_TABLE = "department"


def _split_rules_file(path: Path) -> tuple[str, dict[str, Any]]:
    """(the file's text without its [department] table, that table). Rules stay in [[rule]] tables."""
    text = path.read_text(encoding="utf-8")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return text, {}  # load_rules_text names the file and the error
    config = doc.pop(CONFIG_TABLE, None)
    if config is None:
        return text, {}
    import tomli_w

    return tomli_w.dumps(doc), dict(config)


def load_department_rules(path: Path, department: str, owner: str) -> list[Any]:
    """Alarm rules from a plugin's rules.toml, tagged with its department and owner."""
    from console.alarms.rules import load_rules_text

    text, _config = _split_rules_file(path)
    rules = load_rules_text(text, str(path))
    return [msgspec.structs.replace(r, department=r.department or department, owner=owner) for r in rules]


def load_department_config(path: Path, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `[department]` table of a plugin's rules.toml over `defaults`.

    Keys not in `defaults` and values of another type than the default's are errors (ValueError naming
    the file and the key), so a typo in an edited file is caught when the plugin activates.
    """
    defaults = dict(defaults or {})
    if not path.is_file():
        return defaults
    _text, config = _split_rules_file(path)
    for key, value in config.items():
        if defaults and key not in defaults:
            raise ValueError(
                f"{path}: [{CONFIG_TABLE}] {key} is not a known parameter ({', '.join(defaults)})"
            )
        want = defaults.get(key)
        if want is not None and not isinstance(value, type(want)):
            if isinstance(want, float) and isinstance(value, int):
                value = float(value)
            else:
                raise ValueError(
                    f"{path}: [{CONFIG_TABLE}] {key} = {value!r} must be a {type(want).__name__}"
                )
        defaults[key] = value
    return defaults


def load_strings(path: Path) -> dict[str, dict[str, str]]:
    """A plugin's strings.toml (key -> {fa, en}); both languages are required for every key."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for key, entry in doc.items():
        if (
            not isinstance(entry, dict)
            or not str(entry.get("fa", "")).strip()
            or not str(entry.get("en", "")).strip()
        ):
            raise ValueError(f"{path}: {key!r} needs both fa and en")
        out[key] = {"fa": str(entry["fa"]), "en": str(entry["en"])}
    return out


@dataclass
class Department:
    """One plugin's wiring: topics to watch, rules file, strings, KPIs, layers, derived readings, panel.

    Subclass and override `update(topic, readings)` to compute what is the department's own after
    each batch. It runs on the department's own bus worker thread (`worker = True`; one batch at a
    time per department, whatever the topic), never on the UI thread; panels read the results, which
    are replaced whole, never mutated in place. `activate(ctx)`
    registers everything through the Context, so deactivation undoes it all. An exception in
    `update` or in a KPI is contained: counted, logged once a minute, shown on the panel
    (`last_error`), and the next batch is tried again.
    """

    name: str
    folder: Path
    topics: tuple[str, ...]
    accept: Callable[[Reading], bool] | None = None
    history: dict[str, float] | None = None  # value key -> seconds kept per entity (LatestTable)
    defaults: dict[str, Any] | None = None  # parameters of the [department] table of rules.toml

    worker = True  # subscriptions on bus worker threads (False: inline on the loop thread)

    def __post_init__(self) -> None:
        self._batch_lock = threading.RLock()
        self.table: LatestTable | None = None
        self.ctx: Any = None
        self.started = time.monotonic()
        self.config: dict[str, Any] = dict(self.defaults or {})
        self.errors = 0
        self.last_error = ""
        self._city: Any = None
        self._centres: dict[str, tuple[float, float]] = {}
        self._source = f"plugin.{self.name}"
        self._seq = itertools.count(time.time_ns() // 1000)  # unique across restarts of the plugin

    # -- wiring --------------------------------------------------------------------------------------
    def activate(self, ctx: Any) -> None:
        self.ctx = ctx
        strings = self.folder / "strings.toml"
        if strings.is_file():
            ctx.add_strings(load_strings(strings))
        rules_file = self.folder / "rules.toml"
        self.config = load_department_config(rules_file, self.defaults)
        self.table = LatestTable(ctx.service("health"), self.accept, history=self.history)
        for d in self.city.districts if self.city is not None else ():
            self.district_centre(d.id)  # geography work at activation (helper thread), not on a bus tick
        for topic in self.topics:
            ctx.subscribe(topic, self.on_batch, worker=self.worker)
        if rules_file.is_file():
            for rule in load_department_rules(rules_file, self.name, f"plugin:{self.name}"):
                ctx.add_rule(rule)

    def on_batch(self, topic: str, items: list[Any]) -> None:
        """The FeedBus callback: keep the latest state, then let the department compute its own."""
        with self._batch_lock:
            self.table.on_readings(topic, items)
            try:
                self.update(topic, items)
            except Exception as exc:
                self._failed("update", exc)
            else:
                if self.last_error.startswith("update"):
                    self.last_error = ""

    def update(self, topic: str, items: list[Any]) -> None:
        """Override: derived state after a batch of readings on one of `topics`."""

    def _failed(self, where: str, exc: Exception) -> None:
        self.errors += 1
        self.last_error = f"{where}: {type(exc).__name__}: {exc}"
        _once.error((self.name, where, type(exc).__name__), "department %s: %s", self.name, self.last_error)

    def service(self, name: str) -> Any:
        return self.ctx.service(name) if self.ctx is not None else None

    # -- the city ------------------------------------------------------------------------------------
    @property
    def timezone(self) -> str:
        settings = self.ctx.settings if self.ctx is not None else None
        return getattr(settings, "timezone", "") or "Asia/Tehran"

    @property
    def city(self) -> Any:
        """The configured city's geography (districts, roads, places), or None when there is none."""
        if self._city is None:
            from console.city import load_city

            key = getattr(self.ctx.settings if self.ctx is not None else None, "city", None) or "qom"
            try:
                self._city = load_city(key)
            except KeyError:
                self._city = False
        return self._city or None

    def place_name(self, entity: str, language: str, row: Row | None = None) -> str:
        """A place's name in `language`: the city's gazetteer, then the reading's attrs, then the id."""
        city = self.city
        if city is not None:
            for places in city.places.values():
                for p in places:
                    if p["id"] == entity:
                        return str(p.get(f"name_{language}") or p.get("name_fa") or entity)
        return row.name(language) if row is not None else entity

    def district(self, district_id: str) -> Any:
        city = self.city
        return next((d for d in city.districts if d.id == district_id), None) if city is not None else None

    def district_name(self, district_id: str, language: str) -> str:
        d = self.district(district_id)
        return d.name(language) if d is not None else (district_id or "—")

    def district_geometry(self, district_id: str) -> dict[str, Any] | None:
        """GeoJSON geometry (lon, lat) of a district, for map layers."""
        d = self.district(district_id)
        if d is None:
            return None
        return d.geometry or {"type": "Polygon", "coordinates": [[list(p) for p in d.ring]]}

    def district_centre(self, district_id: str) -> tuple[float, float] | None:
        """(lat, lon) of a point inside the district (where its alarms are placed)."""
        if district_id not in self._centres:
            geometry = self.district_geometry(district_id)
            if geometry is None:
                return None
            from shapely.geometry import shape

            p = shape(geometry).representative_point()
            self._centres[district_id] = (float(p.y), float(p.x))
        return self._centres[district_id]

    # -- contributions -------------------------------------------------------------------------------
    def add_kpi(
        self,
        axis: Axis | str,
        name: str,
        fn: Callable[[], float | None],
        title_fa: str,
        title_en: str,
        unit: str = "",
    ) -> Any:
        """A KPI whose failure reads as unknown (None), never as a number, and is shown on the panel."""

        def safe() -> float | None:
            try:
                value = fn()
            except Exception as exc:
                self._failed(f"kpi {name}", exc)
                return None
            return None if value is None or value != value else float(value)

        return self.ctx.add_kpi(axis, name, safe, title_fa=title_fa, title_en=title_en, unit=unit)

    def add_layer(
        self,
        key: str,
        title_fa: str,
        title_en: str,
        *,
        z: int = 25,
        legend: Iterable[Any] = (),
        visible: bool = True,
    ) -> Any:
        """A map layer of this department (`<plugin>.<key>`), registered through the Context."""
        from console.maplayers import MapLayer

        layer = MapLayer(
            f"{self.name}.{key}", title_fa, title_en, z=z, legend=legend, owner=self.name, visible=visible
        )
        self.ctx.add_map_layer(layer, title_fa, title_en, key=layer.key)
        return layer

    def derived_topic(self, what: str) -> str:
        return f"{DERIVED_PREFIX}{self.name}/{what}"

    def derive(
        self,
        what: str,
        entity: str,
        values: dict[str, float],
        *,
        t: int | None = None,
        etype: str = "",
        attrs: dict[str, Any] | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> Reading:
        """A derived reading (not yet published): an indicator this department computed."""
        return Reading(
            source=self._source,
            seq=next(self._seq),
            topic=self.derived_topic(what),
            entity=entity,
            etype=etype or f"{self.name}.{what}",
            t=t if t is not None else (self.table.newest_t if self.table else 0),
            values=values,
            attrs=attrs or {},
            lat=lat,
            lon=lon,
        )

    def publish(self, readings: list[Reading]) -> None:
        """Put derived readings on the bus (alarm rules, storage and charts see them like any other)."""
        bus = self.service("bus")
        if bus is None or not readings:
            return
        by_topic: dict[str, list[Reading]] = {}
        for r in readings:
            by_topic.setdefault(r.topic, []).append(r)
        for topic, items in by_topic.items():
            bus.publish_many(topic, items)


class DepartmentPlugin:
    """A department plugin's `activate`/`deactivate`, so its __init__.py is three lines:

        plugin = DepartmentPlugin(lambda: ParkingDesk(Path(__file__).parent), __name__,
                                  ".panel:ParkingPanel", "پارکینگ", "Parking")
        activate, deactivate = plugin.activate, plugin.deactivate

    The panel class ("module:Class", relative to the package) is imported only inside the panel
    factory, on the GUI thread, so a headless console never imports Qt for it.
    """

    def __init__(
        self, make: Callable[[], Department], package: str, panel: str, title_fa: str, title_en: str
    ):
        self.make, self.package, self.panel = make, package, panel
        self.title_fa, self.title_en = title_fa, title_en
        self.desk: Department | None = None

    def activate(self, ctx: Any) -> None:
        desk = self.make()
        desk.activate(ctx)

        def make_panel(parent: Any) -> Any:
            import importlib

            module, _, cls = self.panel.partition(":")
            return getattr(importlib.import_module(module, self.package), cls)(desk, parent)

        ctx.add_panel(make_panel, self.title_fa, self.title_en)
        ctx.on_dispose(self._forget)
        self.desk = desk

    def _forget(self) -> None:
        self.desk = None

    def deactivate(self) -> None:
        """Everything was registered through the Context; the host undoes it."""
