"""The four utility panels, built as the console builds them, after each plugin's scenario: populated
tiles and tables in Persian and English; errors in a panel or in a department's rules stay there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console import i18n
from widgets.plugin_panel import build_panel

pytestmark = pytest.mark.gui

CASES = {
    "parking": ("calm", 900),
    "environment": ("air-pollution", 660),
    "energy": ("earthquake", 90),
    "water": ("flood", 600),
}


def panel_for(rig, name, parent=None):
    (spec,) = rig.host.panels.by_plugin(name)
    panel = build_panel(spec, parent)
    assert type(panel).__name__.endswith("Panel"), getattr(panel, "reason", panel)
    panel.resize(1400, 850)
    panel.show()
    panel.safe_refresh()
    return panel


def shoot(panel, name: str, lang: str) -> None:
    """With RASAD_SHOTS=DIR, every tab is saved there (for people to look at)."""
    folder = os.environ.get("RASAD_SHOTS")
    if not folder:
        return
    from PySide6.QtWidgets import QApplication

    for i in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(i)
        panel.safe_refresh()
        QApplication.processEvents()  # let layouts settle before the picture (a test, not a coroutine)
        panel.grab().save(str(Path(folder) / f"{name}-{lang}-{i}.png"))
    panel.tabs.setCurrentIndex(0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_panel_is_populated_in_both_languages(qapp, qtbot, make_rig, name):
    scenario, seconds = CASES[name]
    rig = make_rig(name)
    rig.play(scenario, seconds)
    panel = panel_for(rig, name)
    qtbot.addWidget(panel)
    assert not panel.last_error and not panel._error.isVisible()
    tiles = panel.tiles._tiles
    assert len(tiles) == 4
    shown = [t.value.text() for t in tiles.values()]
    assert sum(v != "—" for v in shown) >= 3, shown  # numbers, not dashes
    assert any(ch in "".join(shown) for ch in "۰۱۲۳۴۵۶۷۸۹")  # Persian digits in the Persian UI
    for table, _fa, _en in panel.tables.values():
        if table.model_.rows:
            assert table.model_.data(table.model_.index(0, 0)) not in (None, "")
    first = next(iter(panel.tables.values()))[0]
    assert first.model_.rowCount() > 0
    assert "شبیه‌سازی" not in panel.provenance.text()  # the rig has no simulator service: no claim
    shoot(panel, name, "fa")
    i18n.set_lang("en")
    qapp.setLayoutDirection(Qt.LeftToRight)  # what the shell does on a language switch
    panel.retranslate()
    assert panel.heading.text() == type(panel).title_en
    header = first.model_.headerData(0, Qt.Horizontal)
    assert header and all(ord(c) < 0x600 for c in header)
    shown_en = [t.value.text() for t in tiles.values()]
    assert not any(ch in "".join(shown_en) for ch in "۰۱۲۳۴۵۶۷۸۹")
    shoot(panel, name, "en")
    # a double click on a row asks the window to show the entity on the map
    asked = []
    window = panel.window()
    window.select_entity = lambda ref: asked.append(ref) or True
    first.selectRow(0)
    panel._on_row_activated(first, 0)
    assert asked and asked[0] == first.row_at(0)["entity"]
    qapp.setLayoutDirection(Qt.RightToLeft)


def test_failures_stay_inside_their_panel(qapp, qtbot, make_rig, monkeypatch):
    rig = make_rig("water", "parking")
    rig.play("flood", 120)
    water, parking = rig.department("water"), rig.department("parking")
    water_panel, parking_panel = panel_for(rig, "water"), panel_for(rig, "parking")
    qtbot.addWidget(water_panel)
    qtbot.addWidget(parking_panel)

    # 1. the department's own computation raises on every batch: contained, counted, shown
    def broken(topic, items):
        raise RuntimeError("gauge model exploded")

    monkeypatch.setattr(water, "update", broken)
    rig.play_more(60)
    assert water.errors >= 1 and "gauge model exploded" in water.last_error
    water_panel.safe_refresh()
    assert water_panel._error.isVisible() and "gauge model exploded" in water_panel._error.text()
    # 2. the panel's own refresh raises: shown on that panel only
    monkeypatch.setattr(parking_panel, "refresh", lambda: 1 / 0)
    parking_panel.safe_refresh()
    assert parking_panel._error.isVisible() and "ZeroDivisionError" in parking_panel._error.text()
    # the console goes on: the bus still delivers, the other department still works
    before = parking.table.received
    rig.play_more(60)
    assert parking.table.received > before and parking.errors == 0
    assert rig.host.records["water"].state == "active"
    # and recovers when the fault goes away
    monkeypatch.undo()
    rig.play_more(60)
    water_panel.safe_refresh()
    assert water.last_error == "" and not water_panel._error.isVisible()


def test_public_warning_tab_publishes_only_for_a_crisis_manager(qapp, qtbot, make_rig, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QInputDialog

    from console.model import Operator, Role
    from widgets.cap_drafts import CapDraftsView

    rig = make_rig("environment", cap_dir=str(tmp_path / "published"))
    rig.play("air-pollution", 600, until=lambda r: bool(r.services["cap_drafts"].list()))
    store = rig.services["cap_drafts"]
    (draft,) = store.list()
    view = CapDraftsView(store, rig.engine, "plugin:environment")
    qtbot.addWidget(view)
    operator = Operator("sara", roles=frozenset({Role.OPERATOR}))
    manager = Operator("reza", roles=frozenset({Role.CRISIS_MANAGER}))
    who = {"op": operator}
    monkeypatch.setattr(rig.engine, "current_operator", lambda: who["op"])
    view.refresh()
    assert view.selected().identifier == draft.identifier
    assert (
        "Air pollution warning" in view.detail.toPlainText()
        and "هشدار آلودگی هوا" in view.detail.toPlainText()
    )
    assert not view.publish_button.isEnabled() and "sara" in view.publish_button.toolTip()
    who["op"] = manager
    view.refresh()
    assert view.publish_button.isEnabled() and view.withdraw_button.isEnabled()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("confirmed by the environment desk", True))
    view.publish_button.click()
    published = store.get(draft.identifier)
    assert published.state == "published" and published.by == "reza"
    assert not view.publish_button.isEnabled()  # nothing left to publish
