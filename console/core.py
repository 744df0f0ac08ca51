"""The core: everything the console is, minus the screen. Built the same way headless and with Qt.

Composition: settings → FeedBus → services (feeds, alarms, storage ... added by their rooms)
→ plugin host. The UI (widgets/) attaches to a started Core; `run --headless` runs it alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol

from console import __version__
from console.bus import FeedBus
from console.health import FeedHealth
from console.paths import IN_TREE_PLUGINS
from console.plugins import PluginHost
from console.settings import Settings

log = logging.getLogger(__name__)


class Service(Protocol):
    async def async_start(self) -> None: ...

    async def async_stop(self) -> None: ...


class Core:
    def __init__(self, settings: Settings, *, load_plugins: bool = True, entry_point_plugins: bool = True):
        self.settings = settings
        self.bus = FeedBus()
        self.health = FeedHealth()
        self.services: dict[str, Any] = {"bus": self.bus, "health": self.health, "settings": settings}
        self._lifecycle: list[tuple[str, Service]] = []
        self._tasks: list[asyncio.Task] = []
        self.plugins = PluginHost(
            bus=self.bus, settings=settings, services=self.services, deadline_s=settings.plugin_deadline_s
        )
        self._load_plugins = load_plugins
        self._entry_points = entry_point_plugins
        self.started_at: float | None = None
        self._build_services()

    def _build_services(self) -> None:
        """Each room adds its services here (feeds, simulator, alarms, storage)."""
        from console.alarms.engine import AlarmEngine
        from console.feeds.manager import build_feeds
        from console.mapservices import add_map_services, city_or_none
        from console.series import SeriesConfig, SeriesStore

        self._build_store()  # first: the alarm engine restores from store.alarm_snapshot() at its start
        self.add_service("series", SeriesStore(self.bus, SeriesConfig.from_settings(self.settings)))
        build_feeds(self)  # "quarantine", "simulator" (embedded, when no feeds are configured), "feeds"
        add_map_services(self)  # entities, maplayers, geofences
        self.add_service(
            "alarms",
            AlarmEngine(
                self.bus,
                settings=self.settings,
                services=self.services,
                registry=self.plugins.rules,
                city=city_or_none(self.settings.city),
            ),
        )
        from console.capdrafts import CapDrafts, folder_for

        # public warnings drafted by departments, waiting for a crisis manager (console/capdrafts.py)
        self.add_service("cap_drafts", CapDrafts(folder_for(self.settings)))
        self._connect_store()  # last: after every service that reads history or alarm/remote

    def _build_store(self) -> None:
        """Storage: "store" (also the "history" provider) and "session" (who is signed in)."""
        from console.session import Session
        from console.store import DatabaseError, Store

        try:
            store = Store(self.settings, self.bus)
        except DatabaseError as exc:
            log.error("storage disabled: %s", exc)
            return
        self.add_service("store", store)
        self.add_service("history", store, lifecycle=False)  # history(signal, t0, t1, n_out), track(...)
        self.add_service("session", Session(store))

    def _connect_store(self) -> None:
        """History for the charts' zoom-out and the map's trails; sync with other consoles (PostgreSQL)."""
        from console.sync import Sync

        store = self.services.get("store")
        if store is None:
            return
        if hasattr(self.services.get("series"), "set_history"):
            self.services["series"].set_history(store)
        if hasattr(self.services.get("entities"), "set_history_provider"):
            self.services["entities"].set_history_provider(store)
        if store.db.is_postgres:
            self.add_service("sync", Sync(store, self.bus, self.health))

    def add_service(self, name: str, service: Any, *, lifecycle: bool = True) -> None:
        self.services[name] = service
        if lifecycle and hasattr(service, "async_start"):
            self._lifecycle.append((name, service))

    def load_plugins(self) -> None:
        if not self._load_plugins:
            return
        from pathlib import Path

        self.plugins.discover(
            in_tree=IN_TREE_PLUGINS,
            folders=[Path(p) for p in self.settings.plugin_dirs],
            entry_points=self._entry_points,
        )
        self.plugins.activate_all(disabled=self.settings.disabled_plugins)

    async def async_start(self) -> None:
        log.info("Rasad %s starting (city=%s, lang=%s)", __version__, self.settings.city, self.settings.lang)
        self.started_at = time.monotonic()
        for name, svc in self._lifecycle:
            try:
                await svc.async_start()
            except Exception:
                log.exception("service %s failed to start; the console runs without it", name)
        self.load_plugins()
        self._tasks.append(asyncio.create_task(self.bus.async_pump(self.settings.bus_hz), name="bus-pump"))
        self._tasks.append(asyncio.create_task(self._async_health_loop(), name="health"))
        from console.gctune import settle_heap

        settle_heap()  # full GC passes skip the startup heap from now on (console/gctune.py)

    async def _async_health_loop(self) -> None:
        while True:
            self.health.evaluate()
            await asyncio.sleep(1.0)

    async def async_stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self.plugins.deactivate_all()
        for name, svc in reversed(self._lifecycle):
            try:
                await svc.async_stop()
            except Exception:
                log.exception("service %s failed to stop cleanly", name)
        self.bus.close()
        log.info("Rasad stopped")

    def status_line(self) -> str:
        stats = self.bus.stats()
        published = sum(stats["published"].values())
        feeds = self.health.snapshot()
        ok = sum(1 for f in feeds if f.state.ok)
        line = (
            f"bus: {published} items on {len(stats['published'])} topics; "
            f"feeds {ok}/{len(feeds)} up; plugins {len(self.plugins.active())} active, "
            f"{len(self.plugins.failed())} failed"
        )
        store = self.services.get("store")
        return f"{line}; {store.status_line()}" if store is not None else line
