"""The Qt-free toolkit department plugins share: latest state per entity, rule files, KPI helpers.

A department plugin is mostly "watch these topics, keep the latest of each entity, judge it, count
it". `LatestTable` does the watching (thread-safe, cheap per reading, honest about staleness);
`load_department_rules` reads a plugin's editable rules.toml into alarm rules tagged with the
department; `Department` wires a plugin's pieces to its Context in one place so each plugin only
writes what is its own: its strings (strings.toml), its alarm rules (rules.toml), who the operator
is, and attributable operator actions (`audit` → AuditEvent on `audit/event`). `DataClock` tells
the time of the data (replays and fast simulations judge ages by their own clock).
"""

from __future__ import annotations

import logging
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from console.catalog import signal_meta
from console.health import FeedHealth, FeedState
from console.logsetup import LogOnce
from console.model import AuditEvent, Operator, Reading, Role, now_ns

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


def load_strings(path: Path) -> dict[str, dict[str, str]]:
    """A plugin's strings.toml (`[key] fa = ... en = ...`); every key needs both languages."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or not all(str(entry.get(k, "")).strip() for k in ("fa", "en")):
            raise ValueError(f"{path}: string {key!r} needs both fa and en")
        out[key] = {"fa": str(entry["fa"]), "en": str(entry["en"])}
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
        self.rules: list[Any] = []  # the alarm rules of rules.toml, as registered
        self.ctx: Any = None
        self.started = time.monotonic()

    def activate(self, ctx: Any) -> None:
        self.ctx = ctx
        strings = self.folder / "strings.toml"
        if strings.is_file():
            ctx.add_strings(load_strings(strings))
        self.table = LatestTable(ctx.service("health"), self.accept)
        for topic in self.topics:
            ctx.subscribe(topic, self.table.on_readings)
        rules_file = self.folder / "rules.toml"
        self.rules = []
        if rules_file.is_file():
            self.rules = load_department_rules(rules_file, self.name, f"plugin:{self.name}")
            for rule in self.rules:
                ctx.add_rule(rule)

    def service(self, name: str) -> Any:
        return self.ctx.service(name) if self.ctx is not None else None

    # -- the city --------------------------------------------------------------------------------------
    def city(self) -> Any:
        """The console's city geography (console.city.City), or None for a city without one."""
        if not hasattr(self, "_city"):
            from console.city import load_city

            key = getattr(getattr(self.ctx, "settings", None), "city", "") or "qom"
            try:
                self._city = load_city(key)
            except KeyError:
                self._city = None
        return self._city

    def district_name(self, district_id: str, language: str, fallback: str = "") -> str:
        """A district's name in `language`; `fallback` (or the id) when the city does not know it."""
        city = self.city()
        for d in city.districts if city is not None else ():
            if d.id == district_id:
                return d.name(language)
        return fallback or district_id

    def every(self, period_s: float, fn: Callable[[], None], name: str = "tick") -> None:
        """Run `fn` every `period_s` seconds on a thread of its own until the plugin is deactivated
        (upkeep that must not depend on a panel being on screen, e.g. map layers that age). A failure is
        contained: logged once, kept in the plugin's FaultLog (shown on its panel), retried next time."""
        stop = threading.Event()
        where = f"{name} (every {period_s:g} s)"

        def loop() -> None:
            while not stop.wait(period_s):
                try:
                    fn()
                except Exception as exc:
                    if self.faults is not None:
                        self.faults.note(where, exc)
                    _once.error((self.name, name), "department %s: %s failed: %r", self.name, where, exc)

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

    # -- people ---------------------------------------------------------------------------------------
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


class DepartmentPlugin:
    """A department plugin's module-level entry points in one place.

    In the plugin's __init__.py::

        plugin = DepartmentPlugin(__name__, lambda: MyDepartment(Path(__file__).parent),
                                  "panel:MyPanel", "عنوان", "Title")
        activate, deactivate = plugin.activate, plugin.deactivate

    `activate(ctx)` builds the department, lets it register everything through ctx, and adds its panel:
    `panel` names "module:Class" inside the plugin package, imported only when the console builds the
    panel (so importing the plugin never loads Qt); the class is called as Class(department, parent).
    `department` is the active one (None when inactive).
    """

    def __init__(
        self,
        package: str,
        make: Callable[[], Department],
        panel: str,
        title_fa: str,
        title_en: str,
    ):
        self.package = package
        self.make = make
        self.panel = panel
        self.title_fa, self.title_en = title_fa, title_en
        self.department: Department | None = None

    def activate(self, ctx: Any) -> None:
        dept = self.make()
        dept.activate(ctx)
        module, _, cls = self.panel.partition(":")

        def make_panel(parent: Any) -> Any:
            import importlib

            return getattr(importlib.import_module(f"{self.package}.{module}"), cls)(dept, parent)

        ctx.add_panel(make_panel, self.title_fa, self.title_en)
        ctx.on_dispose(self._forget)
        self.department = dept

    def _forget(self) -> None:
        self.department = None

    def deactivate(self) -> None:
        """Everything was registered through ctx; the host undoes it (and `_forget` runs on dispose)."""
