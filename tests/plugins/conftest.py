"""Fixtures for the department plugins.

`make_rig(*names)`: a screenless console (tests/plugins/rig.py) per test.

`city_core(names)` builds the console's core (bus, alarm engine, entity state, map layers ...) without
network feeds, activates the named in-tree plugins through the real plugin host, and starts the alarm
engine and entity state on the bus. `feed(core, scenario, seconds)` plays a simulator scenario as fast
as the CPU allows (console.sim.play) and publishes every batch on the bus; the alarm engine's clock
follows the data, so rules judge time as the simulated city lived it.
"""

from __future__ import annotations

import importlib
import tempfile
import tomllib
from pathlib import Path

import pytest

from console.core import Core
from console.paths import IN_TREE_PLUGINS
from console.settings import Settings
from console.sim import play
from tests.plugins.rig import PluginRig

PLUGIN_DIRS = sorted(p for p in IN_TREE_PLUGINS.iterdir() if (p / "plugin.toml").is_file())
_FOLDERS = {tomllib.loads((p / "plugin.toml").read_text(encoding="utf-8"))["name"]: p for p in PLUGIN_DIRS}
PLUGIN_NAMES = sorted(_FOLDERS)  # manifest names (a folder may spell "-" as "_" to stay importable)
START_NS = 1_795_000_000 * 10**9


class DataTime:
    """The alarm engine's clock in tests: the time of the newest data published."""

    def __init__(self) -> None:
        self.t = START_NS

    def __call__(self) -> int:
        return self.t


def plugin_module(name: str):
    return importlib.import_module(f"plugins.{name}")


def make_core(names: list[str] = (), *, start: bool = True, store: bool = False, **settings) -> Core:
    """A core with its own SQLite database. Started: the alarm engine and entity state run on the bus,
    and with `store` the storage room too (journal, readings); without it the store stays closed and
    the engine starts with no alarm history."""
    settings.setdefault("db", str(Path(tempfile.mkdtemp(prefix="rasad-plugins-")) / "rasad.db"))
    core = Core(Settings(**settings), load_plugins=False)
    core.data_time = DataTime()
    core.services["alarms"].clock = core.data_time
    core.plugins.discover(in_tree=IN_TREE_PLUGINS, entry_points=False)
    for name in names:
        for req in core.plugins.records[name].manifest.requires:
            core.plugins.activate(req)
        rec = core.plugins.activate(name)
        assert rec.state == "active", f"{name}: {rec.error}"
    core.started, core.stored = start, start and store
    if core.stored:
        core.services["store"].open()  # the real journal: audit events and alarm transitions land there
    elif start:
        for name in ("store", "history"):  # the closed store is no alarm-state provider to wait for
            core.services.pop(name)
    if start:
        core.services["alarms"].start()
        core.services["entities"].attach()
    return core


def stop_core(core: Core) -> None:
    core.plugins.deactivate_all()
    if core.started:
        core.services["alarms"].stop()
        core.services["entities"].detach()
    if core.stored:
        core.services["store"].close()
    core.bus.close()


def feed(core: Core, scenario: str, seconds: float, vehicles: int = 150) -> dict[str, int]:
    """Play `scenario` for `seconds` of simulated time onto the core's bus; returns readings per topic."""
    counts: dict[str, int] = {}
    for _s, batch in play(scenario, seconds, vehicles=vehicles, start_ns=START_NS):
        for items in batch.values():
            if items:
                core.data_time.t = max(core.data_time.t, items[0].t)
                core.bus.publish_many(items[0].topic, items)
                counts[items[0].topic] = counts.get(items[0].topic, 0) + len(items)
        core.bus.flush()
    core.bus.drain_workers()
    core.bus.flush()
    return counts


@pytest.fixture
def city_core():
    cores: list[Core] = []

    def build(names: list[str] = (), **kw) -> Core:
        core = make_core(list(names), **kw)
        cores.append(core)
        return core

    yield build
    for core in cores:
        stop_core(core)


@pytest.fixture(scope="module")
def earthquake_core():
    """citizen-137 and crisis through the first 400 s of the earthquake scenario (played once per module)."""
    core = make_core(["citizen-137", "crisis"])
    feed(core, "earthquake", 400)
    yield core
    stop_core(core)


def folder(name: str) -> Path:
    return _FOLDERS.get(name, IN_TREE_PLUGINS / name)


@pytest.fixture
def make_rig(tmp_path):
    rigs: list[PluginRig] = []

    def make(*names: str, **alarm_config) -> PluginRig:
        rig = PluginRig(tmp_path, *names, **alarm_config)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()
