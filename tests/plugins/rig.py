"""A console without a screen for department plugin tests: the real FeedBus, plugin host, alarm engine,
map layers and city, fed by the simulator offline (`console.sim.play`), deterministic and fast.

    rig = PluginRig(tmp_path, "water")
    rig.play("flood", 900)
    rig.fired("water")            # ids of the rules of plugin "water" that raised alarms

Readings go onto the bus tick by tick; each simulated second is delivered until the bus is quiet
(flush + drain of the plugins' worker threads, a few rounds: derived readings a plugin publishes
reach the engine inline on the next flush), so a run is reproducible. The engine's clock is the
simulation's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from console.alarms.config import AlarmConfig
from console.alarms.engine import AlarmEngine
from console.bus import FeedBus
from console.capdrafts import CapDrafts
from console.city import load_city
from console.health import FeedHealth
from console.maplayers import MapLayers
from console.paths import IN_TREE_PLUGINS
from console.plugins import PluginHost
from console.settings import Settings
from console.sim import play
from console.sim.world import SOURCE_BY_ID

START_NS = 1_795_000_000 * 10**9  # console.sim.play's default start (14:36 in Qom)
START = START_NS
MOBILITY = ("traffic", "bus", "taxi", "terminals", "civil-works", "parks")


class SimClock:
    def __init__(self, t: int = START_NS):
        self.t = t

    def __call__(self) -> int:
        return self.t


class PluginRig:
    def __init__(
        self,
        tmp_path: Path,
        *names: str,
        settings: Settings | None = None,
        rule_folders: Sequence[Path] | None = (),
        **alarm_config: Any,
    ):
        """`rule_folders`: folders of rule files besides the plugins' rules (default none; None: the
        console's own, resources/rules, as the real engine loads them)."""
        self.bus = FeedBus()
        self.clock = SimClock()
        self.health = FeedHealth()
        self.maplayers = MapLayers()
        self.services: dict[str, Any] = {
            "bus": self.bus,
            "health": self.health,
            "settings": settings or Settings(),
            "maplayers": self.maplayers,
            "cap_drafts": CapDrafts(tmp_path / "cap-drafts"),
        }
        self.host = PluginHost(bus=self.bus, settings=self.services["settings"], services=self.services)
        self.engine = AlarmEngine(
            self.bus,
            config=AlarmConfig(**{"band_rules": False, "console": "rig", **alarm_config}),
            clock=self.clock,
            rule_folders=None if rule_folders is None else list(rule_folders),
            city=load_city("qom"),
            services=self.services,
            registry=self.host.rules,
        )
        self.services["alarms"] = self.engine
        self.layers = self.maplayers
        self._stop_layers = self.maplayers.follow_plugins(self.host.map_layers)
        self.transitions: list[Any] = []
        self.audits: list[Any] = []
        self._unsubs = [
            self.bus.subscribe("#", self.engine.process, name="rig-alarms"),
            self.bus.subscribe(
                "alarm/transition", lambda _t, items: self.transitions.extend(items), name="rig"
            ),
            self.bus.subscribe("audit/event", lambda _t, items: self.audits.extend(items), name="rig-audit"),
        ]
        self.host.discover(in_tree=IN_TREE_PLUGINS, entry_points=False)
        for name in names:
            rec = self.host.activate(name)
            assert rec.state == "active", f"{name}: {rec.state} {rec.error}"

    # -- driving -------------------------------------------------------------------------------------
    def play(
        self, scenario: str, seconds: float, *, vehicles: int = 4, until=None, seed: int = 1405
    ) -> float:
        """Run a scenario; stops early when `until(rig)` becomes true (checked every 10 s). Returns sim s."""
        self._run = play(scenario, 86_400, vehicles=vehicles, start_ns=START_NS, seed=seed)
        return self.play_more(seconds, until=until)

    def run(self, scenario: str, seconds: float, *, vehicles: int = 200, seed: int = 1405) -> float:
        """`play` for the whole `seconds` (the mobility plugins' tests name their fleet size)."""
        return self.play(scenario, seconds, vehicles=vehicles, seed=seed)

    @property
    def now(self) -> int:
        return self.clock.t

    def play_more(self, seconds: float, *, until=None) -> float:
        """Continue the scenario `play` started for `seconds` more."""
        s = end = None
        for s, batch in self._run:
            end = s + seconds if end is None else end
            self.feed(batch)
            if s >= end - 1 or (until is not None and int(s) % 10 == 0 and until(self)):
                break
        return s

    def feed(self, batch: dict[str, list]) -> None:
        t = self.clock.t
        for sid, items in batch.items():
            if items:
                self.bus.publish_many(
                    SOURCE_BY_ID[sid].topic if sid in SOURCE_BY_ID else items[0].topic, items
                )
                t = max(t, items[0].t)
        self.clock.t = t
        self.settle()
        self.engine.tick(t)
        self.settle()

    def settle(self) -> None:
        """Deliver until quiet: plugins (worker threads), the readings they derive, the engine's output."""
        for _ in range(4):
            self.bus.flush()
            self.bus.drain_workers()
        self.bus.flush()

    def publish(self, *readings) -> None:
        by_topic: dict[str, list] = {}
        for r in readings:
            by_topic.setdefault(r.topic, []).append(r)
        batch = {f"test:{topic}": items for topic, items in by_topic.items()}
        self.feed(batch)

    # -- looking -------------------------------------------------------------------------------------
    def alarms(self, plugin: str | None = None) -> list[Any]:
        _v, alarms = self.engine.snapshot()
        owned = {r.id for r in self.engine.rules() if plugin is None or r.owner == f"plugin:{plugin}"}
        return [a for a in alarms if a.rule_id in owned]

    def fired(self, plugin: str | None = None) -> set[str]:
        """Rule ids of `plugin` that activated at least once during the run."""
        owned = {r.id for r in self.engine.rules() if plugin is None or r.owner == f"plugin:{plugin}"}
        return {t.rule_id for t in self.transitions if t.action == "activate" and t.rule_id in owned}

    def department(self, name: str) -> Any:
        """The plugin's Department (`department` of a Desk plugin, `plugin.desk` of a DepartmentPlugin)."""
        module = self.host.records[name].module
        return getattr(module, "department", None) or module.plugin.desk

    def activations(self, plugin: str) -> list[Any]:
        """Alarm transitions into Active of the rules owned by `plugin`, in order."""
        owned = {r.id for r in self.engine.rules() if r.owner == f"plugin:{plugin}"}
        return [t for t in self.transitions if t.action == "activate" and t.rule_id in owned]

    def layer(self, key: str):
        return self.maplayers.get(key)

    def kpis(self, plugin: str) -> dict[str, float | None]:
        return {k.name: k.fn() for k in self.host.kpis.by_plugin(plugin)}

    def close(self) -> None:
        self.host.deactivate_all()
        for unsub in self._unsubs:
            unsub()
        self._stop_layers()
        self.bus.close()
