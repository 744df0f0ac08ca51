"""A console without a screen for department plugins: the real FeedBus, plugin host, alarm engine
(plugin rules only) and map layers, fed tick by tick from the offline simulator (`console.sim.play`),
so a scenario's effect on a plugin's rules is deterministic and fast to test."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from console.alarms.config import AlarmConfig
from console.alarms.engine import AlarmEngine
from console.bus import FeedBus
from console.city import load_city
from console.health import FeedHealth
from console.maplayers import MapLayers
from console.paths import IN_TREE_PLUGINS
from console.plugins import PluginHost
from console.settings import Settings
from console.sim import play

START = 1_795_000_000 * 10**9
MOBILITY = ("traffic", "bus", "taxi", "terminals", "civil-works", "parks")


class Rig:
    def __init__(self, plugins: Iterable[str], rule_folder: Path, *, alarms: bool = True):
        self.now = START
        self.bus = FeedBus()
        self.health = FeedHealth()
        self.layers = MapLayers()
        settings = Settings()
        self.services = {
            "bus": self.bus,
            "health": self.health,
            "maplayers": self.layers,
            "settings": settings,
        }
        self.host = PluginHost(bus=self.bus, settings=settings, services=self.services, deadline_s=20.0)
        self.engine = None
        if alarms:
            self.engine = AlarmEngine(
                self.bus,
                config=AlarmConfig(band_rules=False),
                clock=lambda: self.now,
                city=load_city("qom"),
                services=self.services,
                registry=self.host.rules,
                rule_folders=[rule_folder],  # an empty folder: only the plugins' rules
            )
            self.services["alarms"] = self.engine
            self.bus.subscribe("#", self.engine.process, name="alarms")
        self._unfollow = self.layers.follow_plugins(self.host.map_layers)
        self.host.discover(in_tree=IN_TREE_PLUGINS, entry_points=False)
        for name in plugins:
            rec = self.host.activate(name)
            assert rec.state == "active", f"{name}: {rec.error}"

    def settle(self) -> None:
        """Deliver everything: inline subscribers, the desks' worker threads, what they published."""
        for _ in range(4):
            self.bus.flush()
            assert self.bus.drain_workers(10.0), "a department's worker did not finish"
            if not self.bus.backlog():
                break
        self.bus.flush()

    def run(
        self, scenario: str, seconds: float, *, vehicles: int = 200, seed: int = 1405, tick_s: int = 5
    ) -> None:
        for s, out in play(scenario, seconds, vehicles=vehicles, seed=seed, start_ns=START):
            for items in out.values():
                if items:
                    self.bus.publish_many(items[0].topic, items)
            self.now = START + int(s * 1e9)
            self.settle()
            if self.engine is not None and int(s) % tick_s == 0:
                self.engine.tick(self.now)

    def activations(self, plugin: str) -> list:
        """Alarm transitions into Active for rules owned by `plugin`."""
        owned = {r.id for r in self.engine.rules() if r.owner == f"plugin:{plugin}"}
        return [t for t in self.engine.journal if t.action == "activate" and t.rule_id in owned]

    def department(self, plugin: str):
        return self.host.records[plugin].module.department

    def close(self) -> None:
        self.host.deactivate_all()
        self._unfollow()
        self.bus.close()
