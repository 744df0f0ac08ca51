"""The Qt-free toolkit department plugins share: latest state per entity, rule files, KPI helpers.

A department plugin is mostly "watch these topics, keep the latest of each entity, judge it, count
it". `LatestTable` does the watching (thread-safe, cheap per reading, honest about staleness);
`load_department_rules` reads a plugin's editable rules.toml into alarm rules tagged with the
department (its `[department]` table, read by `load_department_config`, holds the plugin's own
parameters); `Department` wires a plugin's pieces to its Context in one place so each plugin only
writes what is its own: strings, rules, map layers, KPIs, and *derived readings* — indicators a
department computes from the live data (a forecast, a count of stations above a band) published
on `derived/<plugin>/<what>` so that ordinary alarm rules in rules.toml can judge them.

Two ways to write a department: subclass `Department` and override `update()` (one worker thread
per department, batches serialised), or give a `Department` a `desk` factory: a `Desk` subclass
that declares its subscriptions, map layers and KPIs and keeps its own state (each subscription on
its own worker thread; the desk locks what it shares), and a `panel` ("package.module:Class",
imported lazily). Either way every bus callback and KPI runs guarded: an exception is counted, kept
(`errors`, `last_error`, `error_log`), shown on the department's panel and never reaches the bus.

People at the console: `operator()` says who is at the desk and `audit()` makes an operator action
attributable (an AuditEvent on `audit/event`, which storage journals). `every()` runs upkeep on a
thread of its own (map layers that age whether a panel is on screen or not). `DataClock` tells the
time of the data (replays and fast simulations judge ages by their own clock).
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
from console.model import AuditEvent, Axis, Operator, Reading, Role, now_ns

log = logging.getLogger(__name__)
_once = LogOnce(log)
NS = 1_000_000_000
TOPIC_AUDIT = "audit/event"


class DataClock:
    """The time of the data: the newest data time seen, running on at wall-clock pace since then.

    Live, it is the wall clock less the feed's latency; in a replay of yesterday it is yesterday; in
    a simulation running faster than real time it follows the simulation. Before any data it is the
    wall clock. Thread-safe; `see` is cheap (called per reading batch).
    """

    def __init__(self, wall: Callable[[], int] = now_ns):
        self._wall = wall
        self._lock = threading.Lock()
        self._data: int | None = None
        self._seen_at = 0

    def see(self, t_ns: int) -> None:
        with self._lock:
            if self._data is None or t_ns > self._data:
                self._data, self._seen_at = int(t_ns), self._wall()

    def now(self) -> int:
        with self._lock:
            if self._data is None:
                return self._wall()
            return self._data + max(0, self._wall() - self._seen_at)

    @property
    def started(self) -> bool:
        return self._data is not None


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
    known = dict(defaults or {})
    if not path.is_file():
        return known
    _text, config = _split_rules_file(path)
    out = dict(known)
    for key, value in config.items():
        if known and key not in known:  # without defaults, any parameter is the plugin's to read
            raise ValueError(f"{path}: [{CONFIG_TABLE}] {key} is not a known parameter ({', '.join(known)})")
        want = known.get(key)
        if want is not None and not isinstance(value, type(want)):
            if isinstance(want, float) and isinstance(value, int):
                value = float(value)
            else:
                raise ValueError(
                    f"{path}: [{CONFIG_TABLE}] {key} = {value!r} must be a {type(want).__name__}"
                )
        out[key] = value
    return out


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
        self.params: dict[str, Any] = dept.config
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

    def emit(self, what: str, rows: Iterable[tuple], t: int, etype: str = "") -> None:
        """Publish derived readings on `derived/<plugin>/<what>`: rows of (entity, values, attrs, lat, lon)."""
        dept = self.dept
        dept.publish(
            [dept.derive(what, e, v, t=t, etype=etype, attrs=a, lat=la, lon=lo) for e, v, a, la, lo in rows]
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
    topics: tuple[str, ...] = ()
    accept: Callable[[Reading], bool] | None = None
    history: dict[str, float] | None = None  # value key -> seconds kept per entity (LatestTable)
    defaults: dict[str, Any] | None = None  # parameters of the [department] table of rules.toml
    desk: Callable[[Department], Desk] | None = None  # the department's state and judgement (a Desk)
    panel: str | Callable[[Department, Any], Any] | None = None  # "package.module:Class" or a factory

    worker = True  # subscriptions on bus worker threads (False: inline on the loop thread)

    def __post_init__(self) -> None:
        self._batch_lock = threading.RLock()
        self.table: LatestTable | None = None
        self.rules: list[Any] = []  # the alarm rules of rules.toml, as registered
        self.ctx: Any = None
        self.started = time.monotonic()
        self.config: dict[str, Any] = dict(self.defaults or {})
        self.errors = 0
        self.last_error = ""
        self.error_log: deque[DeptError] = deque(maxlen=50)
        self.state: Desk | None = None
        self.title_fa = self.title_en = self.name
        self._city: Any = None
        self._centres: dict[str, tuple[float, float]] = {}
        self._source = f"plugin.{self.name}"
        self._seq = itertools.count(time.time_ns() // 1000)  # unique across restarts of the plugin

    # -- wiring --------------------------------------------------------------------------------------
    def activate(self, ctx: Any) -> None:
        self.ctx = ctx
        self.errors, self.last_error = 0, ""
        self.error_log.clear()
        self._read_manifest()
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
        if self.desk is not None:
            self._wire_desk(ctx)
        self.rules = []
        if rules_file.is_file():
            self.rules = load_department_rules(rules_file, self.name, f"plugin:{self.name}")
            for rule in self.rules:
                ctx.add_rule(rule)
        if self.panel is not None:
            ctx.add_panel(self._build_panel, self.title_fa, self.title_en)

    def _wire_desk(self, ctx: Any) -> None:
        self.state = state = self.desk(self)
        for topic, callback in state.subscriptions().items():
            ctx.subscribe(topic, self.guard(f"bus {topic}", callback), worker=self.worker)
        for layer in state.layers():
            layer.owner = layer.owner or self.name
            ctx.add_map_layer(layer, layer.title_fa, layer.title_en, key=layer.key)
        for k in state.kpis():
            self.add_kpi(k.axis, k.name, k.fn, k.title_fa, k.title_en, k.unit)
        ctx.on_dispose(state.close)

    def _build_panel(self, parent: Any) -> Any:
        factory = self.panel
        if isinstance(factory, str):
            import importlib

            module, _, cls = factory.partition(":")
            factory = getattr(importlib.import_module(module), cls)
        return factory(self, parent)

    def deactivate(self) -> None:
        """Everything was registered through the Context (the desk closes through on_dispose)."""

    def _read_manifest(self) -> None:
        from console.plugins import parse_manifest

        path = self.folder / "plugin.toml"
        if path.is_file():
            m = parse_manifest(path.read_text(encoding="utf-8"), str(path))
            self.title_fa, self.title_en = m.title_fa, m.title_en

    def title(self, language: str) -> str:
        return self.title_fa if language == "fa" else self.title_en

    def guard(self, where: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn` wrapped so that an exception is recorded on this department instead of propagating."""

        def guarded(*args: Any) -> Any:
            try:
                result = fn(*args)
            except Exception as exc:
                self._failed(where, exc)
                return None
            if self.last_error.startswith(where):
                self.last_error = ""  # it works again
            return result

        guarded.__name__ = getattr(fn, "__name__", "guarded")
        return guarded

    def on_batch(self, topic: str, items: list[Any]) -> None:
        """The FeedBus callback: keep the latest state, then let the department compute its own."""
        with self._batch_lock:
            self.table.on_readings(topic, items)
            self.guard("update", self.update)(topic, items)  # looked up per batch: update may be replaced

    def update(self, topic: str, items: list[Any]) -> None:
        """Override: derived state after a batch of readings on one of `topics`."""

    def _failed(self, where: str, exc: Exception) -> None:
        self.errors += 1
        self.last_error = f"{where}: {type(exc).__name__}: {exc}"
        self.error_log.append(DeptError(time.time(), where, f"{type(exc).__name__}: {exc}"))
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

    def district_name(self, district_id: str, language: str, fallback: str = "") -> str:
        """A district's name in `language`; `fallback` (or the id) when the city does not know it."""
        d = self.district(district_id)
        return d.name(language) if d is not None else (fallback or district_id or "—")

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

    def every(self, period_s: float, fn: Callable[[], None], name: str = "tick") -> None:
        """Run `fn` every `period_s` seconds on a thread of its own until the plugin is deactivated
        (upkeep that must not depend on a panel being on screen, e.g. map layers that age). A failure is
        contained like any other (`_failed`: counted, logged once, shown on its panel), retried next time."""
        stop = threading.Event()
        step = self.guard(f"{name} (every {period_s:g} s)", fn)

        def loop() -> None:
            while not stop.wait(period_s):
                step()

        thread = threading.Thread(target=loop, name=f"dept:{self.name}:{name}", daemon=True)

        def dispose() -> None:
            stop.set()
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=2.0)

        self.ctx.on_dispose(dispose)
        thread.start()

    @property
    def faults(self) -> Any:
        """The plugin's console.plugins.FaultLog (contained callback failures), or None."""
        return getattr(self.ctx, "faults", None)

    # -- people -------------------------------------------------------------------------------------
    def operator(self) -> Operator:
        """Who is at the console: the session's operator, else the alarm engine's, else settings."""
        op = getattr(self.service("session"), "operator", None)
        if isinstance(op, Operator):
            return op
        current = getattr(self.service("alarms"), "current_operator", None)
        if callable(current):
            op = current()
            if isinstance(op, Operator):
                return op
        name = getattr(getattr(self.ctx, "settings", None), "operator", "") or "operator"
        return Operator(name=name, display_name=name, roles=frozenset({Role.OPERATOR}))

    def console_name(self) -> str:
        console = getattr(self.service("alarms"), "console", "")
        return console or getattr(getattr(self.ctx, "settings", None), "console_id", "") or ""

    def audit(
        self, kind: str, subject: str, detail: dict[str, Any], operator: Operator | None = None
    ) -> AuditEvent:
        """Make an operator action attributable: an AuditEvent on `audit/event` (storage journals it)."""
        who = operator or self.operator()
        event = AuditEvent(
            t=now_ns(),
            kind=kind,
            operator=who.name,
            console=self.console_name(),
            subject=subject,
            detail={"department": self.name, **detail},
        )
        bus = self.service("bus")
        if bus is not None:
            bus.publish(TOPIC_AUDIT, event)
        return event

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
