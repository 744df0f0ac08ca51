"""The citizen-137 and crisis panels on the simulated earthquake (offscreen Qt): what an operator sees
and does — the photo large, a case assigned and merged through the panel, the nearest vehicles, the
public-warning composer and its role gate — in Persian and English."""

from __future__ import annotations

import importlib
import importlib.util

import pytest
from PySide6.QtCore import Qt

from console import i18n
from console.model import AuditEvent, Operator, Role

pytestmark = pytest.mark.gui


def dept_overview(core):
    return importlib.import_module("plugins.crisis").plugin.desk.overview(max_age_s=0)


def panel_of(core, plugin):
    spec = next(s for s in core.plugins.panels.items() if s.plugin == plugin)
    return spec.factory(None)


@pytest.fixture
def audit(earthquake_core):
    seen: list[AuditEvent] = []
    unsub = earthquake_core.bus.subscribe("audit/event", lambda topic, items: seen.extend(items))
    yield seen
    unsub()


def test_triage_panel_shows_the_queue_the_photo_and_acts_in_the_operators_name(
    qapp, qtbot, earthquake_core, audit
):
    panel = panel_of(earthquake_core, "citizen-137")
    qtbot.addWidget(panel)
    panel.resize(1600, 900)
    panel.show()
    panel.safe_refresh()
    desk = panel.desk
    assert panel.last_error == "" and panel.queue.model_.rowCount() == len(desk.cases()) > 100
    assert panel.tiles.tile("open").value.text() == i18n.number(len(desk.cases()))
    assert panel.tiles.tile("clusters").value.text() != "—"
    view = panel.case_view
    first = desk.cases()[0]
    assert view.case_id == first.id  # the most urgent case is selected for the operator
    assert view.photo.pixmap_ is not None and view.photo.pixmap_.width() == 160  # the citizen's photo
    dialog = view.photo.open_large()
    assert dialog.image.pixmap().width() == 640  # four times as large
    dialog.close()

    # assign through the panel: the desk changes, the row follows, the journal names the operator
    view.department_box.setCurrentIndex(view.department_box.findData("crisis"))
    qtbot.mouseClick(view.assign, Qt.LeftButton)
    assert desk.get(first.id).status == "assigned" and desk.get(first.id).department == "crisis"
    earthquake_core.bus.flush()
    assert audit[-1].kind == "report-assign" and audit[-1].subject == first.id
    assert audit[-1].operator == earthquake_core.settings.operator
    assert view.case_id == first.id  # the selection survived the refresh

    # merge a suggested duplicate through the panel
    with_dupes = next(c for c in desk.cases() if desk.suggest_duplicates(c.id))
    panel.queue.select_key(with_dupes.id)
    assert view.case_id == with_dupes.id and view.dupes.count() >= 1
    view.dupes.item(0).setCheckState(Qt.Checked)
    other = view.dupes.item(0).data(Qt.UserRole)
    qtbot.mouseClick(view.merge, Qt.LeftButton)
    merged = desk.get(with_dupes.id)
    assert other in {m.id for m in merged.members} and desk.get(other).status == "merged"
    earthquake_core.bus.flush()
    assert audit[-1].kind == "report-merge" and audit[-1].detail["merged"] == [other]

    # a refused action says why, on the panel
    view.show_case(other)
    assert not view.assign.isEnabled()  # a merged case cannot be assigned


def test_triage_panel_in_english(qapp, qtbot, earthquake_core):
    i18n.set_lang("en")
    panel = panel_of(earthquake_core, "citizen-137")
    qtbot.addWidget(panel)
    panel.safe_refresh()
    assert panel.heading.text() == panel.title_en
    assert panel.queue.model_.headerData(0, Qt.Horizontal) == "Urgency"
    assert panel.tabs.tabText(0) == "Triage queue"
    assert "District 6" in {r["district"] for r in panel.queue.model_.rows}


def test_crisis_panel_shows_alarms_vehicles_and_gates_the_public_warning(
    qapp, qtbot, earthquake_core, monkeypatch
):
    panel = panel_of(earthquake_core, "crisis")
    qtbot.addWidget(panel)
    panel.resize(1600, 900)
    panel.show()
    panel.safe_refresh()
    assert panel.last_error == ""
    rows = panel.alarms.model_.rows
    assert rows and rows[0]["priority"] == 4  # the most urgent first
    assert panel.selected_alarm.id == rows[0]["entity"] and panel.vehicles.model_.rowCount() > 0
    assert panel.following_top  # until the operator picks one, the most urgent alarm is shown
    chosen = panel.alarms.row_at(3)["entity"]
    panel.alarms.select_key(chosen)  # the operator picks another: the panel stays with it
    panel.safe_refresh()
    assert not panel.following_top and panel.selected_alarm.id == chosen
    neighbour = next(d for d in dept_overview(earthquake_core).districts if d.id)
    row = panel._district_row(type(neighbour)(neighbour.id, "x", "x", 1000, affected=True))
    assert row["_colour"]  # affected without an alarm of its own: drawn at the affecting priority
    assert panel.tables["districts"][0].model_.rowCount() >= 8
    # an operator without the crisis-manager role cannot publish a public warning
    assert not panel.cap_button.isEnabled() and panel.open_cap_dialog() is None
    assert "crisis-manager" in panel.cap_note.text() or "مدیر بحران" in panel.cap_note.text()


def test_crisis_manager_publishes_a_public_warning_through_the_alarm_rooms_composer(
    qapp, qtbot, earthquake_core, corpus, monkeypatch
):
    from console.alarms.cap import parse_cap, validate_xsd

    dept = importlib.import_module("plugins.crisis").plugin.desk
    chief = Operator("maryam", roles=frozenset({Role.CRISIS_MANAGER}))
    monkeypatch.setattr(dept, "operator", lambda: chief)
    seen: list[AuditEvent] = []
    earthquake_core.bus.subscribe("audit/event", lambda topic, items: seen.extend(items))
    panel = panel_of(earthquake_core, "crisis")
    qtbot.addWidget(panel)
    panel.safe_refresh()
    rows = panel.alarms.model_.rows
    trapped = next(r["entity"] for r in rows if r["entity"].startswith("c137.cluster.trapped"))
    panel.alarms.select_key(trapped)
    assert panel.selected_alarm.id == trapped and panel.cap_button.isEnabled() and panel.cap_note.text() == ""
    dialog = panel.open_cap_dialog()
    qtbot.addWidget(dialog)
    fa, en = dialog.fields["fa-IR"], dialog.fields["en-US"]
    assert "منطقهٔ ۶" in fa["headline"].text() and "District 6" in en["headline"].text()
    assert "Residents" in en["description"].toPlainText() and fa["instruction"].toPlainText()
    assert dialog.severity.currentText() == "Extreme" and dialog.radius.value() == 0.6
    assert panel.publish_from(dialog) is None and "reason" in dialog.error.text()  # the engine wants a reason
    dialog.reason.setText("people trapped after the earthquake")
    path = panel.publish_from(dialog)
    xml = path.read_bytes()
    alert = parse_cap(xml).alerts[0]
    assert [i.language for i in alert.infos] == ["fa-IR", "en-US"] and alert.infos[0].severity == "Extreme"
    assert alert.infos[0].areas[0].circles[0][2] == 0.6
    assert validate_xsd(xml, corpus / "cap" / "ibm-cap" / "CAP-v1.2.xsd") == []  # OASIS CAP 1.2 schema
    earthquake_core.bus.flush()
    assert any(e.kind == "cap-publish" and e.operator == "maryam" for e in seen)
