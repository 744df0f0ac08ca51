"""The department toolkit the plugins share: data clock, strings, audit and operator, fault log,
keyed tables that keep the operator's selection, tiles that fit a narrow dock, report photos."""

from __future__ import annotations

import base64

import pytest

from console.departments import DataClock, Department, load_strings
from console.model import AuditEvent, Operator, Role
from console.plugins import FaultLog
from tests.plugins.conftest import folder


def test_data_clock_runs_on_from_the_newest_data_at_wall_pace():
    wall = {"t": 1_000}
    clock = DataClock(wall=lambda: wall["t"])
    assert clock.now() == 1_000 and not clock.started  # no data yet: the wall clock
    clock.see(50)  # a replay of long ago
    wall["t"] = 1_030
    assert clock.now() == 80 and clock.started
    clock.see(40)  # older data never moves it back
    assert clock.now() == 80
    clock.see(5_000)  # a simulation running ahead
    assert clock.now() == 5_000


def test_strings_need_both_languages(tmp_path):
    good = load_strings(folder("crisis") / "strings.toml")
    assert all(e["fa"] and e["en"] for e in good.values())
    bad = tmp_path / "strings.toml"
    bad.write_text('["x.key"]\nfa = "فقط فارسی"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.key"):
        load_strings(bad)


def test_fault_log_keeps_the_last_failure_for_a_while():
    now = {"t": 0.0}
    log = FaultLog(clock=lambda: now["t"])
    assert log.recent() is None
    log.note("on_reports", KeyError("category"))
    assert log.count == 1 and log.recent() == "on_reports: KeyError: 'category'"
    now["t"] = 61.0
    assert log.recent(60.0) is None and log.count == 1


def test_department_journals_operator_actions_in_the_sessions_name(city_core):
    core = city_core()
    seen: list[AuditEvent] = []
    core.bus.subscribe("audit/event", lambda topic, items: seen.extend(items))

    class Ctx:
        settings = core.settings
        faults = None

        def service(self, name):
            return core.services.get(name)

    dept = Department("testdept", folder("crisis"), ())
    dept.ctx = Ctx()
    assert dept.operator().name == core.settings.operator and dept.operator().roles == frozenset(
        {Role.OPERATOR}
    )
    chief = Operator("maryam", roles=frozenset({Role.CRISIS_MANAGER}))
    core.services["session"].operator = chief  # who signed in wins
    assert dept.operator() is chief
    dept.audit("report-close", "137-1", {"action": "close"})
    core.bus.flush()
    assert seen[-1].operator == "maryam" and seen[-1].detail == {"department": "testdept", "action": "close"}
    assert dept.district_name("d6", "en") == "District 6" and dept.district_name("nowhere", "en", "x") == "x"


@pytest.mark.gui
def test_keyed_table_keeps_the_selection_and_announces_only_real_changes(qapp, qtbot):
    from widgets.records_table import Column, RecordsTable

    table = RecordsTable(
        [Column("id", "شناسه", "Id"), Column("n", "عدد", "N", kind="number")], key="id", keep_order=True
    )
    qtbot.addWidget(table)
    heard: list = []
    table.sig_selected.connect(heard.append)
    table.set_rows([{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": "c", "n": 3}])
    table.select_key("b")  # the operator picks b
    assert heard[-1]["id"] == "b"
    heard.clear()
    table.set_rows(
        [{"id": "a", "n": 5}, {"id": "b", "n": 6}, {"id": "c", "n": 7}]
    )  # same records: cells only
    table.set_rows([{"id": "c", "n": 7}, {"id": "b", "n": 6}, {"id": "z", "n": 0}])  # reordered: still b
    assert heard == [] and table.selected_row()["id"] == "b"
    assert [table.row_at(i)["id"] for i in range(3)] == ["c", "b", "z"]  # the given order, unsorted
    table.set_rows([{"id": "c", "n": 7}])  # b is gone: said once
    assert heard == [None]


@pytest.mark.gui
def test_tiles_reflow_and_shrink_in_a_narrow_dock(qapp, qtbot):
    from widgets.kpi_tiles import KpiStrip, Tile

    strip = KpiStrip(7)
    qtbot.addWidget(strip)
    strip.set_tiles([Tile(f"t{i}", "عنوان", "Title", float(i), detail="جزئیات") for i in range(7)])
    strip.resize(1900, 200)
    strip.show()
    qtbot.waitUntil(lambda: strip._laid == 7)
    assert not strip.tile("t0").compact and strip.minimumSizeHint().width() == 3 * KpiStrip.MIN_TILE_PX
    strip.resize(300, 400)  # narrower than three tiles: still at most three rows, compact
    qtbot.waitUntil(lambda: strip._laid == 3)
    assert strip.tile("t0").compact and strip.tile("t0").toolTip() == "جزئیات"
    strip.resize(1300, 400)
    qtbot.waitUntil(lambda: strip._laid == 7)
    assert not strip.tile("t0").compact


@pytest.mark.gui
def test_report_photo_decodes_or_says_why_not(qapp, qtbot):
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    from console import i18n
    from widgets.photo_view import PhotoThumb, pixmap_from_data_uri

    img = QImage(160, 120, QImage.Format_RGB32)
    img.fill(QColor("#336699"))
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.WriteOnly)
    img.save(buf, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(bytes(data)).decode()
    assert pixmap_from_data_uri(uri).width() == 160
    assert pixmap_from_data_uri("data:image/png;base64,!!!") is None and pixmap_from_data_uri(None) is None
    thumb = PhotoThumb(240)
    qtbot.addWidget(thumb)
    thumb.set_photo("data:image/png;base64,AAAA")
    assert thumb.text() == i18n.tr("dept.photo.unreadable") and thumb.open_large() is None
    thumb.set_photo("")
    assert thumb.text() == i18n.tr("dept.photo.none")
    thumb.set_photo(uri, "caption")
    dialog = thumb.open_large()
    qtbot.addWidget(dialog)
    assert (
        thumb.pixmap().width() == 240
        and dialog.image.pixmap().width() == 640
        and dialog.text.text() == "caption"
    )
