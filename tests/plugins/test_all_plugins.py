"""Every in-tree department plugin (parametrized over the folders in plugins/) keeps the house rules:
titles in both languages, Qt-free logic, KPIs on the six axes, a clean activate/deactivate, and
containment when its panel refresh or its rule evaluation raises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import tomllib

import pytest

from console import i18n
from console.model import Axis, Reading
from console.plugins import Context, parse_manifest
from tests.plugins.conftest import PLUGIN_DIRS, PLUGIN_NAMES, START_NS, folder

ROOT = folder("x").parent.parent
QT = ("PySide6", "shiboken6", "pyqtgraph", "qasync")
# The twelve departments of the observatory (issue 9). This list is the contract: it fails until every
# department's branch is merged, by design.
DEPARTMENTS = (
    "traffic",
    "bus",
    "taxi",
    "terminals",
    "parking",
    "environment",
    "energy",
    "water",
    "parks",
    "civil-works",
    "citizen-137",
    "crisis",
)


def test_main_plugins_lists_the_twelve_departments_as_active(tmp_path):
    env = dict(os.environ, RASAD_CONFIG_DIR=str(tmp_path / "c"), RASAD_DATA_DIR=str(tmp_path / "d"))
    out = subprocess.run(
        [sys.executable, "main.py", "plugins", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    listed = {p["name"]: p for p in json.loads(out.stdout)}
    missing = [n for n in DEPARTMENTS if n not in listed]
    assert not missing, f"departments not installed: {missing}"
    inactive = {
        n: f"{listed[n]['state']}: {listed[n].get('error', '')}"
        for n in DEPARTMENTS
        if listed[n]["state"] != "active"
    }
    assert not inactive, inactive


@pytest.mark.parametrize("plugin", PLUGIN_NAMES)
def test_manifest_titles_axes_and_files(plugin):
    path = folder(plugin)
    m = parse_manifest((path / "plugin.toml").read_text(encoding="utf-8"), str(path / "plugin.toml"))
    assert path.name in (plugin, plugin.replace("-", "_")), "the folder is named after the plugin"
    assert m.title_fa.strip() and m.title_en.strip() and m.title_fa != m.title_en
    assert any("\u0600" <= ch <= "\u06ff" for ch in m.title_fa), "title_fa is Persian"
    assert m.axes and all(a in Axis.__members__.values() for a in m.axes)
    for name in ("__init__.py", "rules.py", "panel.py"):
        assert (path / name).is_file(), f"{plugin} has no {name}"
    if (path / "rules.toml").is_file():  # default rules are editable TOML that loads
        from console.departments import load_department_rules

        assert load_department_rules(path / "rules.toml", plugin, f"plugin:{plugin}")


def test_plugin_packages_and_rules_import_without_qt():
    """__init__ and rules.py (with everything they import) load headless: run in a fresh interpreter."""
    code = textwrap.dedent(f"""
        import importlib, sys
        for name in {[folder(n).name for n in PLUGIN_NAMES]!r}:
            importlib.import_module("plugins." + name)
            importlib.import_module("plugins." + name + ".rules")
        qt = sorted(k for k in sys.modules if k.split(".")[0] in {QT!r})
        print("QT=" + ",".join(qt))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("QT="), out.stdout


def _state(core) -> dict:
    host = core.plugins
    return {
        "subscribers": core.bus.subscriber_count(),
        "panels": len(host.panels),
        "rules": len(host.rules),
        "engine_rules": sorted(r.id for r in core.services["alarms"].rules()),
        "kpis": len(host.kpis),
        "layers": len(host.map_layers),
        "map_layers": sorted(layer.key for layer in core.services["maplayers"].layers()),
        "threads": sorted(
            t.name for t in threading.enumerate() if not t.name.startswith(("plugin:", "Dummy"))
        ),
    }


@pytest.mark.parametrize("plugin", PLUGIN_NAMES)
def test_activate_then_deactivate_leaves_nothing_behind(plugin, city_core, monkeypatch):
    core = city_core()
    strings: dict = {}
    real_add = i18n.add_strings
    monkeypatch.setattr(i18n, "add_strings", lambda entries: (strings.update(entries), real_add(entries)))
    before = _state(core)
    requires = core.plugins.records[plugin].manifest.requires
    for name in [*requires, plugin]:
        rec = core.plugins.activate(name)
        assert rec.state == "active", rec.error
    during = _state(core)
    assert during["panels"] > before["panels"], "a department brings a panel"
    assert during["kpis"] > before["kpis"], "a department contributes KPIs"
    for kpi in core.plugins.kpis.by_plugin(plugin):
        assert isinstance(kpi.axis, Axis) and kpi.title_fa.strip() and kpi.title_en.strip()
        value = kpi.fn()  # no data yet: a number or None (unknown), never an exception
        assert value is None or isinstance(value, int | float), (kpi.name, value)
    for key, entry in strings.items():
        assert entry.get("fa", "").strip() and entry.get("en", "").strip(), (
            f"{plugin}: string {key} needs fa and en"
        )
    for name in [plugin, *reversed(requires)]:
        core.plugins.deactivate(name)
        assert core.plugins.records[name].state == "inactive" and not core.plugins.records[name].error
    assert _state(core) == before


@pytest.mark.gui
@pytest.mark.parametrize("plugin", PLUGIN_NAMES)
def test_a_panel_whose_refresh_raises_is_contained(plugin, qapp, qtbot, city_core, monkeypatch):
    from widgets.departments import DepartmentTabs
    from widgets.plugin_panel import PluginPanel

    core = city_core([plugin])
    tabs = DepartmentTabs(core.plugins)
    qtbot.addWidget(tabs)
    panels = {spec.plugin: w for spec, w in tabs._pages.values() if hasattr(spec, "plugin")}
    panel = panels[plugin]
    assert isinstance(panel, PluginPanel), (
        f"{plugin}'s panel is an error card: {getattr(panel, 'reason', '')}"
    )

    def boom(self):
        raise RuntimeError("refresh exploded")

    monkeypatch.setattr(type(panel), "refresh", boom)
    panel.safe_refresh()
    assert panel.refresh_errors == 1 and "refresh exploded" in panel.last_error
    assert not panel._error.isHidden() and "refresh exploded" in panel._error.text()
    monkeypatch.undo()
    panel.safe_refresh()  # recovers on the next tick
    assert panel.last_error == "" and panel._error.isHidden()


@pytest.mark.gui
@pytest.mark.parametrize("plugin", PLUGIN_NAMES)
def test_a_plugin_whose_rule_evaluation_raises_is_contained(plugin, qapp, qtbot, city_core, monkeypatch):
    """Every callback the plugin subscribes raises: the bus contains it, the plugin's panel says so,
    a neighbour keeps receiving, the console keeps running."""
    from widgets.departments import DepartmentTabs

    armed = threading.Event()
    patterns: list[str] = []
    real_subscribe = Context.subscribe

    def subscribe(self, pattern, callback, **kw):
        if self.name == plugin:
            patterns.append(pattern)

            def failing(topic, items, _cb=callback):
                if armed.is_set():
                    raise RuntimeError(f"rule evaluation exploded on {topic}")
                _cb(topic, items)

            failing.__name__ = getattr(callback, "__name__", "cb")
            return real_subscribe(self, pattern, failing, **kw)
        return real_subscribe(self, pattern, callback, **kw)

    monkeypatch.setattr(Context, "subscribe", subscribe)
    core = city_core([plugin])
    if not patterns:
        pytest.skip(f"{plugin} subscribes to no bus topic: no rule callback to fail")
    neighbour: list = []
    core.bus.subscribe("#", lambda topic, items: neighbour.extend(items), name="neighbour")
    tabs = DepartmentTabs(core.plugins)
    qtbot.addWidget(tabs)
    panel = next(w for spec, w in tabs._pages.values() if getattr(spec, "plugin", "") == plugin)
    armed.set()
    for pattern in patterns:
        topic = pattern.replace("+", "x").replace("#", "x")
        core.bus.publish(
            topic, Reading(source="test", seq=1, topic=topic, entity="e1", etype="Test", t=START_NS)
        )
    core.bus.flush()
    core.bus.drain_workers()
    rec = core.plugins.records[plugin]
    assert rec.faults.count >= 1 and "exploded" in rec.faults.last
    assert len(neighbour) == len(patterns)  # everyone else was served
    panel.safe_refresh()
    assert (
        "exploded" in panel.last_fault and "exploded" in panel._error.text() and not panel._error.isHidden()
    )
    assert rec.state == "active" and all(r.state == "active" for r in core.plugins.active())
    errors = {s["name"]: s["errors"] for s in core.bus.stats()["subscribers"]}
    assert sum(n for name, n in errors.items() if name.startswith(f"{plugin}:")) >= 1
    armed.clear()
    core.bus.publish("alarm/transition", "still alive")  # the bus keeps delivering
    core.bus.flush()
    assert neighbour[-1] == "still alive"


def test_every_plugin_folder_is_listed():
    """The parametrized tests above cover whatever is in plugins/ (sanity: they found the folders)."""
    assert PLUGIN_NAMES and all((p / "plugin.toml").is_file() for p in PLUGIN_DIRS)
    for p in PLUGIN_DIRS:
        tomllib.loads((p / "plugin.toml").read_text(encoding="utf-8"))


def test_every_department_of_a_rule_has_a_name_in_both_languages():
    """The alarm list names the department of every rule (plugin rules are tagged with the plugin)."""
    from console import i18n
    from console.departments import load_department_rules

    for plugin in PLUGIN_NAMES:
        rules_file = folder(plugin) / "rules.toml"
        if not rules_file.is_file():
            continue
        for rule in load_department_rules(rules_file, plugin, f"plugin:{plugin}"):
            key = f"alarms.dept.{rule.department}"
            assert i18n.has_key(key), (
                f"{plugin}: rule {rule.id} has department {rule.department!r} with no name"
            )
            assert i18n.tr(key, "fa") != i18n.tr(key, "en")
