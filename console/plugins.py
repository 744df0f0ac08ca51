"""Plugin host: discovery, manifest validation, contained activation, and clean disposal.

A plugin is a Python package with a `plugin.toml` manifest and `activate(ctx)` (optional
`deactivate()`). It is found in the in-tree `plugins/` folder, in extra folders from settings,
or through the `rasad.plugins` entry-point group (a third-party package).

Activation runs on a helper thread with a deadline. Everything the plugin registers through its
Context is buffered and committed only when `activate` returns in time, so a plugin that raises or
hangs leaves nothing behind; it is recorded as failed with a one-line reason, logged once, and the
console keeps running (the shell shows a placeholder panel with the reason).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import re
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from console import i18n
from console.model import Axis, Kpi

log = logging.getLogger(__name__)

API_VERSION = 1
ENTRY_POINT_GROUP = "rasad.plugins"
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_VERSION_RE = re.compile(r"^\d+\.\d+(?:\.\d+)?(?:[-+.][0-9A-Za-z.-]+)?$")
AREAS = ("departments", "side", "bottom", "central")


class ManifestError(ValueError):
    """A plugin.toml that cannot be used; the message names the file and the field."""


class PluginManifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    version: str
    api: int
    title_fa: str
    title_en: str
    requires: list[str] = []
    feeds: list[str] = []
    description: str = ""
    department: str = ""
    axes: list[str] = []


def parse_manifest(text: str, origin: str) -> PluginManifest:
    """Validate a manifest; every problem raises ManifestError naming `origin` and the field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{origin}: not valid TOML ({exc})") from None
    try:
        m = msgspec.convert(raw, PluginManifest)
    except msgspec.ValidationError as exc:
        raise ManifestError(f"{origin}: {exc}") from None
    problems = []
    if not _NAME_RE.match(m.name):
        problems.append(f"name {m.name!r} must be lowercase letters, digits, '-' or '_'")
    if not _VERSION_RE.match(m.version):
        problems.append(f"version {m.version!r} is not of the form MAJOR.MINOR[.PATCH]")
    if m.api != API_VERSION:
        problems.append(f"api {m.api} is not supported (this console speaks api {API_VERSION})")
    if not m.title_fa.strip() or not m.title_en.strip():
        problems.append("title_fa and title_en must both be non-empty")
    bad_axes = [a for a in m.axes if a not in Axis.__members__.values()]
    if bad_axes:
        problems.append(f"unknown axes {bad_axes}; expected {[a.value for a in Axis]}")
    if problems:
        raise ManifestError(f"{origin}: " + "; ".join(problems))
    return m


# -- registrations ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PanelSpec:
    plugin: str
    key: str
    factory: Callable[..., Any]  # factory(parent) -> QWidget, called on the GUI thread
    title_fa: str
    title_en: str
    area: str = "departments"

    def title(self, language: str | None = None) -> str:
        return self.title_fa if (language or i18n.lang()) == "fa" else self.title_en


@dataclass(frozen=True, eq=False)
class LayerSpec:
    plugin: str
    key: str
    title_fa: str
    title_en: str
    layer: Any  # a map layer description understood by the map room


@dataclass(frozen=True, eq=False)
class RuleSpec:
    plugin: str
    rule: Any  # an alarm rule understood by the alarm engine


class Registry:
    """An observable list of registrations (panels, rules, layers, KPIs)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: list[Any] = []
        self._lock = threading.Lock()
        self._added: list[Callable[[Any], None]] = []
        self._removed: list[Callable[[Any], None]] = []

    def on_change(self, added: Callable[[Any], None], removed: Callable[[Any], None]) -> Callable[[], None]:
        self._added.append(added)
        self._removed.append(removed)

        def stop() -> None:
            if added in self._added:
                self._added.remove(added)
                self._removed.remove(removed)

        return stop

    def add(self, item: Any) -> None:
        with self._lock:
            self._items.append(item)
        for fn in list(self._added):
            try:
                fn(item)
            except Exception:
                log.exception("%s registry listener failed on add", self.kind)

    def remove(self, item: Any) -> None:
        with self._lock:
            if item not in self._items:
                return
            self._items.remove(item)
        for fn in list(self._removed):
            try:
                fn(item)
            except Exception:
                log.exception("%s registry listener failed on remove", self.kind)

    def items(self) -> list[Any]:
        with self._lock:
            return list(self._items)

    def by_plugin(self, plugin: str) -> list[Any]:
        return [
            i
            for i in self.items()
            if getattr(i, "plugin", None) == plugin or getattr(i, "owner", None) == plugin
        ]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class FaultLog:
    """What went wrong inside a plugin's bus callbacks (its rule evaluation), for its panel to show.

    The bus already contains the exception (counted, logged once a minute); this keeps the last one
    per plugin so the operator sees on the department's own panel that its logic is failing.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.count = 0
        self.last = ""
        self.last_t: float | None = None

    def note(self, where: str, exc: BaseException) -> None:
        with self._lock:
            self.count += 1
            self.last = f"{where}: {type(exc).__name__}: {exc}"
            self.last_t = self._clock()

    def recent(self, within_s: float = 60.0) -> str | None:
        """The last fault if it happened within `within_s` seconds, else None."""
        with self._lock:
            if self.last_t is None or self._clock() - self.last_t > within_s:
                return None
            return self.last


class Context:
    """What a plugin may do. Registrations are buffered until the host commits them."""

    def __init__(self, host: PluginHost, record: PluginRecord):
        self._host = host
        self._record = record
        self.name = record.name
        self.log = logging.getLogger(f"plugins.{record.name}")
        self._pending: list[tuple[Registry, Any]] = []
        self._committed: list[tuple[Registry, Any]] = []
        self._subscriptions: list[Callable[[], None]] = []
        self._disposers: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._open = True
        self._live = False
        self.faults = record.faults

    # read-only access to the core
    @property
    def settings(self):
        return self._host.settings

    @property
    def folder(self) -> Path | None:
        return self._record.folder

    def service(self, name: str) -> Any:
        """A core service by name ("bus", "series", "entities", "alarms", "store", ...) or None."""
        return self._host.services.get(name)

    # registrations
    def _check_open(self) -> None:
        if not self._open:
            raise RuntimeError(f"plugin {self.name}: context is closed")

    def subscribe(
        self, pattern: str, callback: Callable[[str, list[Any]], None], **kw: Any
    ) -> Callable[[], None]:
        self._check_open()
        bus = self._host.bus
        if bus is None:
            raise RuntimeError("no FeedBus in this host")
        name = f"{self.name}:{getattr(callback, '__name__', 'cb')}"
        faults = self.faults

        def guarded(topic: str, items: list[Any]) -> None:
            try:
                callback(topic, items)
            except Exception as exc:
                faults.note(name.split(":", 1)[1], exc)
                raise  # the bus counts it and logs it once a minute

        unsub = bus.subscribe(pattern, guarded, name=name, **kw)
        done = threading.Event()

        def unsubscribe() -> None:
            if not done.is_set():
                done.set()
                unsub()

        with self._lock:
            self._subscriptions.append(unsubscribe)
        return unsubscribe

    def _register(self, registry: Registry, item: Any) -> Any:
        self._check_open()
        with self._lock:
            if self._live:
                self._committed.append((registry, item))
                registry.add(item)
            else:
                self._pending.append((registry, item))
        return item

    def add_panel(
        self,
        factory: Callable[..., Any],
        title_fa: str,
        title_en: str,
        area: str = "departments",
        key: str | None = None,
    ) -> PanelSpec:
        if area not in AREAS:
            raise ValueError(f"area {area!r} not in {AREAS}")
        return self._register(
            self._host.panels,
            PanelSpec(self.name, key or f"{self.name}.panel", factory, title_fa, title_en, area),
        )

    def add_rule(self, rule: Any) -> RuleSpec:
        return self._register(self._host.rules, RuleSpec(self.name, rule))

    def add_map_layer(
        self, layer: Any, title_fa: str = "", title_en: str = "", key: str | None = None
    ) -> LayerSpec:
        k = (
            key
            or getattr(layer, "key", None)
            or f"{self.name}.layer{len(self._pending) + len(self._committed)}"
        )
        return self._register(self._host.map_layers, LayerSpec(self.name, k, title_fa, title_en, layer))

    def add_kpi(
        self,
        axis: Axis | str,
        name: str,
        fn: Callable[[], float | None],
        *,
        title_fa: str = "",
        title_en: str = "",
        unit: str = "",
    ) -> Kpi:
        kpi = Kpi(Axis(axis), name, title_fa or name, title_en or name, fn, unit, self.name)
        return self._register(self._host.kpis, kpi)

    def add_strings(self, entries: dict[str, dict[str, str]]) -> None:
        i18n.add_strings(entries)

    def on_dispose(self, fn: Callable[[], None]) -> None:
        self._check_open()
        with self._lock:
            self._disposers.append(fn)

    # host side
    def _commit(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._live = True
        for registry, item in pending:
            registry.add(item)
            self._committed.append((registry, item))

    def _dispose(self) -> list[str]:
        """Undo everything; returns the errors met (each already logged)."""
        errors: list[str] = []
        with self._lock:
            self._open = False
            subs, self._subscriptions = self._subscriptions, []
            committed, self._committed = self._committed, []
            self._pending = []
            disposers, self._disposers = self._disposers, []
        for unsub in subs:
            unsub()
        for registry, item in reversed(committed):
            registry.remove(item)
        for fn in reversed(disposers):
            try:
                fn()
            except Exception as exc:
                errors.append(f"on_dispose: {exc!r}")
                log.error("plugin %s: dispose callback failed: %r", self.name, exc)
        return errors


@dataclass(eq=False)
class PluginRecord:
    name: str
    origin: str  # "in-tree", "folder:<path>", "entry-point:<dist>"
    folder: Path | None = None
    module_name: str | None = None
    manifest: PluginManifest | None = None
    state: str = "discovered"  # discovered | active | failed | disabled | inactive
    error: str = ""
    module: ModuleType | None = None
    context: Context | None = None
    loader: Callable[[], ModuleType] | None = field(default=None, repr=False)
    faults: FaultLog = field(default_factory=FaultLog, repr=False)

    @property
    def version(self) -> str:
        return self.manifest.version if self.manifest else "?"

    def title(self, language: str | None = None) -> str:
        if self.manifest is None:
            return self.name
        return self.manifest.title_fa if (language or i18n.lang()) == "fa" else self.manifest.title_en


def _module_from_folder(folder: Path, module_name: str) -> Callable[[], ModuleType]:
    def load() -> ModuleType:
        if module_name in sys.modules:
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(
            module_name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        if spec is None or spec.loader is None:
            raise ImportError(f"no package at {folder}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        return module

    return load


def discover_folder(root: Path, origin: str, package: str | None) -> list[PluginRecord]:
    """Every sub-folder of `root` holding a plugin.toml. `package` is the import prefix ("plugins")."""
    records: list[PluginRecord] = []
    if not root.is_dir():
        return records
    for folder in sorted(p for p in root.iterdir() if (p / "plugin.toml").is_file()):
        if package:
            mod_name = f"{package}.{folder.name}"
        else:  # unique per folder, so two folders with the same plugin name never share a module
            digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:8]
            mod_name = f"rasad_plugin_{folder.name.replace('-', '_')}_{digest}"
        rec = PluginRecord(name=folder.name, origin=origin, folder=folder, module_name=mod_name)
        try:
            rec.manifest = parse_manifest(
                (folder / "plugin.toml").read_text(encoding="utf-8"), str(folder / "plugin.toml")
            )
            rec.name = rec.manifest.name
        except (ManifestError, OSError, UnicodeDecodeError) as exc:
            rec.state, rec.error = "failed", str(exc)
        if not (folder / "__init__.py").is_file():
            rec.state, rec.error = "failed", f"{folder}: no __init__.py next to plugin.toml"
        if package:
            rec.loader = lambda m=mod_name: importlib.import_module(m)
        else:
            rec.loader = _module_from_folder(folder, mod_name)
        records.append(rec)
    return records


def discover_entry_points() -> list[PluginRecord]:
    records: list[PluginRecord] = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else "?"
        rec = PluginRecord(name=ep.name, origin=f"entry-point:{dist}", module_name=ep.value)
        try:
            spec = importlib.util.find_spec(ep.value.split(":")[0])
            if spec is None or not spec.submodule_search_locations:
                raise ManifestError(f"entry point {ep.name} = {ep.value}: not an importable package")
            rec.folder = Path(next(iter(spec.submodule_search_locations)))
            mpath = rec.folder / "plugin.toml"
            rec.manifest = parse_manifest(mpath.read_text(encoding="utf-8"), f"{dist}:{mpath.name}")
            rec.name = rec.manifest.name
        except (ManifestError, OSError, ImportError, ValueError) as exc:
            rec.state, rec.error = "failed", str(exc)
        rec.loader = lambda e=ep: e.load()
        records.append(rec)
    return records


def _order(records: list[PluginRecord]) -> list[PluginRecord]:
    """Dependency order (requires first); missing or cyclic requirements fail the plugin."""
    by_name = {r.name: r for r in records}
    ordered: list[PluginRecord] = []
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(rec: PluginRecord) -> bool:
        if rec.name in done:
            return rec.state != "failed"
        if rec.name in visiting:
            rec.state, rec.error = "failed", f"requirement cycle through {rec.name}"
            return False
        visiting.add(rec.name)
        ok = rec.state != "failed"
        for req in rec.manifest.requires if rec.manifest else []:
            dep = by_name.get(req)
            if dep is None:
                if ok:
                    rec.state, rec.error = "failed", f"requires plugin {req!r}, which is not installed"
                ok = False
            elif not visit(dep) and ok:
                rec.state, rec.error = "failed", f"requires plugin {req!r}, which failed"
                ok = False
        visiting.discard(rec.name)
        done.add(rec.name)
        ordered.append(rec)
        return ok

    for rec in records:
        visit(rec)
    return ordered


class PluginHost:
    def __init__(
        self, *, bus=None, settings=None, services: dict[str, Any] | None = None, deadline_s: float = 5.0
    ):
        self.bus = bus
        self.settings = settings
        self.services: dict[str, Any] = services if services is not None else {}
        self.deadline_s = deadline_s
        self.panels = Registry("panels")
        self.rules = Registry("rules")
        self.map_layers = Registry("map_layers")
        self.kpis = Registry("kpis")
        self.records: dict[str, PluginRecord] = {}

    # -- discovery -------------------------------------------------------------------------------------
    def discover(
        self, *, in_tree: Path | None = None, folders: Iterable[Path] = (), entry_points: bool = True
    ) -> list[PluginRecord]:
        found: list[PluginRecord] = []
        if in_tree is not None:
            found += discover_folder(in_tree, "in-tree", "plugins")
        for folder in folders:
            found += discover_folder(Path(folder), f"folder:{folder}", None)
        if entry_points:
            found += discover_entry_points()
        for rec in found:
            if rec.name in self.records:
                other = self.records[rec.name]
                log.warning(
                    "plugin %s from %s ignored: already provided by %s", rec.name, rec.origin, other.origin
                )
                continue
            self.records[rec.name] = rec
            if rec.state == "failed":
                log.error("plugin %s (%s): %s", rec.name, rec.origin, rec.error)
        return found

    # -- lifecycle -------------------------------------------------------------------------------------
    def activate_all(self, disabled: Iterable[str] = ()) -> None:
        disabled = set(disabled)
        for rec in _order(list(self.records.values())):
            if rec.name in disabled:
                rec.state = "disabled"
                continue
            if rec.state == "failed":
                if rec.error and "requires" in rec.error:
                    log.error("plugin %s: %s", rec.name, rec.error)
                continue
            missing = [
                r
                for r in (rec.manifest.requires if rec.manifest else [])
                if self.records[r].state != "active"
            ]
            if missing:
                rec.state, rec.error = "failed", f"requires plugin {missing[0]!r}, which is not active"
                log.error("plugin %s: %s", rec.name, rec.error)
                continue
            self.activate(rec.name)

    def activate(self, name: str) -> PluginRecord:
        rec = self.records[name]
        if rec.state == "active":
            return rec
        ctx = Context(self, rec)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                module = rec.module or (rec.loader() if rec.loader else None)
                if module is None:
                    raise ImportError("no loader")
                outcome["module"] = module
                activate = getattr(module, "activate", None)
                if not callable(activate):
                    raise TypeError("the package has no activate(ctx) function")
                activate(ctx)
            except BaseException as exc:
                outcome["error"] = exc

        started = time.monotonic()
        worker = threading.Thread(target=run, name=f"plugin:{name}", daemon=True)
        worker.start()
        worker.join(self.deadline_s)
        if worker.is_alive():
            self._fail(rec, ctx, f"activate did not return within {self.deadline_s:g} s (hung)")
            return rec
        if "error" in outcome:
            exc = outcome["error"]
            self._fail(rec, ctx, f"{type(exc).__name__}: {exc}")
            return rec
        rec.module = outcome["module"]
        rec.context = ctx
        ctx._commit()
        rec.state, rec.error = "active", ""
        log.info("plugin %s %s active (%.0f ms)", rec.name, rec.version, (time.monotonic() - started) * 1000)
        return rec

    def _fail(self, rec: PluginRecord, ctx: Context, reason: str) -> None:
        ctx._dispose()
        rec.state, rec.error, rec.context = "failed", reason, None
        log.error("plugin %s failed: %s", rec.name, reason)

    def deactivate(self, name: str) -> PluginRecord:
        rec = self.records[name]
        if rec.state != "active":
            return rec
        errors: list[str] = []
        deactivate = getattr(rec.module, "deactivate", None)
        if callable(deactivate):
            try:
                deactivate()
            except Exception as exc:
                errors.append(f"deactivate: {exc!r}")
                log.error("plugin %s: deactivate failed: %r", name, exc)
        if rec.context is not None:
            errors += rec.context._dispose()
        rec.context = None
        rec.state = "inactive"
        rec.error = "; ".join(errors)
        return rec

    def deactivate_all(self) -> None:
        for rec in reversed(_order(list(self.records.values()))):
            if rec.state == "active":
                self.deactivate(rec.name)

    # -- views -----------------------------------------------------------------------------------------
    def failed(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.state == "failed"]

    def active(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.state == "active"]
