"""What every mobility department plugin (traffic, bus, taxi, terminals, civil-works, parks) owes
the console: clean activation and deactivation, quiet rules on a calm day, populated panels in both
languages, and containment when its own code fails (in its rules or in its panel)."""

from __future__ import annotations

import threading
import tomllib

import pytest

from console import i18n
from console.paths import IN_TREE_PLUGINS
from tests.plugins.rig import MOBILITY


def _owned(rig, plugin: str) -> dict[str, int]:
    layers = [layer for layer in rig.layers.layers() if layer.owner == plugin]
    return {
        "subscriptions": sum(1 for s in rig.bus.stats()["subscribers"] if s["name"].startswith(f"{plugin}:")),
        "panels": len(rig.host.panels.by_plugin(plugin)),
        "rules": sum(1 for r in rig.engine.rules() if r.owner == f"plugin:{plugin}"),
        "kpis": len(rig.host.kpis.by_plugin(plugin)),
        "layers": len(layers),
        "threads": sum(1 for t in threading.enumerate() if t.name.startswith(f"bus:{plugin}:")),
    }


@pytest.mark.parametrize("plugin", MOBILITY)
def test_activate_then_deactivate_leaves_nothing_behind(make_rig, plugin):
    rig = make_rig(plugin)
    rig.run("calm", 12, vehicles=40)
    owned = _owned(rig, plugin)
    assert all(owned[k] > 0 for k in ("subscriptions", "panels", "rules", "kpis", "layers", "threads")), owned
    rig.host.deactivate(plugin)
    assert rig.host.records[plugin].state == "inactive" and not rig.host.records[plugin].error
    assert _owned(rig, plugin) == dict.fromkeys(owned, 0)
    rig.run("calm", 3, vehicles=40)  # data keeps flowing to nobody of it
    rig.host.activate(plugin)  # and it comes back whole
    assert _owned(rig, plugin) == owned


def test_calm_day_keeps_every_mobility_rule_quiet(make_rig):
    rig = make_rig(*MOBILITY)
    rig.run("calm", 720, vehicles=500)
    for plugin in MOBILITY:
        assert not rig.activations(plugin), (plugin, [a.alarm_id for a in rig.activations(plugin)])
        assert not rig.department(plugin).errors, plugin
    kpis = {k.name: k.fn() for k in rig.host.kpis.items()}
    assert kpis.pop("works.response") is None  # no emergency work yet: no response time, not a made-up 0
    assert all(v is not None for v in kpis.values()), kpis  # otherwise a calm city has every figure
    assert kpis["bus.on_time"] > 90 and kpis["traffic.elements_online"] == 100.0


def test_manifests_strings_and_rules_files():
    for folder in sorted(p for p in IN_TREE_PLUGINS.iterdir() if (p / "plugin.toml").is_file()):
        manifest = tomllib.loads((folder / "plugin.toml").read_text(encoding="utf-8"))
        if manifest["name"] not in MOBILITY:
            continue
        assert manifest["title_fa"] and manifest["title_en"] and manifest["axes"]
        strings = tomllib.loads((folder / "strings.toml").read_text(encoding="utf-8"))
        prefix = {"civil-works": "works."}.get(manifest["name"], manifest["name"] + ".")
        for key, entry in strings.items():
            assert key.startswith(prefix), key
            assert entry["fa"].strip() and entry["en"].strip(), key
        rules = tomllib.loads((folder / "rules.toml").read_text(encoding="utf-8"))
        assert rules["rule"] and all(r["id"].startswith(prefix) for r in rules["rule"])
        assert all(r.get("title_fa") and r.get("title_en") for r in rules["rule"])


@pytest.fixture
def mobility_rig(make_rig):
    rig = make_rig(*MOBILITY)
    rig.run("earthquake", 75, vehicles=300)
    return rig


def _panel(rig, plugin):
    from widgets.plugin_panel import build_panel

    (spec,) = rig.host.panels.by_plugin(plugin)
    return build_panel(spec)


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_panel_is_populated_in_both_languages(qapp, mobility_rig, lang):
    from widgets.department_panel import DepartmentPanel

    i18n.set_lang(lang)
    for plugin in MOBILITY:
        panel = _panel(mobility_rig, plugin)
        assert isinstance(panel, DepartmentPanel), plugin
        panel.safe_refresh()
        assert not panel.last_error and not panel._error.text(), (plugin, panel.last_error)
        assert panel.heading.text() == mobility_rig.department(plugin).title(lang)
        shown = [w.value.text() for w in panel.tiles._tiles.values()]
        assert len(shown) >= 6 and sum(v != "—" for v in shown) >= len(shown) - 1, (plugin, shown)
        rows = {key: table.model_.rowCount() for key, (table, _fa, _en) in panel.tables.items()}
        assert max(rows.values()) > 0, (plugin, rows)
        if lang == "fa":
            assert any("\u0600" <= ch <= "\u06ff" for ch in panel.tabs.tabText(0)), plugin
        panel.deleteLater()


def test_a_failing_rule_evaluation_is_contained_and_shown_on_its_panel(qapp, make_rig, monkeypatch):
    """The traffic desk raises on every batch: its panel says so, the console and the terminals
    plugin carry on (its alarms, its derived readings), nothing reaches the bus as an exception."""
    from plugins.traffic.rules import TrafficDesk

    def broken(self, topic, items):
        raise RuntimeError("segment model corrupt")

    monkeypatch.setattr(TrafficDesk, "on_segments", broken)
    rig = make_rig("traffic", "terminals")
    rig.run("earthquake", 95, vehicles=40)
    traffic = rig.department("traffic")
    assert traffic.errors > 5 and "segment model corrupt" in traffic.last_error
    assert all(s["errors"] == 0 for s in rig.bus.stats()["subscribers"])  # contained before the bus
    assert "terminals.cancellations" in {a.rule_id for a in rig.activations("terminals")}  # others unaffected
    assert rig.host.records["traffic"].state == "active"
    panel = _panel(rig, "traffic")
    panel.safe_refresh()
    assert not panel.last_error  # the panel itself is fine ...
    assert "segment model corrupt" in panel._error.text() and not panel._error.isHidden()  # ... and says why
    kpis = {k.name: k.fn() for k in rig.host.kpis.items()}
    assert kpis["traffic.mean_speed"] is None  # no figure rather than a wrong one
    assert kpis["terminals.on_time"] is not None


def test_a_failing_panel_refresh_is_contained(qapp, make_rig, monkeypatch):
    from plugins.taxi.panel import TaxiPanel

    rig = make_rig("taxi", "parks")
    rig.run("calm", 65, vehicles=100)
    monkeypatch.setattr(TaxiPanel, "refresh", lambda self: 1 / 0)
    taxi, parks = _panel(rig, "taxi"), _panel(rig, "parks")
    taxi.safe_refresh()
    parks.safe_refresh()
    assert taxi.refresh_errors >= 1 and "ZeroDivisionError" in taxi._error.text()
    assert not parks.last_error and parks.tables["parks"][0].model_.rowCount() == 16
    assert rig.host.records["taxi"].state == "active"
    kpis = {k.name: k.fn() for k in rig.host.kpis.items()}
    assert kpis["taxi.free"] is not None  # the department's logic is untouched by its panel's failure
